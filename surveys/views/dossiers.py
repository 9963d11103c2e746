"""Back office: dossiers of the user's units, their spreadsheet import, and the receipt slip
with a dossier's single-use rating QR (the plaintext link is shown on that slip only)."""

from __future__ import annotations

from functools import partial

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, or_

from core.access import Permission, require, unit_scope_clause
from core.audit import record_audit
from core.exceptions import ServiceError
from core.extensions import db
from core.import_page import SpreadsheetImportForm, handle_import
from core.models import Unit
from core.qr import qr_svg
from core.templating import format_date
from core.views.admin import require_staff
from surveys.dossier_import import COLUMN_ALIASES, MAX_BYTES, MAX_ROWS, import_dossiers
from surveys.models import Dossier
from surveys.tokens import issue_rating_token, token_url

bp = Blueprint("surveys_dossiers", __name__, url_prefix="/quan-tri/ho-so")

WRITE = Permission.DOSSIERS_WRITE
PAGE_SIZE = 50
# Printed in Vietnamese with an English line whatever the screen language, as posters are.
RECEIPT_TEXT = {
    "code": _l("Dossier code"),
    "procedure": _l("Procedure"),
    "appointed": _l("Appointed date"),
    "scan": _l("Scan the code to rate your dossier"),
    "type": _l("Or type this address:"),
    "expiry": _l("Single use, valid until %(date)s"),
}


bp.before_request(require_staff)


def _load(dossier_id: int) -> Dossier:
    dossier = db.session.get(Dossier, dossier_id) or abort(404)
    require(current_user, WRITE, dossier.unit, object_type="dossier", object_id=dossier.id)
    return dossier


@bp.get("/")
def index():
    """The dossiers of the user's units, newest first, searchable by code or procedure."""
    require(current_user, WRITE, None)
    query = (request.args.get("q") or "").strip()[:100]
    page = max(request.args.get("page", 1, type=int), 1)
    stmt = (db.select(Dossier).join(Unit, Unit.id == Dossier.unit_id)
            .where(unit_scope_clause(current_user, WRITE)))
    if query:
        pattern = f"%{query.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(or_(Dossier.code.ilike(pattern), Dossier.procedure_name.ilike(pattern),
                              Dossier.procedure_code.ilike(pattern)))
    total = db.session.scalar(db.select(func.count()).select_from(stmt.subquery())) or 0
    dossiers = db.session.scalars(stmt.order_by(Dossier.received_at.desc(), Dossier.id.desc())
                                  .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return render_template("surveys/dossiers.html", dossiers=dossiers, query=query, page=page,
                           total=total, pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1))


@bp.route("/nhap", methods=["GET", "POST"])
def import_page():
    """Import dossiers from a spreadsheet (or check it only)."""
    require(current_user, WRITE, None)
    return handle_import(SpreadsheetImportForm(), partial(import_dossiers, actor=current_user),
                         MAX_BYTES, _import_page, url_for(".index"))


def _import_page(form: SpreadsheetImportForm, report=None) -> str:
    columns: dict[str, list[str]] = {}
    for alias, name in COLUMN_ALIASES.items():
        columns.setdefault(name, []).append(alias)
    return render_template("surveys/dossier_import.html", form=form, report=report,
                           columns=columns, max_mb=MAX_BYTES // (1024 * 1024), max_rows=MAX_ROWS)


@bp.get("/<int:dossier_id>")
def detail(dossier_id: int):
    """One dossier's facts and dates, with the button that prints its rating receipt."""
    return render_template("surveys/dossier_detail.html", dossier=_load(dossier_id))


@bp.post("/<int:dossier_id>/phieu")
def issue_token(dossier_id: int):
    """Issue a single-use rating link and show the receipt slip with its QR to print."""
    dossier = _load(dossier_id)
    try:
        token, plaintext = issue_rating_token(dossier)
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(".detail", dossier_id=dossier.id))
    record_audit("dossier.token_issue", object_type="dossier", object_id=dossier.id,
                 unit_id=dossier.unit_id, after={"token_id": token.id,
                                                 "expires_at": token.expires_at})
    db.session.commit()
    url = token_url(plaintext)
    # Rendered straight away, not after a redirect: the link exists only in this response.
    return render_template("surveys/receipt.html", dossier=dossier, url=url,
                           text=_receipt_text(format_date(token.expires_at)),
                           qr=Markup(qr_svg(url)))  # our own SVG: no user markup in it


def _receipt_text(expiry: str) -> dict[str, dict[str, str]]:
    texts = {}
    for locale in ("vi", "en"):
        with force_locale(locale):
            texts[locale] = {key: str(text) % {"date": expiry} if key == "expiry" else str(text)
                             for key, text in RECEIPT_TEXT.items()}
    return texts
