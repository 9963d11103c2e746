"""What a capability package (surveys, feedback, reports) adds to the app, and how it is added.

Each package lists everything it contributes in one place, its ``contributes.py``: the page
blueprints, the API blueprints (in the OpenAPI document and exempt from CSRF: API clients use
keys, not cookies), the office menu items, the periodic jobs, the database gauges served at
/metrics, the CLI group and the demo loader. Its ``init_app`` hands that list to
``register_capability``. Nothing registers itself as a side effect of being imported
(tests/core/test_contributions.py checks both).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Flask
from flask.cli import AppGroup

from core.demo import DEMO_LOADERS
from core.extensions import csrf
from core.jobs import PeriodicJob, register_periodic_job
from core.menu import MenuItem, add_menu_item
from core.metrics import DatabaseGauge, register_gauge


@dataclass(frozen=True)
class Contribution:
    package: str
    blueprints: tuple[Blueprint, ...]
    cli: AppGroup
    api_blueprints: tuple[Blueprint, ...] = ()
    menu: tuple[MenuItem, ...] = ()
    jobs: tuple[PeriodicJob, ...] = ()
    gauges: tuple[DatabaseGauge, ...] = ()
    demo_loader: Callable[[], None] | None = None


def register_capability(app: Flask, contribution: Contribution) -> None:
    for blueprint in contribution.blueprints:
        app.register_blueprint(blueprint)
    api = app.extensions["langnghe_api"]
    for blueprint in contribution.api_blueprints:
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    for item in contribution.menu:
        add_menu_item(item)
    for job in contribution.jobs:
        register_periodic_job(job.name, job.func, job.every)
    for gauge in contribution.gauges:
        register_gauge(gauge.name, gauge.documentation, gauge.read, gauge.labels)
    app.cli.add_command(contribution.cli)
    loader = contribution.demo_loader
    if loader is not None and loader not in DEMO_LOADERS:
        DEMO_LOADERS.append(loader)
