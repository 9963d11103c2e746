"""Models of the core package. Importing this module registers every core table."""

from core.models.apikeys import ApiKey, ApiKeyUse
from core.models.audit import AuditEntry
from core.models.calendar import CalendarOverride
from core.models.jobs import JobRun
from core.models.org import Unit, UnitKind
from core.models.outbox import OutboxMessage, OutboxStatus
from core.models.settings import SettingValue
from core.models.users import LoginFailure, LoginSession, Role, RoleGrant, User

__all__ = [
    "ApiKey",
    "ApiKeyUse",
    "AuditEntry",
    "CalendarOverride",
    "JobRun",
    "LoginFailure",
    "LoginSession",
    "OutboxMessage",
    "OutboxStatus",
    "Role",
    "RoleGrant",
    "SettingValue",
    "Unit",
    "UnitKind",
    "User",
]
