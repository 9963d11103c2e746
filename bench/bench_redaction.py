"""Recall and precision of the redactor per category on the hand-made corpus (issue #15 item 5).

The corpus (tests/feedback/redaction_corpus.py) holds Vietnamese PAKN sentences with the
passages that must be removed and negatives that must stay. Target: recall ≥ 98 % on
address, name, phone, email, bank account and vehicle plate, precision ≥ 90 %.

    .venv/bin/python bench/bench_redaction.py [--smoke] [--misses]

Prints the table, then ``name value unit`` lines, and writes bench/results/redaction.json.
``--smoke`` skips the speed measurement (the run CI does); ``--misses`` lists every missed
span and every wrong detection. Exits non-zero when a target is not met.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time as clock
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "redaction.json"


def detect(sample) -> list[tuple[str, int, int]]:
    from feedback.redaction import redact

    result = redact(sample.text, known_names=sample.known)
    return [(span.category, span.start, span.end) for span in result.spans]


def _table(tallies) -> list[str]:
    lines = [f"{'category':<14} {'expected':>8} {'recall':>8} {'detected':>8} {'precision':>9}"]
    for category, t in tallies.items():
        lines.append(f"{category:<14} {t.expected:>8} {t.recall:>8.1%} {t.detected:>8} "
                     f"{t.precision:>9.1%}")
    return lines


def _speed(corpus) -> float:
    rounds = 20
    began = clock.perf_counter()
    for _round in range(rounds):
        for sample in corpus:
            detect(sample)
    return rounds * len(corpus) / (clock.perf_counter() - began)


def _failures(tallies, scoring) -> list[str]:
    failed = []
    for category in scoring.TARGET_CATEGORIES:
        tally = tallies[category]
        if tally.recall < scoring.RECALL_TARGET:
            failed.append(f"recall {category} {tally.recall:.3f}")
        if tally.precision < scoring.PRECISION_TARGET:
            failed.append(f"precision {category} {tally.precision:.3f}")
    return failed


def main() -> None:
    from tests.feedback import redaction_corpus, redaction_scoring

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="no speed measurement")
    parser.add_argument("--misses", action="store_true", help="list misses and wrong finds")
    args = parser.parse_args()
    corpus = redaction_corpus.ALL_SAMPLES
    tallies = redaction_scoring.score(detect, corpus)
    print(f"{len(corpus)} sentences, "
          f"{sum(1 for s in corpus if not s.spans)} of them without personal data")
    print("\n".join(_table(tallies)))
    if args.misses:
        print("\n".join(redaction_scoring.misses(detect, corpus)))
    results = []
    for category, t in tallies.items():
        results += [(f"recall_{category}", t.recall, "ratio"),
                    (f"precision_{category}", t.precision, "ratio")]
    if not args.smoke:
        results.append(("sentences_per_second", _speed(corpus), "sentences/s"))
    for name, value, unit in results:
        print(f"{name} {value:.3f} {unit}")
    failed = _failures(tallies, redaction_scoring)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "redaction",
        "target": {"recall": redaction_scoring.RECALL_TARGET,
                   "precision": redaction_scoring.PRECISION_TARGET,
                   "categories": list(redaction_scoring.TARGET_CATEGORIES)},
        "smoke": args.smoke,
        "sentences": len(corpus),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "table": {c: {"expected": t.expected, "recalled": t.recalled, "detected": t.detected,
                      "correct": t.correct} for c, t in tallies.items()},
        "results": [{"name": n, "value": round(v, 3), "unit": u} for n, v, u in results],
        "failed": failed,
    }, indent=2) + "\n", encoding="utf-8")
    if failed:
        raise SystemExit("target not met: " + ", ".join(failed))


if __name__ == "__main__":
    main()
