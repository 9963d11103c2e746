"""Imports of our own packages sit at the top of each module, never inside a function: a cycle
is fixed by moving the shared piece, not hidden by a late import (README, "Imports at the top")."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "surveys", "feedback", "analysis", "reports")


def _imported_module(node: ast.AST) -> str | None:
    if isinstance(node, ast.ImportFrom) and node.level == 0:
        return node.module
    if isinstance(node, ast.Import):
        return node.names[0].name
    return None


def _late_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            module = _imported_module(node)
            if module and module.split(".")[0] in PACKAGES:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {module}")
    return found


def test_no_function_imports_our_packages():
    late = [hit for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
            for hit in _late_imports(path)]
    assert late == []


def test_the_check_sees_a_late_import(tmp_path, monkeypatch):
    module = tmp_path / "late.py"
    module.write_text("def f():\n    from core.clock import now\n    return now()\n")
    monkeypatch.setattr("tests.core.test_imports.ROOT", tmp_path)
    assert _late_imports(module) == ["late.py:2 core.clock"]
