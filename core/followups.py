"""Follow-up ratings ("close the loop"): the meeting point of the capability that asks a
PAKN sender to rate how their case was handled (feedback) and the one that keeps ratings
(surveys). Neither imports the other (DESIGN.md: surveys and feedback import only core), so
each registers its half here from its ``init_app``:

- surveys registers the LINKS half (``FollowupLinks``): it issues a single-use rating link for
  a subject (a signed token, only its hash stored) and redeems it with the response;
- feedback registers a RECEIVER per subject kind (``FollowupReceiver``): it says whether the
  subject can still be reopened, and records a rating (reopening the case when the sender says
  the problem is not solved, within the window).

Only ids, dates, the "solved?" answer, the sender's reason and counts of answers cross this
line, never contact data: the survey response stays anonymous (no case id on it), and the
case learns only what its own KPIs and reopening need.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app

from core.exceptions import ServiceError

PAKN_CASE = "pakn_case"
_EXTENSION = "followups"


@dataclass(frozen=True)
class LinkRequest:
    """What a subject's owner asks for: a link for ``subject_id`` of kind ``subject``,
    ratings counted for ``unit_id``, usable until ``expires_at``."""

    subject: str
    subject_id: int
    unit_id: int
    expires_at: datetime


@dataclass(frozen=True)
class FollowupRating:
    """What the sender answered, as the subject's owner receives it."""

    subject: str
    subject_id: int
    resolved: bool
    reason: str | None
    satisfied_answers: int  # rating items answered 4 or 5
    rated_answers: int      # rating items answered 1 to 5
    at: datetime


@dataclass(frozen=True)
class FollowupStatus:
    """What the rating page tells the sender about reopening, before and after rating."""

    unit_name: str
    reopen_until: datetime | None  # last moment "not solved" reopens the case
    can_reopen: bool
    reopened: bool = False


@dataclass(frozen=True)
class FollowupLinks:
    """Registered by surveys: ``issue`` stores a new token and returns its URL; ``url_of``
    returns the URL of the token issued for a subject (None if none was)."""

    issue: Callable[[LinkRequest], str]
    url_of: Callable[[str, int], str | None]


@dataclass(frozen=True)
class FollowupReceiver:
    """Registered by the subject's owner: ``status`` before the page is shown, ``record`` in
    the transaction that stores the response."""

    status: Callable[[int], FollowupStatus]
    record: Callable[[FollowupRating], FollowupStatus]


class FollowupUnavailable(ServiceError):
    """The other half is not installed in this app."""

    status = 404


def _registry(app: Flask | None = None) -> dict:
    app = app or current_app
    return app.extensions.setdefault(_EXTENSION, {"links": None, "receivers": {}})


def register_links(app: Flask, links: FollowupLinks) -> None:
    _registry(app)["links"] = links


def register_receiver(app: Flask, subject: str, receiver: FollowupReceiver) -> None:
    _registry(app)["receivers"][subject] = receiver


def links() -> FollowupLinks | None:
    """The link half, or None when surveys is not installed (then no link is sent)."""
    return _registry()["links"]


def receiver(subject: str) -> FollowupReceiver:
    found = _registry()["receivers"].get(subject)
    if found is None:
        raise FollowupUnavailable(f"no follow-up receiver for {subject!r}")
    return found
