"""Public pages of the core: the home page, unit contact pages, the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request

from core.citizen_actions import citizen_actions
from core.i18n import LANG_COOKIE
from core.models import Unit
from core.org import public_directory, public_unit_by_code

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    """The front door: every citizen action first, then the agencies' pages."""
    return render_template("public/home.html", actions=citizen_actions(),
                           directory=public_directory())


@bp.get("/don-vi/<code>")
def unit(code: str):
    """A unit's contacts, with the citizen actions pre-filled for it."""
    found = public_unit_by_code(code)
    return render_template("public/unit.html", unit=found, actions=citizen_actions(found),
                           reach=_reachable(found))


def _reachable(unit: Unit) -> Unit | None:
    """The unit itself or, for a desk or division with no contact of its own, the nearest unit
    above it with a hotline or email: a citizen always gets someone to call."""
    current: Unit | None = unit
    while current is not None and not (current.hotline or current.email):
        current = current.parent
    return current


@bp.get("/lang/<code>")
def switch_language(code: str):
    """Remember the visitor's language in a cookie and go back to the page they were on."""
    target = _safe_next(request.args.get("next", "/"))
    response = redirect(target)
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True)
    return response


def _safe_next(target: str) -> str:
    """Only same-site paths: the switch must not become an open redirect."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target
