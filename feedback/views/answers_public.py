"""Public pages of published PAKN answers: a searchable list, one page per answer and an
Atom feed. No login, citizen layout, Vietnamese first, no JavaScript.

These views read only Publication rows whose status is "published" (and the unit names):
never the case table, so nothing personal can reach them from there."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask import Blueprint, abort, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from wtforms import MonthField, SelectField, StringField
from wtforms.validators import Length, Optional

from core.clock import LOCAL_TZ, now
from core.extensions import csrf, db
from core.forms import BaseForm
from core.models import Unit
from core.public_urls import public_base_url, public_url_for
from core.text import fold
from feedback.evidence import format_legal_basis
from feedback.models import Publication
from feedback.publication import KIND_LABELS, TOPIC_LABELS

bp = Blueprint("feedback_answers_public", __name__, url_prefix="/tra-loi-pakn")
csrf.exempt(bp)  # GET pages only, no session

PAGE_SIZE = 20
FEED_SIZE = 50
MAX_QUERY = 200
MAX_PAGE = 10_000
EXCERPT = 240
PUBLISHED = "published"


class SearchForm(BaseForm):
    class Meta:
        csrf = False  # a GET search form: nothing changes

    q = StringField(_l("Search the answers"), validators=[Optional(), Length(max=MAX_QUERY)])
    topic = SelectField(_l("Topic"), validators=[Optional()])
    unit = SelectField(_l("Unit"), validators=[Optional()])
    from_month = MonthField(_l("From month"), validators=[Optional()])
    to_month = MonthField(_l("To month"), validators=[Optional()])


@dataclass
class Filters:
    words: list[str]
    topic: str | None = None
    unit_id: int | None = None
    start: datetime | None = None
    end: datetime | None = None


def _month_start(day: date) -> datetime:
    return datetime(day.year, day.month, 1, tzinfo=LOCAL_TZ).astimezone(UTC)


def _next_month_start(day: date) -> datetime:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return datetime(year, month, 1, tzinfo=LOCAL_TZ).astimezone(UTC)


def _units_with_answers() -> list[Unit]:
    return list(db.session.execute(
        select(Unit).where(Unit.id.in_(select(Publication.unit_id).where(
            Publication.status == PUBLISHED))).order_by(Unit.name_vi)).scalars())


def _search_form(units: list[Unit]) -> SearchForm:
    form = SearchForm(formdata=request.args)
    form.topic.choices = [("", _l("All topics")), *TOPIC_LABELS.items()]
    form.unit.choices = [("", _l("All units")), *((u.code, u.name_vi) for u in units)]
    return form


def _filters(form: SearchForm, units: list[Unit]) -> Filters | None:
    """The filters of a valid form, else None (the form carries the errors)."""
    valid = form.validate()
    if form.from_month.data and form.to_month.data and form.to_month.data < form.from_month.data:
        form.to_month.errors = [*form.to_month.errors,
                                _l("The end month is before the start month.")]
        valid = False
    if not valid:
        return None
    unit_id = next((u.id for u in units if u.code == form.unit.data), None)
    return Filters(
        words=fold(form.q.data or "").split()[:10],
        topic=form.topic.data or None,
        unit_id=unit_id,
        start=_month_start(form.from_month.data) if form.from_month.data else None,
        end=_next_month_start(form.to_month.data) if form.to_month.data else None)


def _filtered(filters: Filters):
    answered = func.coalesce(Publication.answered_at, Publication.published_at)
    query = select(Publication).where(Publication.status == PUBLISHED)
    for word in filters.words:
        query = query.where(Publication.search_text.contains(word, autoescape=True))
    if filters.topic:
        query = query.where(Publication.topic == filters.topic)
    if filters.unit_id is not None:
        query = query.where(Publication.unit_id == filters.unit_id)
    if filters.start is not None:
        query = query.where(answered >= filters.start)
    if filters.end is not None:
        query = query.where(answered < filters.end)
    return query


def _newest_first(query):
    return query.order_by(Publication.published_at.desc(), Publication.id.desc())


def _page_number() -> int:
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        return 1
    return min(max(page, 1), MAX_PAGE)


def _unit_names(pubs: list[Publication]) -> dict[int, Unit]:
    ids = {p.unit_id for p in pubs}
    if not ids:
        return {}
    return {u.id: u for u in db.session.execute(select(Unit).where(Unit.id.in_(ids))).scalars()}


def _excerpt(text: str, length: int = EXCERPT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[:length - 1].rstrip() + "…"


def _public(response, max_age: int = 60):
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    return response


def _args_without_page() -> dict[str, str]:
    return {k: v for k, v in request.args.items() if k != "page" and v}


@bp.get("/")
def index():
    """Published PAKN answers, newest first, searchable by words, topic, unit and month."""
    units = _units_with_answers()
    form = _search_form(units)
    filters = _filters(form, units)
    if filters is None:
        return render_template("feedback/answers/index.html", form=form, items=[],
                               units={}, page=1, pages=0, total=0, invalid=True,
                               args={}, topic_labels=TOPIC_LABELS), 400
    query = _filtered(filters)
    total = db.session.execute(
        select(func.count()).select_from(query.subquery())).scalar_one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(_page_number(), pages)
    items = list(db.session.execute(
        _newest_first(query).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).scalars())
    response = make_response(render_template(
        "feedback/answers/index.html", form=form, items=items, units=_unit_names(items),
        page=page, pages=pages, total=total, invalid=False, args=_args_without_page(),
        topic_labels=TOPIC_LABELS, excerpt=_excerpt))
    return _public(response)


@bp.get("/<slug>")
def show(slug: str):
    """One published PAKN answer: the question and the agency's answer."""
    if len(slug) > 24:
        abort(404)
    pub = db.session.execute(select(Publication).where(
        Publication.slug == slug, Publication.status == PUBLISHED)).scalar_one_or_none()
    if pub is None:
        abort(404)
    unit = db.session.get(Unit, pub.unit_id)
    return _public(make_response(render_template(
        "feedback/answers/show.html", pub=pub, unit=unit, topic_labels=TOPIC_LABELS,
        kind_labels=KIND_LABELS,
        legal_basis=format_legal_basis(pub.legal_document, pub.legal_article))))


def atom_time(moment: datetime | None) -> str:
    moment = moment or now()
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def entry_id(slug: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"langnghe:pakn-answer:{slug}").urn


@bp.get("/atom.xml")
def feed():
    """An Atom feed of the latest published PAKN answers, with the list's filters."""
    units = _units_with_answers()
    form = _search_form(units)
    filters = _filters(form, units)
    if filters is None:
        abort(400)
    items = list(db.session.execute(
        _newest_first(_filtered(filters)).limit(FEED_SIZE)).scalars())
    args = _args_without_page()
    # Links and the feed's id come from PUBLIC_BASE_URL, never the Host header: a feed is
    # cached and shared, and a forged Host would otherwise travel with it.
    feed_id = uuid.uuid5(uuid.NAMESPACE_URL, f"langnghe:pakn-answers:{public_base_url()}:"
                         f"{sorted(args.items())}").urn
    updated = max((p.published_at or p.updated_at for p in items), default=None)
    body = render_template(
        "feedback/answers/atom.xml", items=items, units=_unit_names(items),
        self_url=public_url_for(f"{bp.name}.feed", **args),
        index_url=public_url_for(f"{bp.name}.index", **args),
        entry_url=lambda slug: public_url_for(f"{bp.name}.show", slug=slug),
        feed_id=feed_id, updated=atom_time(updated), atom_time=atom_time,
        entry_id=entry_id, topic_labels=TOPIC_LABELS, excerpt=_excerpt)
    response = make_response(body)
    response.mimetype = "application/atom+xml"
    return _public(response, max_age=300)
