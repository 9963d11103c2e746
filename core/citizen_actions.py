"""What a citizen can do from the home page and a unit's page, each one tap away: rate a service,
send a PAKN, look one up, read published answers, see an agency's figures.

Core never imports the packages that serve these pages (README: capabilities by name): it
links to their endpoints by name, and offers an action only when the app registered it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

from core.models import Unit, UnitKind
from core.org import PUBLIC_ROOT_KINDS


@dataclass(frozen=True)
class CitizenAction:
    key: str  # a stable name for styles and tests: rate, pakn, lookup, answers, figures
    label: str
    hint: str
    href: str


# (key, endpoint, label, hint): in the order a citizen needs them.
ACTIONS = (
    ("rate", "surveys_online", _l("Rate a service"),
     _l("Tell us how you were served. No QR code needed.")),
    ("pakn", "feedback_public.new", _l("Send feedback or a recommendation"),
     _l("Report a problem or make a recommendation (PAKN). The agency must answer.")),
    ("lookup", "feedback_public.status", _l("Look up your feedback"),
     _l("Follow what happened to a PAKN with its tracking code.")),
    ("answers", "feedback_answers_public.index", _l("Read published answers"),
     _l("Answers the agencies gave to feedback and recommendations.")),
    ("figures", "reports_public", _l("See the agencies' figures"),
     _l("Satisfaction and PAKN handling, agency by agency.")),
)
# On a unit's page the same actions are about that unit.
UNIT_TEXT = {
    "rate": (_l("Rate the service here"),
             _l("Tell us how you were served here. No QR code needed.")),
    "figures": (_l("See this agency's figures"),
                _l("Its satisfaction index and how it handles feedback.")),
}


def _agency_of(unit: Unit) -> Unit | None:
    """The unit itself or its nearest ancestor that the public pages and the PAKN form know
    (a province, agency, commune or service centre)."""
    current: Unit | None = unit
    while current is not None and current.kind not in PUBLIC_ROOT_KINDS:
        current = current.parent
    return current


def _registered(endpoint: str) -> bool:
    return endpoint in current_app.view_functions


def _href(key: str, base: str, unit: Unit | None) -> str | None:
    """The link of one action, for the whole site (``unit`` None) or pre-filled for a unit."""
    agency = _agency_of(unit) if unit is not None else None
    if key == "rate":
        endpoint, args = (f"{base}.start", {"code": unit.code}) if unit is not None \
            else (f"{base}.entry", {})
    elif key == "figures":
        endpoint, args = (f"{base}.agency", {"code": agency.code}) if agency is not None \
            else (f"{base}.index", {})
    elif key == "pakn" and unit is not None:
        endpoint, args = base, _pakn_args(unit, agency)
    else:
        endpoint, args = base, {}
    return url_for(endpoint, **args) if _registered(endpoint) else None


def _pakn_args(unit: Unit, agency: Unit | None) -> dict[str, str]:
    """The PAKN form's pre-selection: ?unit=<agency> (and &desk=<desk> from a desk's page)."""
    args = {"unit": agency.code} if agency is not None else {}
    if unit.kind == UnitKind.DESK.value:
        args["desk"] = unit.code
    return args


def citizen_actions(unit: Unit | None = None) -> list[CitizenAction]:
    """The actions the app offers, linked for ``unit`` when given (its page pre-fills it)."""
    found = []
    for key, base, label, hint in ACTIONS:
        href = _href(key, base, unit)
        if href is not None:
            label, hint = UNIT_TEXT.get(key, (label, hint)) if unit is not None else (label, hint)
            found.append(CitizenAction(key, str(label), str(hint), href))
    return found
