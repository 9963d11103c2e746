# Two commands: `make run` and `make test`. Both need only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# Where QR codes, posters and messages send people; to scan from a phone on your network:
# make run HOST=0.0.0.0 PUBLIC_BASE_URL=http://<this machine's address>:5000
PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)
PYTEST_ARGS ?=
# Test processes (pytest-xdist): one per core by default; PYTEST_WORKERS=0 runs in this process.
PYTEST_WORKERS ?= auto
export FLASK_APP := wsgi

.PHONY: run test install install-dev translations migrate seed lint bench deploy-check clean extract-messages

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# A random secret key for this machine, written once; instance/ is never committed.
instance/config.py:
	mkdir -p instance
	$(BIN)/python -c "import secrets; print('SECRET_KEY = %r' % secrets.token_urlsafe(48))" > $@

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d translations

migrate: install translations instance/config.py
	$(BIN)/flask db upgrade

seed: migrate
	$(BIN)/flask core seed-demo

# The development server speaks plain HTTP, so the session cookie cannot be Secure-only here;
# production (deploy/) keeps the default (Secure) behind TLS.
run: seed
	@echo ""
	@echo "Serving on http://$(HOST):$(PORT)/  (staff sign-in: http://$(HOST):$(PORT)/dang-nhap)"
	@echo "Job worker (outbox: PAKN receipts and answers are logged, not mailed, until MAIL_BACKEND=smtp) runs alongside."
	LANGNGHE_PUBLIC_BASE_URL=$(PUBLIC_BASE_URL) $(BIN)/flask jobs work --interval 10 & JOBS=$$!; \
	trap 'kill $$JOBS 2>/dev/null' EXIT INT TERM; \
	LANGNGHE_PUBLIC_BASE_URL=$(PUBLIC_BASE_URL) LANGNGHE_SESSION_COOKIE_SECURE=false \
	$(BIN)/flask run --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-dev translations
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot --no-location --sort-output --omit-header .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

bench: $(VENV)/.installed-dev
	@for script in bench/bench_*.py; do $(BIN)/python $$script; done

# The deploy/ stack for real on loopback (nginx, two gunicorn nodes, RQ, job runners, PostgreSQL
# and Redis on 127.0.0.1), proved in about two minutes, then torn down: see README, Production.
# The long run (10 min soak, PostgreSQL restart) is bench/bench_deploy.py.
deploy-check: $(VENV)/.installed-dev translations
	$(BIN)/python deploy/check/run.py --quick

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
