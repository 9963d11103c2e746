"""Every analysis module lists its public names and shows one worked example, and the examples
hold (they are hand-checked values: see each module's docstring)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import analysis

MODULES = sorted(info.name for info in pkgutil.iter_modules(analysis.__path__))


@pytest.mark.parametrize("name", MODULES)
def test_module_has_public_names_and_a_passing_example(name):
    module = importlib.import_module(f"analysis.{name}")
    assert module.__all__, f"analysis.{name} has no __all__"
    assert all(hasattr(module, public) for public in module.__all__)
    result = doctest.testmod(module)
    assert result.attempted > 0, f"analysis.{name} has no doctest example"
    assert result.failed == 0
