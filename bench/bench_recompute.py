"""Full recompute of the SIPAS indices from raw desk ratings: wall time and peak memory.

Targets (issue #6): 1 million responses in one go ≤ 10 s and ≤ 1 GB peak memory; 10 million
as a chunked job ≤ 90 s and ≤ 4 GB, on this 2-core machine.

    .venv/bin/python bench/bench_recompute.py                       # 1M and 10M
    .venv/bin/python bench/bench_recompute.py --skip-10m            # 1M only
    .venv/bin/python bench/bench_recompute.py --skip-10m --database \
        --postgres postgresql://postgres@127.0.0.1/postgres   # + from SQLite and PostgreSQL
    .venv/bin/python bench/bench_recompute.py --smoke               # 50,000 responses (CI)

What "recompute" is here: raw wide rows (one per response: unit, day, channel, quality,
campaign, q9_24 … q9_39) → answer counts per unit × month × quality × item × value, chunk by
chunk, summed across chunks (counts are additive) → flagged responses left out → counts
rolled up the tree (``analysis.sipas.subtree_counts``: every desk counts for its department
and the province) → ``analysis.sipas.sipas_indices`` once per grouping: unit × month, unit ×
quarter and unit over the whole two years (item, element, component and overall levels, with
Wilson intervals).

Two ways to count a chunk, both timed:
- ``pandas``: ``DataFrame.melt`` to one row per answer, then ``analysis.sipas.answer_counts``
  (a groupby): what the product does on frames today;
- ``numpy``: each answer's key packed into one integer (``np.ravel_multi_index``) and counted
  with ``np.bincount``: the same counts without materialising the long frame.

The source: pyarrow is not installed (no Parquet), so the responses are first generated
(``bench/synthetic.py``, fixed seed) into ``.npy`` files under /tmp, one folder per chunk; the
recompute figure is reading those files into wide frames plus computing, and the generation
is reported apart. The files were just written, so they are read from the page cache.

Memory: each scenario runs in a child process of its own; its peak is the child's
``ru_maxrss`` (peak resident set size, from ``os.wait4``), which includes the interpreter and
the imported libraries (``baseline_peak_rss`` is a child that only imports them).

With ``--database`` the product's own path is measured too, from responses stored in a
database: a SQLite file (and, with ``--postgres URL``, a database ``bench_recompute`` (re)created
on that server) is migrated and loaded with ``--db-responses`` responses (default 1,000,000;
executemany on SQLite, COPY on PostgreSQL), each with its JSON answers and its rating string as
``submit_response`` writes them; then ``surveys.recount_frames.raw_answer_counts`` reads them
back in chunks and counts per unit × month × quality, and every index is computed (the
``sqlite_*`` and ``db_*`` figures; loading is not timed). The database is dropped afterwards.
``--smoke`` runs this on SQLite with 50,000 responses.

Prints ``name value unit`` lines and a verdict per target, writes bench/results/recompute.json.
A missed target is reported, not fatal.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from synthetic import (  # noqa: E402
    ITEM_CATALOGUE,
    ITEMS,
    QUALITIES,
    SyntheticSurvey,
    load_chunk,
    save_chunk,
    unit_tree,
    wide_frame,
)

RESULTS = ROOT / "bench" / "results" / "recompute.json"
# (name, comparison, limit, unit)
# The first method counted (numpy unless --method says otherwise) has the plain names; the
# other gets a suffix (recompute_1m_pandas_seconds …) and is judged against the same limits.
TARGETS = [(f"recompute_{size}{suffix}_{figure}", "<=", limit, unit)
           for suffix in ("", "_numpy", "_pandas")
           for size, seconds, memory in (("1m", 10, 1024), ("10m", 90, 4096))
           for figure, limit, unit in (("seconds", seconds, "s"), ("peak_rss", memory, "MB"))]
# From responses stored in a database (--database): the product's reader, per backend.
TARGETS += [(f"{prefix}_{figure}", "<=", limit, unit)
            for prefix in ("sqlite", "db")
            for figure, limit, unit in (("recompute_1m_projected_seconds", 10, "s"),
                                        ("recompute_peak_rss", 1024, "MB"),
                                        # only with --db-responses 10000000 (chunked)
                                        ("recompute_10m_seconds", 90, "s"),
                                        ("recompute_10m_peak_rss", 4096, "MB"))]
COUNT_KEYS = ["unit_id", "month", "quality", "item_code", "value"]
METHODS = ("numpy", "pandas")


# --- the recompute (what is timed) ----------------------------------------------------------

def _months(days: pd.Series) -> np.ndarray:
    return days.to_numpy().astype("datetime64[M]").astype("datetime64[ns]")


def counts_pandas(wide: pd.DataFrame) -> pd.DataFrame:
    """Melt to one row per answer, drop blanks, count with ``analysis.sipas.answer_counts``."""
    from analysis.sipas import answer_counts

    frame = wide[["unit_id", "quality", *ITEMS]].assign(month=_months(wide["day"]))
    long = frame.melt(id_vars=["unit_id", "month", "quality"], value_vars=list(ITEMS),
                      var_name="item_code", value_name="value").dropna(subset=["value"])
    counted = answer_counts(long, by=["unit_id", "month", "quality"])
    return _typed_counts(counted)


def counts_numpy(wide: pd.DataFrame) -> pd.DataFrame:
    """The same counts with packed integer keys and ``np.bincount`` (no long frame)."""
    unit_values, unit_code = np.unique(wide["unit_id"].to_numpy(), return_inverse=True)
    month_values, month_code = np.unique(_months(wide["day"]), return_inverse=True)
    quality_code = wide["quality"].cat.codes.to_numpy().astype("int64")
    answers = np.stack([wide[code].to_numpy(dtype="int64", na_value=0) for code in ITEMS])
    dims = (len(unit_values), len(month_values), len(QUALITIES), len(ITEMS), 6)
    per_response = np.ravel_multi_index((unit_code, month_code, quality_code,
                                         np.zeros_like(unit_code), np.zeros_like(unit_code)),
                                        dims)
    # key = per-response part + item × 6 + value (0 is a blank, dropped below).
    keys = per_response[None, :] + (np.arange(len(ITEMS)) * 6)[:, None] + answers
    counted = np.bincount(keys.ravel(), minlength=int(np.prod(dims))).reshape(dims)
    counted[..., 0] = 0
    unit, month, quality, item, value = np.nonzero(counted)
    frame = pd.DataFrame({
        "unit_id": unit_values[unit], "month": month_values[month],
        "quality": np.asarray(QUALITIES, dtype=object)[quality],
        "item_code": np.asarray(ITEMS, dtype=object)[item], "value": value,
        "count": counted[unit, month, quality, item, value]})
    return _typed_counts(frame)


def _typed_counts(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame[[*COUNT_KEYS, "count"]].astype({
        "unit_id": "int64", "quality": "str", "item_code": "str", "value": "int64",
        "count": "int64"})
    return frame.sort_values(COUNT_KEYS, kind="stable").reset_index(drop=True)


def add_counts(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Sum the counts of every chunk, key by key."""
    if len(frames) == 1:
        return frames[0]
    summed = pd.concat(frames, ignore_index=True).groupby(COUNT_KEYS, sort=True)["count"].sum()
    return summed.reset_index()


def all_indices(counts: pd.DataFrame, ancestry: pd.DataFrame) -> dict[str, object]:
    """Every unit (with its subtree) × month, × quarter and over the whole span, flagged
    responses left out (the dashboards' default)."""
    from analysis.periods import period_labels
    from analysis.sipas import sipas_indices, subtree_counts

    ok = counts[counts["quality"] == "ok"].drop(columns="quality")
    rolled = subtree_counts(ok, ancestry)
    codes, months = pd.factorize(rolled["month"], sort=True)
    results = {}
    for freq in ("month", "quarter"):
        labels = period_labels(pd.Series(months), freq).to_numpy()
        by_period = rolled.drop(columns="month").assign(period=labels[codes])
        if freq != "month":  # several months per label: add them up
            by_period = by_period.groupby(["unit_id", "period", "item_code", "value"],
                                          sort=True)["count"].sum().reset_index()
        results[freq] = sipas_indices(by_period, ITEM_CATALOGUE, by=["unit_id", "period"])
    whole = rolled.groupby(["unit_id", "item_code", "value"], sort=True)["count"].sum()
    results["all"] = sipas_indices(whole.reset_index(), ITEM_CATALOGUE, by=["unit_id"])
    return results


# --- child scenarios (each in its own process, so its peak memory is its own) ---------------

def child_baseline(_args: argparse.Namespace) -> dict[str, float]:
    import analysis.sipas  # noqa: F401  (what every scenario imports)

    return {}


def child_generate(args: argparse.Namespace) -> dict[str, float]:
    survey = SyntheticSurvey(args.responses, unit_tree(args.units), seed=args.seed)
    began = time.perf_counter()
    for number, raw in enumerate(survey.chunks(args.chunk)):
        save_chunk(raw, Path(args.data) / f"chunk_{number:05d}")
    took = time.perf_counter() - began
    manifest = {"responses": args.responses, "chunk": args.chunk, "units": args.units,
                "seed": args.seed, "start": survey.start.isoformat()}
    (Path(args.data) / "manifest.json").write_text(json.dumps(manifest))
    return {"seconds": took}


def child_recompute(args: argparse.Namespace) -> dict[str, float]:
    manifest = json.loads((Path(args.data) / "manifest.json").read_text())
    start = datetime.fromisoformat(manifest["start"]).date()
    count = counts_numpy if args.method == "numpy" else counts_pandas
    read = counting = 0.0
    answers = 0
    frames = []
    began = time.perf_counter()
    for folder in sorted(Path(args.data).glob("chunk_*")):
        t0 = time.perf_counter()
        wide = wide_frame(load_chunk(folder), start)
        t1 = time.perf_counter()
        frames.append(count(wide))
        t2 = time.perf_counter()
        read, counting = read + t1 - t0, counting + t2 - t1
        answers += int(frames[-1]["count"].sum())
        del wide
    t0 = time.perf_counter()
    counts = add_counts(frames)
    del frames
    t1 = time.perf_counter()
    tree = unit_tree(manifest["units"])
    indices = all_indices(counts, tree.ancestry())
    t2 = time.perf_counter()
    root_all = indices["all"].overall.set_index("unit_id").loc[tree.root]
    return {"seconds": t2 - began, "read_seconds": read, "count_seconds": counting,
            "sum_seconds": t1 - t0, "indices_seconds": t2 - t1, "answers": answers,
            "count_rows": len(counts), "index_rows": sum(
                len(getattr(result, level)) for result in indices.values()
                for level in ("items", "elements", "components", "overall")),
            "root_overall_index": float(root_all["index"])}


def child_database(args: argparse.Namespace) -> dict[str, float]:
    """Recompute from the loaded responses the way the product does it:
    ``surveys.recount_frames.raw_answer_counts`` (rating strings read in chunks, decoded and
    counted with numpy) per unit × month × quality, then every index."""
    from synthetic import bench_app

    app = bench_app(args.database_url, args.instance)
    manifest = json.loads(args.tree)
    tree = unit_tree(manifest["units"]).with_ids(manifest["ids"])
    from core.extensions import db
    from surveys.recount_frames import raw_answer_counts

    with app.app_context():
        began = time.perf_counter()
        counts = _typed_counts(raw_answer_counts(["unit_id", "month", "quality"],
                                                 chunk_rows=args.chunk_rows))
        read_and_count = time.perf_counter() - began
        t0 = time.perf_counter()
        indices = all_indices(counts, tree.ancestry())
        took = time.perf_counter() - t0
        root_all = indices["all"].overall.set_index("unit_id").loc[tree.root]
        db.session.remove()
        db.engine.dispose()
    return {"answers": int(counts["count"].sum()), "read_count_seconds": read_and_count,
            "indices_seconds": took, "root_overall_index": float(root_all["index"])}


CHILDREN = {"baseline": child_baseline, "generate": child_generate,
            "recompute": child_recompute, "database": child_database}


def run_child(name: str, *extra: str) -> tuple[dict[str, float], float]:
    """Run a scenario in a fresh interpreter; returns its figures (plus ``cpu_seconds``, the
    child's user + system CPU time) and its peak RSS in MB."""
    process = subprocess.Popen([sys.executable, __file__, "--child", name, *extra],
                               stdout=subprocess.PIPE, cwd=ROOT)
    output = process.stdout.read() if process.stdout else b""
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"scenario {name} failed with exit status {process.returncode}")
    figures = json.loads(output.decode().strip().splitlines()[-1])
    figures["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    return figures, usage.ru_maxrss / 1024  # Linux reports kilobytes


# --- the parent: generate, recompute, database ----------------------------------------------

Result = tuple[str, float | int, str]


def scenario(results: list[Result], data: Path, label: str, responses: int, chunk: int,
             args: argparse.Namespace, methods: tuple[str, ...]) -> None:
    folder = data / f"{label}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    common = ["--units", str(args.units), "--seed", str(args.seed)]
    generated, peak = run_child("generate", "--data", str(folder), "--responses",
                                str(responses), "--chunk", str(chunk), *common)
    size = sum(path.stat().st_size for path in folder.rglob("*.npy"))
    results += [(f"generate_{label}_seconds", generated["seconds"], "s"),
                (f"generate_{label}_peak_rss", peak, "MB"),
                (f"data_{label}_size", size / 2**20, "MB")]
    print(f"# generated {responses:,} responses in {generated['seconds']:.1f} s", flush=True)
    for method in methods:
        figures, peak = run_child("recompute", "--data", str(folder), "--method", method)
        name = f"recompute_{label}" + ("" if method == methods[0] else f"_{method}")
        results += [(f"{name}_seconds", figures["seconds"], "s"),
                    (f"{name}_peak_rss", peak, "MB"),
                    # CPU time of the whole child (imports included): on a shared machine
                    # the figure to compare between runs.
                    (f"{name}_process_cpu_seconds", figures["cpu_seconds"], "s"),
                    (f"{name}_read_seconds", figures["read_seconds"], "s"),
                    (f"{name}_count_seconds", figures["count_seconds"], "s"),
                    (f"{name}_sum_seconds", figures["sum_seconds"], "s"),
                    (f"{name}_indices_seconds", figures["indices_seconds"], "s"),
                    (f"{name}_answers", figures["answers"], "count"),
                    (f"{name}_count_rows", figures["count_rows"], "rows"),
                    (f"{name}_index_rows", figures["index_rows"], "rows"),
                    (f"{name}_root_overall_index", figures["root_overall_index"], "%")]
        print(f"# {label} with {method}: {figures['seconds']:.1f} s, {peak:.0f} MB",
              flush=True)
    shutil.rmtree(folder)


def database(results: list[Result], args: argparse.Namespace, instance: str,
             backend: str) -> None:
    """Load ``--db-responses`` generated responses into a fresh database (PostgreSQL with
    COPY, or a SQLite file with executemany), then time the product's recompute in a child."""
    from synthetic import (
        bench_app,
        copy_responses,
        create_units,
        drop_database,
        insert_responses_sqlite,
        load_desk_form,
        migrate,
        psycopg_url,
        recreate_database,
    )

    name = "bench_recompute"
    sqlite_path = Path(instance) / "recompute.db"
    url = recreate_database(args.postgres, name) if backend == "postgresql" else \
        f"sqlite:///{sqlite_path}"
    try:
        app = bench_app(url, instance)
        migrate(app)
        from core.db import write_intent
        from core.extensions import db
        from surveys.rating_codes import version_rated_codes

        with app.app_context(), write_intent():
            tree = create_units(unit_tree(args.units))
            version_id = load_desk_form()
            codes = version_rated_codes([version_id])[version_id]
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        survey = SyntheticSurvey(args.db_responses, tree, seed=args.seed, waves=[])
        began = time.perf_counter()
        if backend == "postgresql":
            import psycopg

            with psycopg.connect(psycopg_url(url)) as connection:
                loaded = copy_responses(connection, survey, version_id, codes=codes)
                connection.execute("ANALYZE survey_responses")
        else:
            loaded = insert_responses_sqlite(str(sqlite_path), survey, version_id, codes=codes)
        took = time.perf_counter() - began
        print(f"# loaded {loaded:,} responses into {backend} in {took:.1f} s", flush=True)
        tree_json = json.dumps({"units": args.units, "ids": tree.ids.tolist()})
        figures, peak = run_child("database", "--database-url", url, "--instance", instance,
                                  "--tree", tree_json, "--chunk-rows", str(args.chunk_rows))
        read, indices = figures["read_count_seconds"], figures["indices_seconds"]
        prefix = "db" if backend == "postgresql" else "sqlite"
        scale = 1_000_000 / loaded
        results += [(f"{prefix}_responses", loaded, "count"),
                    (f"{prefix}_answers", figures["answers"], "count"),
                    (f"{prefix}_read_count_seconds", read, "s"),
                    (f"{prefix}_read_count_rate", loaded / read, "responses/s"),
                    (f"{prefix}_indices_seconds", indices, "s"),
                    (f"{prefix}_recompute_seconds", read + indices, "s"),
                    (f"{prefix}_recompute_peak_rss", peak, "MB"),
                    (f"{prefix}_root_overall_index", figures["root_overall_index"], "%"),
                    # Reading and counting grow with the responses; the indices depend on the
                    # cells (units × months), not on the responses, so they are added once.
                    (f"{prefix}_recompute_1m_projected_seconds", read * scale + indices, "s")]
        if loaded == 10_000_000:
            results += [(f"{prefix}_recompute_10m_seconds", read + indices, "s"),
                        (f"{prefix}_recompute_10m_peak_rss", peak, "MB")]
    finally:
        if backend == "postgresql":
            drop_database(args.postgres, name)
        else:
            sqlite_path.unlink(missing_ok=True)


def run(args: argparse.Namespace) -> list[Result]:
    results: list[Result] = [("units", args.units, "count"), ("cpus", os.cpu_count() or 1,
                                                              "count")]
    _figures, peak = run_child("baseline")
    results.append(("baseline_peak_rss", peak, "MB"))
    methods = METHODS if args.method == "both" else (args.method,)
    with tempfile.TemporaryDirectory(prefix="bench-recompute-") as name:
        data = Path(args.data or name)
        if args.smoke:
            scenario(results, data, "smoke", 50_000, 20_000, args, methods)
            args.database, args.db_responses = True, 50_000
        else:
            label = "1m" if args.responses == 1_000_000 else f"{args.responses}"
            scenario(results, data, label, args.responses, args.responses, args, methods)
            if not args.skip_10m:
                ten = 10 * args.responses
                scenario(results, data, "10m" if ten == 10_000_000 else f"{ten}", ten,
                         args.chunk, args, methods)
        if args.database:
            instance = data / "instance"
            instance.mkdir(parents=True, exist_ok=True)
            database(results, args, str(instance), "sqlite")
            if args.postgres:
                database(results, args, str(instance), "postgresql")
    return results


def verdicts(values: dict[str, float | int]) -> list[str]:
    lines = []
    for name, op, limit, unit in TARGETS:
        if name not in values:
            continue
        value = values[name]
        met = {">=": value >= limit, "<=": value <= limit}[op]
        lines.append(f"# target {name} {op} {limit} {unit}: {'met' if met else 'MISSED'} "
                     f"({value:.1f})")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000,
                        help="responses of the one-go scenario (the chunked one has 10×)")
    parser.add_argument("--chunk", type=int, default=1_000_000,
                        help="responses per chunk of the chunked scenario")
    parser.add_argument("--units", type=int, default=250, help="units in the synthetic tree")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--method", choices=(*METHODS, "both"), default="both",
                        help="how chunks are counted")
    parser.add_argument("--skip-10m", action="store_true", help="only the one-go scenario")
    parser.add_argument("--postgres", metavar="URL",
                        help="also measure reading raw rows from PostgreSQL (a database "
                             "bench_recompute is created on that server and dropped)")
    parser.add_argument("--database", action="store_true",
                        help="also recompute from responses stored in SQLite (and in "
                             "PostgreSQL with --postgres)")
    parser.add_argument("--db-responses", type=int, default=1_000_000)
    parser.add_argument("--chunk-rows", type=int, default=200_000,
                        help="responses per chunk read from the database")
    parser.add_argument("--data", help="folder for the generated .npy files (default: a "
                                       "temporary folder under /tmp)")
    parser.add_argument("--smoke", action="store_true", help="50,000 responses (CI)")
    # Internal: run one scenario in this process (see run_child).
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--instance", help=argparse.SUPPRESS)
    parser.add_argument("--tree", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child](args)))
        return
    print("# recompute: " + ("50,000 responses in chunks of 20,000 (smoke)" if args.smoke else
                             f"{args.responses:,} responses in one go")
          + ("" if args.skip_10m or args.smoke else
             f", {10 * args.responses:,} in chunks of {args.chunk:,}")
          + f", {args.units} units, methods {args.method}", flush=True)
    results = run(args)
    for name, value, unit in results:
        print(f"{name} {value:.2f} {unit}" if isinstance(value, float) else
              f"{name} {value} {unit}")
    checks = verdicts({name: value for name, value, _unit in results})
    print("\n".join(checks))
    key = "smoke" if args.smoke else ("postgresql" if args.postgres else "files")
    stored = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    runs = stored.get("runs", {}) if stored.get("benchmark") == "recompute" else {}
    runs[key] = {
        "at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "python": platform.python_version(), "machine": platform.machine(),
        "cpus": os.cpu_count(), "load_average": os.getloadavg()[0],
        "results": [{"name": n, "value": round(v, 3) if isinstance(v, float) else v, "unit": u}
                    for n, v, u in results],
        "targets": checks,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "recompute",
        "targets": [f"{n} {op} {limit} {unit}" for n, op, limit, unit in TARGETS[:4]],
        "runs": runs}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
