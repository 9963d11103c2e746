"""Public pages of the core: the home page, unit contact pages, the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request

from core.i18n import LANG_COOKIE
from core.org import public_directory, public_unit_by_code

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    return render_template("public/home.html", directory=public_directory())


@bp.get("/don-vi/<code>")
def unit(code: str):
    return render_template("public/unit.html", unit=public_unit_by_code(code))


@bp.get("/lang/<code>")
def switch_language(code: str):
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
