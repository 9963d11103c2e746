"""Issue 16, explicit registration: what each package adds to the app is listed in its
contributes.py, and nothing registers itself as a side effect of being imported."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

from core.jobs import PERIODIC_JOBS
from core.menu import MENU

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("surveys", "feedback", "reports")
REGISTERING = {"add_menu_item", "register_periodic_job", "register_gauge", "register_settings",
               "register_section", "register_setup_check", "register_blueprint"}


def _module_level_calls(path: Path) -> list[str]:
    """Calls that run when the module is imported: statements at the top level, outside any
    function or class, including inside top-level if/for/with blocks."""
    found = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Call):
                func = inner.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in REGISTERING or (name == "append" and _appends_to_a_registry(func)):
                    found.append(f"{path.relative_to(ROOT)}:{inner.lineno} {name}")
    return found


def _appends_to_a_registry(func: ast.Attribute) -> bool:
    target = func.value
    return isinstance(target, ast.Name) and target.id.endswith(("_HOOKS", "_PREPARERS"))


def test_no_product_module_registers_anything_when_imported():
    sources = [path for package in ("core", *PACKAGES)
               for path in (ROOT / package).rglob("*.py")]
    assert len(sources) > 100
    found = [call for path in sources for call in _module_level_calls(path)]
    assert found == []


@pytest.mark.parametrize("package", PACKAGES)
def test_every_blueprint_of_a_package_is_listed_in_its_contributes(app, package):
    contribution = importlib.import_module(f"{package}.contributes").CONTRIBUTION
    assert contribution.package == package
    for folder, attribute, listed in (("views", "bp", contribution.blueprints),
                                      ("api", "blp", contribution.api_blueprints)):
        sub = importlib.import_module(f"{package}.{folder}")
        defined = {getattr(importlib.import_module(f"{package}.{folder}.{info.name}"),
                           attribute, None) for info in pkgutil.iter_modules(sub.__path__)}
        defined.discard(None)
        assert defined == set(listed), (package, folder)
        for blueprint in listed:
            assert app.blueprints[blueprint.name] is blueprint


def test_what_the_contributions_list_is_what_the_app_has(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    for package in PACKAGES:
        contribution = importlib.import_module(f"{package}.contributes").CONTRIBUTION
        for item in contribution.menu:
            assert item.endpoint in endpoints and item in MENU
        for job in contribution.jobs:
            assert PERIODIC_JOBS[job.name] == job
    # Every item of the office menu leads somewhere.
    assert {item.endpoint for item in MENU} <= endpoints
