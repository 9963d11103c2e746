"""Demo dossiers as the desk demo plans them (surveys.demo_desk): the facts of one dossier,
as a row for a bulk insert, with its two appointment dates.

A late dossier's apology letter (form 04 of TT 01/2018/TT-VPCP) re-sets the date once; the
legal date of the receipt (form 01) stays what timeliness is judged against (DOMAIN.md §2.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from core.clock import LOCAL_TZ, local
from core.workdays import WorkCalendar


@dataclass
class PlannedDossier:
    prefix: str
    procedure: str
    unit_id: int
    desk_id: int
    received_at: datetime
    appointed_at: datetime
    returned_at: datetime | None
    supplement_requests: int
    online: bool
    apology_issued: bool
    outcome: str  # "early", "on_time", "late"
    code: str = ""
    reset_appointed_at: datetime | None = None  # by the apology letter (form 04), once

    def row(self) -> dict[str, Any]:
        letter = self.reset_appointed_at is not None
        return {
            "code": self.code, "procedure_code": None, "procedure_name": self.procedure,
            "unit_id": self.unit_id, "desk_id": self.desk_id, "received_at": self.received_at,
            "legal_appointed_at": self.appointed_at,
            "reset_appointed_at": self.reset_appointed_at,
            "apology_number": f"PXL-{self.code}" if letter else None,
            "apology_date": local(self.appointed_at).date() if letter else None,
            "returned_at": self.returned_at,
            "supplement_requests": self.supplement_requests, "online": self.online,
            "apology_issued": self.apology_issued, "source": "api",
            "created_at": self.received_at, "updated_at": self.returned_at or self.received_at,
        }

def reset_date(calendar: WorkCalendar, received: datetime, limit: int, days: int) -> datetime:
    """The re-set date: the return day when at most 3 working days late (kept), else 2 working
    days after the legal date (broken). No random draw: the demo's other figures stay put."""
    promised = days if days - limit <= 3 else limit + 2
    return datetime.combine(calendar.add_working_days(received, promised), time(16, 30),
                            tzinfo=LOCAL_TZ).astimezone(UTC)

