# `make demo` and `make test` work on a machine with only Python 3.11, git and apt:
# they create the virtualenv, install the pinned packages and the Debian packages they need.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 8000
EMULATOR_PORT ?= 12111
# Test processes (pytest-xdist): one per core. Each has its own test database; pytest-django's order
# (transactional tests last, as they empty the database) holds in each, as `--dist load` hands out
# the tests in that order. TEST_PROCESSES=0 runs the suite in this process alone.
TEST_PROCESSES ?= auto

.PHONY: install system-deps js-deps vendor lint format test test-sqlite test-postgres mutation demo bench messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q python3-venv && $(PYTHON) -m venv $(VENV); }

$(VENV)/.installed: $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

# Debian's chromium for the browser tests (Playwright drives it; it downloads no browser),
# pango for WeasyPrint's PDFs, and varnish for tests/test_varnish.py (deploy/varnish.vcl in front
# of gunicorn; varnishd is in /usr/sbin). Compiled translations are committed, so gettext is only
# needed by `make messages`.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	{ command -v varnishd || test -x /usr/sbin/varnishd; } >/dev/null || missing="$$missing varnish"; \
	ldconfig -p | grep -q libpango-1.0 || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing; \
	fi

# axe-core, pinned in package.json / package-lock.json, for the browser accessibility tests
# (injected into the pages; nothing of it is served). Node and npm come from Debian if missing.
node_modules/axe-core/axe.min.js: package.json package-lock.json
	command -v npm >/dev/null || { $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q nodejs npm; }
	npm ci --no-audit --no-fund
	touch $@

js-deps: node_modules/axe-core/axe.min.js

# Leaflet and its marker clustering, pinned in package.json / package-lock.json, are served by the
# site (the maps of events/maps.py): their dist files are copied into the events app's static files
# and committed, since a pip-installed site has no npm. After a version bump in package.json:
# `make vendor` and commit the copies (tests/test_vendored_assets.py fails until then).
LEAFLET_FILES := leaflet.js leaflet.js.map leaflet.css images/layers.png images/layers-2x.png \
	images/marker-icon.png images/marker-icon-2x.png images/marker-shadow.png
CLUSTER_FILES := leaflet.markercluster.js leaflet.markercluster.js.map MarkerCluster.css MarkerCluster.Default.css
VENDOR := events/static/events/vendor
vendor: js-deps
	rm -rf $(VENDOR)/leaflet $(VENDOR)/leaflet.markercluster
	mkdir -p $(VENDOR)/leaflet/images $(VENDOR)/leaflet.markercluster
	for file in $(LEAFLET_FILES); do cp node_modules/leaflet/dist/$$file $(VENDOR)/leaflet/$$file; done
	cp node_modules/leaflet/LICENSE $(VENDOR)/leaflet/LICENSE
	for file in $(CLUSTER_FILES); do cp node_modules/leaflet.markercluster/dist/$$file $(VENDOR)/leaflet.markercluster/$$file; done
	cp node_modules/leaflet.markercluster/MIT-LICENCE.txt $(VENDOR)/leaflet.markercluster/MIT-LICENCE.txt

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Three Spanish catalogues: each app's strings in its own locale/ (they ship in the package), the
# reference site's (config, site, home) in the project's locale/. makemessages files each string
# into the catalogue of the nearest locale/ folder above its source, so one run updates all three.
messages: install
	command -v msgfmt >/dev/null || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q gettext; }
	$(BIN)/python manage.py makemessages -l es --no-obsolete \
		--ignore=.venv --ignore=node_modules --ignore=tests --ignore=static --ignore=mutants
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules --ignore=mutants

# The whole suite on SQLite, then the database-specific tests (and those needing row locks and
# parallel connections, such as the ticket rush) on PostgreSQL.
test: install system-deps js-deps lint test-sqlite test-postgres

test-sqlite: install js-deps
	$(BIN)/pytest -m "not postgres_only" -n $(TEST_PROCESSES) --dist load

test-postgres: install
	DATABASE_URL=$(POSTGRES_URL) $(BIN)/pytest -m "postgres or postgres_only" -n $(TEST_PROCESSES) --dist load

# Mutation testing of the money and seat rules (docs/mutation.md): too slow for `make test`.
# Each module in turn (MUTATE=registrations.services.refunds for one); results are cached in
# mutants/, so a second run only tries what changed. Prints the surviving mutants at the end.
MUTATE ?= registrations.services.fulfilment registrations.services.capacity registrations.services.refunds
MUTATION_CHILDREN ?= 2
mutation: install
	for module in $(MUTATE); do $(BIN)/mutmut run --max-children $(MUTATION_CHILDREN) "$$module.*" || exit 1; done
	$(BIN)/mutmut results

# Without a real STRIPE_SECRET_KEY, payments go to the Stripe test emulator (registrations/stripe_emulator),
# started beside the site, so a paid registration can be completed offline.
# Served as production serves it (config/settings/demo.py: DEBUG off, static files by WhiteNoise),
# with links in pages and emails on http://$(HOST):$(PORT)/. Django's debug pages: make demo DEBUG=1
demo: export DJANGO_SETTINGS_MODULE = config.settings.demo
demo: export BASE_URL = http://$(HOST):$(PORT)
demo: export DEBUG ?= 0
demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@if [ -z "$$STRIPE_SECRET_KEY" ]; then \
		echo "No STRIPE_SECRET_KEY: payments go to the Stripe test emulator at http://127.0.0.1:$(EMULATOR_PORT)"; \
		$(BIN)/python -m registrations.stripe_emulator --port $(EMULATOR_PORT) \
			--webhook-url http://$(HOST):$(PORT)/stripe/webhook/ --webhook-secret whsec_demo_emulator & \
		trap "kill $$! 2>/dev/null" EXIT; \
		export STRIPE_SECRET_KEY=sk_test_demo_emulator STRIPE_WEBHOOK_SECRET=whsec_demo_emulator \
			STRIPE_API_BASE=http://127.0.0.1:$(EMULATOR_PORT); \
	fi; \
	echo "Site: $$BASE_URL/  (Ctrl-C stops it; Django's debug pages: make demo DEBUG=1)"; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The load figures of docs/performance.md: a PostgreSQL database of its own (BENCH_DB, kept and
# reused between runs once it holds EVENTS events), gunicorn with 2 workers, the Stripe emulator,
# and load from separate client processes; prints one table. Needs PostgreSQL and Redis as for
# `make test` (BENCH_POSTGRES, REDIS_URL). Generating the events takes about 15 minutes for
# EVENTS=1000000 on 2 cores (generate_events in 2 processes). Quicker trial: make bench EVENTS=2000 BENCH_DB=bench_small
EVENTS ?= 100000
BENCH_DB ?= bench
BENCH_POSTGRES ?= postgres://postgres@127.0.0.1:5432
BENCH_ARGS ?=
bench: install
	BENCH_POSTGRES=$(BENCH_POSTGRES) $(BIN)/python -m bench.run --events $(EVENTS) --db $(BENCH_DB) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules db.sqlite3 static media mutants
