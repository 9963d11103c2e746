"""gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`."""

import multiprocessing
import os
import shutil

from gunicorn.http import wsgi as gunicorn_wsgi

bind = os.environ.get("LANGNGHE_BIND", "127.0.0.1:8000")
# Sync workers: requests are short and the database does the waiting. 2 × cores + 1 is the
# usual start; measure with bench/ before changing it. On a small server that also runs
# PostgreSQL the requests are CPU-bound: on 2 cores, 2 workers took 300–360 submissions/s
# against 210–290 with 4 (bench/bench_survey_load.py), so set LANGNGHE_WORKERS to the cores.
workers = int(os.environ.get("LANGNGHE_WORKERS", multiprocessing.cpu_count() * 2 + 1))
os.environ["LANGNGHE_WORKERS"] = str(workers)  # the app refuses >1 without shared limits
worker_class = "sync"
timeout = 30
graceful_timeout = 30
max_requests = 5000
max_requests_jitter = 500
# Behind nginx on the same host: trust its X-Forwarded-* headers only.
forwarded_allow_ips = "127.0.0.1"
accesslog = "-"
# No query strings in the access log: they may carry data that does not belong in logs.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss rid=%({X-Request-ID}o)s'
errorlog = "-"
# Load the app once, in the master, before the port is bound. A node restarted after a crash
# then refuses connections (nginx sends them to the other node) until it can serve, instead of
# queueing them for the tens of seconds its imports take on a busy machine (measured with
# `make deploy-check`: requests waited 13–34 s behind a booting node without it); a killed
# worker is replaced by a fork in milliseconds, and the workers share the loaded code's pages
# (wsgi.py freezes them out of the garbage collector). New code needs a restart, not a HUP.
preload_app = True

# Prometheus' multiprocess mode (core/metrics.py): with PROMETHEUS_MULTIPROC_DIR set (the unit
# gives each node its own), start from an empty folder. Done here, when the master reads this
# file: before it loads the app (preload), which opens the folder's files.
_metrics_folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _metrics_folder:
    shutil.rmtree(_metrics_folder, ignore_errors=True)
    os.makedirs(_metrics_folder, exist_ok=True)


# No "Server: gunicorn" on any answer (nginx drops it too, but a node may be reached directly
# on its port). gunicorn has no setting for it: its responses write the header in
# default_headers(), so drop that one line there. This file runs in the master before the
# workers fork, so every worker gets it.
_default_headers = gunicorn_wsgi.Response.default_headers


def _headers_without_server(self):
    return [line for line in _default_headers(self) if not line.startswith("Server:")]


gunicorn_wsgi.Response.default_headers = _headers_without_server


def post_fork(server, worker):
    """Each worker opens its own database connections: drop (without closing) any that the
    master's pool holds from loading the app. Imported here: the master loaded them already."""
    import wsgi
    from core.extensions import db

    with wsgi.app.app_context():
        db.engine.dispose(close=False)


def child_exit(server, worker):
    """Forget an exited worker's live gauges (prometheus-client's multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
