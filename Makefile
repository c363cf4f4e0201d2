# Commands for a new machine: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VENDOR := src/tinhso/web/static/vendor
PUBLIC_DATA ?= ../shared/data
PORT ?= 8000
DATA_DIR ?= var
# The embedded default serves plain HTTP on loopback, so cookies cannot be Secure there.
RUN_ENV := TINHSO_DATA_DIR=$(DATA_DIR) TINHSO_ALLOWED_HOSTS=127.0.0.1,localhost TINHSO_SECURE_COOKIES=0 TINHSO_SECRET_KEY="$$(cat $(DATA_DIR)/secret_key)"
# Tests run with a throwaway key in debug mode.
TEST_ENV := TINHSO_DEBUG=1 TINHSO_DATA_DIR=$(CURDIR)/var/test
# PostgreSQL for the second test pass; .ci/run creates the database with PostGIS.
TINHSO_TEST_POSTGIS_URL ?= postgis://postgres@127.0.0.1:5432/tinhso_test

.PHONY: run setup install assets translations secret test lint typecheck migrations-check test-sqlite test-postgis test-e2e public-data clean

# The IOC's live feed arrives over MQTT: when a broker answers on 127.0.0.1:1883 the server
# process also runs the ingest worker.
run: setup
	$(RUN_ENV) $(BIN)/tinhso serve --host 127.0.0.1 --port $(PORT) \
	  $$(timeout 1 bash -c '</dev/tcp/127.0.0.1/1883' 2>/dev/null && echo --mqtt)

setup: install assets $(DATA_DIR)/secret_key
	$(RUN_ENV) $(BIN)/tinhso setup
	@if [ -d "$(PUBLIC_DATA)/boundaries" ]; then $(MAKE) --no-print-directory public-data; \
	else echo "No public data folder at $(PUBLIC_DATA); the map shows commune centres until boundaries are imported."; fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'

assets: node_modules/.package-lock.json
	mkdir -p $(VENDOR)/maplibre-gl $(VENDOR)/htmx $(VENDOR)/echarts $(VENDOR)/mapbox-gl-draw
	cp node_modules/maplibre-gl/dist/maplibre-gl-csp.js node_modules/maplibre-gl/dist/maplibre-gl-csp-worker.js \
	   node_modules/maplibre-gl/dist/maplibre-gl.css node_modules/maplibre-gl/LICENSE.txt $(VENDOR)/maplibre-gl/
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/htmx.org/LICENSE $(VENDOR)/htmx/
	cp node_modules/echarts/dist/echarts.min.js node_modules/echarts/LICENSE $(VENDOR)/echarts/
	cp node_modules/@mapbox/mapbox-gl-draw/dist/mapbox-gl-draw.js node_modules/@mapbox/mapbox-gl-draw/dist/mapbox-gl-draw.css \
	   node_modules/@mapbox/mapbox-gl-draw/LICENSE $(VENDOR)/mapbox-gl-draw/

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

$(DATA_DIR)/secret_key:
	mkdir -p $(DATA_DIR)
	umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@

# Optional: boundaries, the 2025 conversion table and statistics of the real province from the
# public data folder, through the platform's own importers (files already loaded are skipped),
# and the SigmaHQ rules with the EVTX attack samples through the SOC's collection path.
public-data:
	$(RUN_ENV) $(BIN)/tinhso demo load $(PUBLIC_DATA)
	@if [ -d "$(PUBLIC_DATA)/soc" ]; then $(RUN_ENV) $(BIN)/tinhso soc demo $(PUBLIC_DATA)/soc; fi

test: install assets translations lint typecheck migrations-check test-sqlite test-postgis test-e2e

# The .mo catalogues are built, not committed; the tests read the Vietnamese interface.
translations:
	$(TEST_ENV) $(BIN)/tinhso compiletranslations

lint:
	$(BIN)/ruff check src tests

typecheck:
	$(TEST_ENV) $(BIN)/mypy

migrations-check:
	$(TEST_ENV) $(BIN)/tinhso makemigrations --check --dry-run

test-sqlite:
	$(TEST_ENV) $(BIN)/pytest -m "not e2e" -p no:cacheprovider

test-postgis:
	$(TEST_ENV) TINHSO_DATABASE_URL=$(TINHSO_TEST_POSTGIS_URL) TINHSO_REQUIRE_POSTGIS=1 $(BIN)/pytest -m "not e2e" -p no:cacheprovider

test-e2e:
	$(TEST_ENV) $(BIN)/pytest -m e2e -p no:cacheprovider

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var
