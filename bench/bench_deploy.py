"""The production stack under load: deploy/ run for real on loopback (nginx with TLS, two
gunicorn nodes, two RQ workers, two job runners, PostgreSQL, Redis) and proved by
deploy/check/run.py: soak, crash, slowloris, limits, one node against two, outbox.

    .venv/bin/python bench/bench_deploy.py                  # 10 min soak at 100 submissions/s,
                                                            # restarts PostgreSQL (warned)
    .venv/bin/python bench/bench_deploy.py --soak 240 --rate 60 --no-restart-postgres
    .venv/bin/python bench/bench_deploy.py --smoke          # CI: the stack up, 5 s a phase

Every option of deploy/check/run.py is accepted (see `--help` there). `make deploy-check` runs
its --quick mode. Prints ``name value unit`` lines and a verdict per target, writes
bench/results/deploy.json (one entry per mode: long, quick, smoke) and exits non-zero when a
correctness target fails (errors, lost or duplicated submissions, limits, headers, outbox,
recovery within 10 s); a missed speed target (soak p95, RSS growth) is reported, not fatal.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "deploy" / "check"))
from run import main  # noqa: E402  (deploy/check is not a package)

SMOKE = ["--quick", "--soak", "5", "--crash", "8", "--slow", "5", "--scale", "4",
         "--slowloris", "50", "--drain", "20"]


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--smoke" in args:
        args.remove("--smoke")
        sys.exit(main(SMOKE + args, label="smoke"))
    sys.exit(main(args))
