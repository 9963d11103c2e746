"""What every capability package (surveys, feedback, …) does in its ``init_app``: register each
module of its ``views`` package that defines ``bp`` (a Flask blueprint), each module of its
``api`` package that defines ``blp`` (a core.api Blueprint, in the OpenAPI document and
exempt from CSRF: API clients use keys, not cookies), the CLI group and the demo loader its
``init_app`` passes (which also imports its ``metrics`` module, where it has one). One page group,
one module, no central list to edit."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

from flask import Flask
from flask.cli import AppGroup


def _modules(package_name: str):
    package = importlib.import_module(package_name)
    for module_info in pkgutil.iter_modules(package.__path__):
        yield importlib.import_module(f"{package_name}.{module_info.name}")


def register_capability(app: Flask, package: str, *, cli: AppGroup,
                        demo_loader: Callable[[], None] | None = None) -> None:
    from core.demo import DEMO_LOADERS
    from core.extensions import csrf

    for module in _modules(f"{package}.views"):
        blueprint = getattr(module, "bp", None)
        if blueprint is not None:
            app.register_blueprint(blueprint)
    api = app.extensions["langnghe_api"]
    for module in _modules(f"{package}.api"):
        blueprint = getattr(module, "blp", None)
        if blueprint is not None:
            csrf.exempt(blueprint)
            api.register_blueprint(blueprint)
    app.cli.add_command(cli)
    if demo_loader is not None and demo_loader not in DEMO_LOADERS:
        DEMO_LOADERS.append(demo_loader)
