"""Prometheus metrics at /metrics (prometheus-client's text format).

Two kinds, so that figures stay right with several gunicorn workers and several nodes:

- **Per-process counters** (requests and latency by endpoint here; packages declare theirs with
  ``counter``, e.g. submissions). Each worker counts its own. With ``PROMETHEUS_MULTIPROC_DIR``
  set in the environment before the app starts (prometheus-client's multiprocess mode: an
  empty directory per node, wiped when gunicorn starts), a scrape of any worker sums every
  worker of the node; without it (one process, ``make run``) the process's own values are
  served. Prometheus scrapes each node and sums across nodes.
- **Gauges computed from the database at scrape time** (``register_gauge``): outbox backlog and
  age, each periodic job's last success here; packages add theirs (overdue PAKN). Every worker
  and node reads the same rows, so any scrape gives the same, current value.

Core never imports the packages: each package's ``metrics`` module registers its own counters
and gauges when the package is loaded (``core.capabilities``).

Who may read it: staff holding ``metrics.view`` system-wide (the system administrator), an API
key carrying ``metrics.view`` (``Authorization: Bearer …`` in Prometheus' scrape config), and,
with ``METRICS_ALLOW_LOOPBACK``, a request straight from loopback through no proxy. The figures
are aggregates (no personal data), but they describe the service's load and backlog, which is
not for the public.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import Blueprint, Flask, Response, current_app, request
from flask_login import current_user
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.registry import Collector
from sqlalchemy import event, func, inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, object_session
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from core.access import Permission, require, require_global
from core.apikeys import authenticate_api_key
from core.clock import now
from core.extensions import db
from core.jobs import PERIODIC_JOBS
from core.models import JobRun, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

bp = Blueprint("metrics", __name__)

# No "_created" series beside every counter: Prometheus does not need them, they double the text.
disable_created_metrics()
PROCESS_METRICS: list[MetricWrapperBase] = []
_PENDING = "langnghe_metrics_pending"  # Session.info key: counts waiting for the commit
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_FORWARDING_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


def counter(name: str, documentation: str, labels: Iterable[str] = ()) -> Counter:
    """A per-process counter served at /metrics (``_total`` is appended to ``name``)."""
    metric = Counter(name, documentation, list(labels), registry=None)
    PROCESS_METRICS.append(metric)
    return metric


REQUESTS = counter("langnghe_http_requests", "HTTP requests answered, by Flask endpoint",
                   ("method", "endpoint", "status"))
LATENCY = Histogram(
    "langnghe_http_request_duration_seconds",
    "Time from the first request hook to the response, by Flask endpoint",
    ["method", "endpoint"], registry=None,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
PROCESS_METRICS.append(LATENCY)


def observe_request(method: str, endpoint: str | None, status: int, seconds: float) -> None:
    """Count one answered request. Labels come from bounded sets only: the endpoint name
    (never the URL, which holds ids and codes) and known methods, so a client cannot grow
    the series without limit."""
    method = method if method in _METHODS else "other"
    endpoint = endpoint or "none"
    REQUESTS.labels(method, endpoint, str(status)).inc()
    LATENCY.labels(method, endpoint).observe(seconds)


def count_on_commit(row: object, metric: Counter, **labels: str) -> None:
    """Count ``row`` (just inserted, from a mapper ``after_insert`` hook) in ``metric`` once
    its transaction commits, so a counter of stored things never counts one that was not
    stored: a row whose savepoint or transaction rolled back is not counted."""
    session = object_session(row)
    if session is not None:
        session.info.setdefault(_PENDING, []).append((row, metric, labels))


@event.listens_for(Session, "after_commit")
def _count_committed(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: its rows are not stored until the outer commit
    for row, metric, labels in session.info.pop(_PENDING, ()):
        # A row inserted in a savepoint that rolled back is no longer persistent.
        if inspect(row).persistent:
            (metric.labels(**labels) if labels else metric).inc()


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)


# -- gauges read from the database at scrape time ------------------------------------------

Samples = float | Iterable[tuple[tuple[str, ...], float]]


@dataclass(frozen=True)
class DatabaseGauge:
    name: str
    documentation: str
    read: Callable[[], Samples]  # a number, or (label values, value) pairs with labels
    labels: tuple[str, ...] = ()


DATABASE_GAUGES: dict[str, DatabaseGauge] = {}


def register_gauge(name: str, documentation: str, read: Callable[[], Samples],
                   labels: Iterable[str] = ()) -> None:
    DATABASE_GAUGES[name] = DatabaseGauge(name, documentation, read, tuple(labels))


class DatabaseCollector(Collector):
    """Reads every registered gauge in the current app context at each scrape."""

    def collect(self) -> Iterable[GaugeMetricFamily]:
        for gauge in DATABASE_GAUGES.values():
            try:
                samples = gauge.read()
            except SQLAlchemyError:
                # One failing query must not hide the other metrics (or the process ones).
                log.warning("metrics: gauge %s could not be read", gauge.name, exc_info=True)
                db.session.rollback()
                continue
            family = GaugeMetricFamily(gauge.name, gauge.documentation,
                                       labels=list(gauge.labels))
            pairs = samples if gauge.labels else [((), samples)]
            for values, value in pairs:  # type: ignore[union-attr]
                family.add_metric(list(values), float(value))
            yield family


def scrape_registry() -> CollectorRegistry:
    """A registry for one scrape: this node's process metrics and the database gauges."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        for metric in PROCESS_METRICS:
            registry.register(metric)
        ProcessCollector(registry=registry)
    registry.register(DatabaseCollector())
    return registry


# -- who may scrape -------------------------------------------------------------------------

def _direct_from_loopback() -> bool:
    """A request from this host that passed no proxy: behind a local nginx every request
    comes from loopback too, but carries its forwarding headers."""
    if any(name in request.headers for name in _FORWARDING_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def _refuse_anonymous() -> None:
    raise Unauthorized(www_authenticate=WWWAuthenticate("Bearer", {"realm": "metrics"}))


def check_scraper() -> None:
    """Return if the caller may read the metrics; abort with 401 or 403 otherwise."""
    if current_app.config["METRICS_ALLOW_LOOPBACK"] and _direct_from_loopback():
        return
    presented = request.headers.get("Authorization") or request.headers.get("X-API-Key")
    if presented:
        key = authenticate_api_key(presented)
        if key is None:
            _refuse_anonymous()
        require(key, Permission.METRICS_VIEW, None)  # 403, logged, without the permission
        return
    if not current_user.is_authenticated:
        _refuse_anonymous()
    require_global(current_user, Permission.METRICS_VIEW)


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus metrics of this node (counters) and of the whole service (gauges)."""
    check_scraper()
    return Response(generate_latest(scrape_registry()), mimetype=CONTENT_TYPE_LATEST)


# -- the core's own gauges --------------------------------------------------------------------

def _outbox_by_status() -> list[tuple[tuple[str], int]]:
    wanted = [OutboxStatus.PENDING.value, OutboxStatus.DEAD.value]
    counts = dict(db.session.execute(
        select(OutboxMessage.status, func.count(OutboxMessage.id))
        .where(OutboxMessage.status.in_(wanted)).group_by(OutboxMessage.status)).all())
    return [((status,), counts.get(status, 0)) for status in wanted]


def _oldest_pending_age() -> float:
    oldest = db.session.scalar(select(func.min(OutboxMessage.created_at)).where(
        OutboxMessage.status == OutboxStatus.PENDING.value))
    return 0.0 if oldest is None else max(0.0, (now() - oldest).total_seconds())


def _job_last_successes() -> list[tuple[tuple[str], float]]:
    found = dict(db.session.execute(select(JobRun.name, JobRun.last_success_at)).all())
    # A registered job that never succeeded shows 0, so "time() - value" alerts on it too.
    names = sorted(set(PERIODIC_JOBS) | set(found))
    return [((name,), found[name].timestamp() if found.get(name) else 0.0) for name in names]


CORE_GAUGES = (
    DatabaseGauge("langnghe_outbox_messages", "Outbox messages waiting (pending) or given up "
                  "(dead)", _outbox_by_status, labels=("status",)),
    DatabaseGauge("langnghe_outbox_oldest_pending_age_seconds",
                  "Age of the oldest message still waiting in the outbox (0 when none)",
                  _oldest_pending_age),
    DatabaseGauge("langnghe_job_last_success_timestamp_seconds",
                  "When each periodic job last succeeded (Unix time; 0: never)",
                  _job_last_successes, labels=("job",)),
)


def init_metrics(app: Flask) -> None:
    for gauge in CORE_GAUGES:
        register_gauge(gauge.name, gauge.documentation, gauge.read, gauge.labels)
    app.register_blueprint(bp)
