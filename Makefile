# Two commands do everything on a fresh machine:
#   make run    serve the demo catalogue on SQLite at http://127.0.0.1:$(PORT)
#   make test   install, lint and run the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
FLASK := $(BIN)/flask --app wsgi
AXE := tests/browser/node_modules/axe-core/axe.min.js
MO_FILES := $(patsubst %.po,%.mo,$(wildcard seminar_app/translations/*/LC_MESSAGES/messages.po))

.PHONY: install run test lint translations translations-update bench clean screenshots

install: $(VENV)/.installed $(MO_FILES)

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

seminar_app/translations/%/LC_MESSAGES/messages.mo: seminar_app/translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d seminar_app/translations -l $* >/dev/null

translations: $(MO_FILES)

translations-update: $(VENV)/.installed
	$(BIN)/python tools/i18n.py update

# Development defaults (a public secret key, mail kept at /dev/mailbox, links to HOST:PORT)
# apply only when asked for; without APP_ENV the app is production and wants its settings.
run: export APP_ENV = development
run: export HOST := $(HOST)
run: export PORT := $(PORT)
run: install
	$(FLASK) db upgrade
	$(FLASK) content sync
	$(FLASK) demo load
	@echo "Staff console: create an account with"
	@echo "  APP_ENV=development $(FLASK) users create you@example.org --name '山田 花子' --role organizer --role admin"
	@echo "Mail: sent to SMTP_HOST when set; otherwise kept at http://$(HOST):$(PORT)/dev/mailbox"
	$(FLASK) outbox send --loop --interval 2 & sender=$$!; \
	  trap 'kill $$sender 2>/dev/null' EXIT INT TERM; \
	  $(FLASK) run --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python tools/i18n.py check
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/xenon --max-absolute C seminar_app

# axe-core, from the npm registry, for the accessibility checks in the browser tests.
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund --silent
	touch $@

test: lint $(AXE)
	$(BIN)/python -m pytest

# The suite's test of itself (not part of `make test`: it takes long): the timing-sensitive
# tests (browser, certificates, concurrency, outbox, faults, two servers) run beside
# stress-ng keeping every core busy, and must all pass. UNDER_LOAD_TESTS=tests: the whole suite.
.PHONY: test-under-load
test-under-load: install $(AXE)
	$(BIN)/python -m pytest -m under_load -s tests/load

# The README's pictures (docs/screenshots/): the demo served for real and photographed by
# Debian's chromium (apt-get install chromium chromium-l10n fonts-noto-cjk) at phone and desktop size.
screenshots: install
	$(BIN)/python tools/screenshots.py

bench: export APP_ENV = development
bench: install
	$(BIN)/python bench/registration_rush.py
	$(BIN)/python bench/checkin_rush.py
	$(BIN)/python bench/report_fy.py
	$(BIN)/python bench/announcement_burst.py
	$(BIN)/python bench/soak.py --minutes 3

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache test-output tests/browser/node_modules
	find seminar_app/translations -name '*.mo' -delete
