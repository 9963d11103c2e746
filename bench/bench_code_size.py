"""How easy the product code is to own: function sizes, module sizes, import scaffolding.

Prints ``name value unit`` lines (as every bench script) and writes JSON next to them. Product
code only: tests/, bench/, migrations/ and the virtualenv are left out. A function's size is its
line count from ``def`` to its last line, its docstring excluded (measured with ``ast``).

Targets (issue 16): function median <= 6 and p90 <= 20 lines; no module over 400 lines; no
optional-import scaffolding (``except ImportError``, ``find_spec``, ``_optional``); no
module-level import after the first function or class.

    .venv/bin/python bench/bench_code_size.py [--json PATH] [--smoke]
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "surveys", "feedback", "analysis", "reports")
SKIPPED_DIRS = {"migrations", "__pycache__"}
MAX_MODULE_LINES = 400
SCAFFOLDING = re.compile(r"_optional\(|except ImportError|find_spec\(")


def product_files() -> list[Path]:
    files = [ROOT / "wsgi.py"]
    for package in PACKAGES:
        files += [path for path in (ROOT / package).rglob("*.py")
                  if not SKIPPED_DIRS & set(path.relative_to(ROOT).parts)]
    return sorted(files)


def function_sizes(tree: ast.Module) -> list[int]:
    sizes = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        size = node.end_lineno - node.lineno + 1
        first = node.body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                and isinstance(first.value.value, str):
            size -= first.end_lineno - first.lineno + 1
        sizes.append(size)
    return sizes


def late_imports(tree: ast.Module) -> list[int]:
    """Line numbers of module-level imports that come after the first def or class."""
    seen_definition, late = False, []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            seen_definition = True
        elif seen_definition and isinstance(node, ast.Import | ast.ImportFrom):
            late.append(node.lineno)
    return late


def percentile(values: list[int], share: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low, high = int(position), min(int(position) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def measure() -> dict:
    sizes: list[int] = []
    big, scaffolding, late = [], [], []
    for path in product_files():
        source = path.read_text(encoding="utf-8")
        name = str(path.relative_to(ROOT))
        tree = ast.parse(source)
        sizes += function_sizes(tree)
        if source.count("\n") > MAX_MODULE_LINES:
            big.append(f"{name} ({source.count(chr(10))})")
        scaffolding += [f"{name}:{number}" for number, line in
                        enumerate(source.splitlines(), 1) if SCAFFOLDING.search(line)]
        late += [f"{name}:{number}" for number in late_imports(tree)]
    longest = sorted(sizes)[-10:]
    return {"functions": len(sizes), "function_median_lines": statistics.median(sizes),
            "function_p90_lines": round(percentile(sizes, 0.9), 1),
            "longest_functions_lines": longest, "modules_over_400": big,
            "scaffolding": scaffolding, "late_imports": late}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--smoke", action="store_true", help="the same quick run (for CI)")
    args = parser.parse_args(argv)
    figures = measure()
    print(f"functions {figures['functions']} count")
    print(f"function_median {figures['function_median_lines']} lines (target <= 6)")
    print(f"function_p90 {figures['function_p90_lines']} lines (target <= 20)")
    print(f"modules_over_400_lines {len(figures['modules_over_400'])} count (target 0)")
    print(f"import_scaffolding {len(figures['scaffolding'])} lines (target 0)")
    print(f"late_imports {len(figures['late_imports'])} count (target 0)")
    for label in ("modules_over_400", "scaffolding", "late_imports"):
        for entry in figures[label]:
            print(f"  {label}: {entry}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
