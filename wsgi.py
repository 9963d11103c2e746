import gc

from core import create_app

app = create_app()
# The app's long-lived objects (questionnaires, templates, models) leave the garbage
# collector's view: full collections over them otherwise cost each worker a pause every few
# hundred requests, and frozen pages stay shared between forked workers.
gc.freeze()
