"""gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`."""

import multiprocessing
import os

from gunicorn.http import wsgi as gunicorn_wsgi

bind = os.environ.get("LANGNGHE_BIND", "127.0.0.1:8000")
# Sync workers: requests are short and the database does the waiting. 2 × cores + 1 is the
# usual start; measure with bench/ before changing it. On a small server that also runs
# PostgreSQL the requests are CPU-bound: on 2 cores, 2 workers took 300–360 submissions/s
# against 210–290 with 4 (bench/bench_survey_load.py), so set LANGNGHE_WORKERS to the cores.
workers = int(os.environ.get("LANGNGHE_WORKERS", multiprocessing.cpu_count() * 2 + 1))
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


# No "Server: gunicorn" on any answer (nginx drops it too, but a node may be reached directly
# on its port). gunicorn has no setting for it: its responses write the header in
# default_headers(), so drop that one line there. This file runs in the master before the
# workers fork, so every worker gets it.
_default_headers = gunicorn_wsgi.Response.default_headers


def _headers_without_server(self):
    return [line for line in _default_headers(self) if not line.startswith("Server:")]


gunicorn_wsgi.Response.default_headers = _headers_without_server
