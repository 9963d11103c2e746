"""Tables of the reports capability: the improvement-task catalogue and the agencies' plans,
and the reports produced by the scheduled jobs."""

from reports.models.integrity import IntegrityFlag, IntegrityRun
from reports.models.plans import ImprovementPlan, ImprovementPlanRow, ImprovementTask
from reports.models.runs import ReportRun

__all__ = ["ImprovementPlan", "ImprovementPlanRow", "ImprovementTask", "IntegrityFlag",
           "IntegrityRun", "ReportRun"]
