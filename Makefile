# Everyday targets. `make run` and `make test` are the README's two commands.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8000

.PHONY: install run test lint typecheck messages ci clean-demo bench bench-scaleout browser pdf-libs fuzz

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

messages: install
	cd $(CURDIR) && DEBUG=true $(BIN)/python manage.py compilemessages --ignore=$(VENV) --ignore=bench -v 0

# The whole portal on embedded defaults (SQLite + a filesystem broker): no server needed.
# PORT=8001 make run serves on another port (the printed address and e-mail links follow);
# the demo's e-mails are written as files to var/mail/, not to the console.
run: export DEBUG ?= true
run: export PORTAL_URL ?= http://127.0.0.1:$(PORT)
run: export EMAIL_URL ?= filemail://$(CURDIR)/var/mail
run: install messages
	@$(MAKE) --no-print-directory pdf-libs || echo "make: without WeasyPrint's libraries the portal runs, but cannot print PDF reviews." >&2
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py seed_demo
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho -f Procfile.dev start --port $(PORT)

# Start the demo afresh: its SQLite database, broker, beat schedule, uploads and e-mails.
clean-demo:
	rm -rf var/portal.sqlite3 var/portal.sqlite3-wal var/portal.sqlite3-shm var/broker \
	  var/celerybeat-schedule* var/private var/mail
	@echo "make: demo data removed; 'make run' seeds it again."

# The browser test (tests/test_dashboard_browser.py) drives Debian's Chromium through its
# chromedriver; installed here when missing (as root, or through sudo), never downloaded by
# Selenium.
CHROMIUM     := /usr/bin/chromium
CHROMEDRIVER := /usr/bin/chromedriver

browser:
	@if [ ! -x $(CHROMIUM) ] || [ ! -x $(CHROMEDRIVER) ]; then \
	  echo "make: installing chromium and chromium-driver for the browser test (apt-get)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  { $$SUDO apt-get update -qq \
	    && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; } \
	  || { echo "make: could not install chromium and chromium-driver; the browser test needs them." >&2; exit 1; }; \
	  [ -x $(CHROMIUM) ] && [ -x $(CHROMEDRIVER) ] \
	  || { echo "make: $(CHROMIUM) or $(CHROMEDRIVER) still missing after apt-get." >&2; exit 1; }; \
	fi

# WeasyPrint (the monthly service review as PDF) needs Pango, HarfBuzz's subsetter and a font
# from Debian; installed here when missing (as root, or through sudo), like the browser.
PDF_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core

pdf-libs:
	@if [ "$$(dpkg-query -W -f='$${db:Status-Status}\n' $(PDF_DEBS) 2>/dev/null | grep -c '^installed$$')" != "$(words $(PDF_DEBS))" ]; then \
	  echo "make: installing WeasyPrint's libraries for the PDF reports (apt-get)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  { $$SUDO apt-get update -qq \
	    && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(PDF_DEBS); } \
	  || { echo "make: could not install $(PDF_DEBS); the PDF reports need them." >&2; exit 1; }; \
	fi

# The test suite, on real PostgreSQL and Redis (defaults in pyproject.toml; override with
# DATABASE_URL / REDIS_URL), and a headless Chromium for the browser test.
test: install messages browser pdf-libs
	$(BIN)/pytest $(PYTEST_ARGS)

# The API against its own schema: schemathesis (--checks all) as a contact, an engineer and an
# administrator, on a fresh database and a gunicorn of its own (fuzz/run.py; FUZZ_ARGS for
# --max-examples N, --roles …).
fuzz: install
	$(BIN)/python fuzz/run.py $(FUZZ_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: install
	DEBUG=true $(BIN)/mypy .

ci:
	bash .ci/run

bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# One portal instance against two behind a local nginx, on one PostgreSQL and one Redis.
bench-scaleout: install
	$(BIN)/python bench/scaleout.py $(SCALEOUT_ARGS)
