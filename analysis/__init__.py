"""Pure statistics on pandas DataFrames: satisfaction indices, intervals, comparisons,
reliability, dossier ratings, PAKN KPIs. Imports pandas, numpy and scipy only — never flask or
sqlalchemy (frames arrive through ``surveys.frames`` and ``feedback.frames``).

Built by the analysis capability (issue #6).
"""
