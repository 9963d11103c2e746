"""`flask feedback …`: the PAKN commands. Each ``feedback/cli_*.py`` module adds its commands
to ``feedback_cli``; they call the same services as the pages."""

from __future__ import annotations

import importlib
import pkgutil

from flask.cli import AppGroup

import feedback

feedback_cli = AppGroup("feedback", help="PAKN: email intake, deadlines, notifications, "
                                         "retention, key rotation.")


def _load_command_modules() -> None:
    for module_info in pkgutil.iter_modules(feedback.__path__):
        if module_info.name.startswith("cli_"):
            importlib.import_module(f"feedback.{module_info.name}")


_load_command_modules()
