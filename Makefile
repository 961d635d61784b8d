# Skyway developer workflow. On a fresh machine: `make run` (everything up) and `make test`.
# Two install levels (scripts/bootstrap.sh, docs/adr/0105): `install` is what serving needs and all
# `make run` pulls; `install-dev` adds the test and release tooling, and every target that needs it
# depends on it.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
FLIGHTS_PORT ?= 8001
RESERVATIONS_PORT ?= 8002
# With LEGACY_UPSTREAM_URL set, make run-split puts the strangler edge on $(PORT) and the gateway here.
GATEWAY_BACKEND_PORT ?= 8010
WEB_WORKERS ?= 2
# pytest-xdist for make test / test-fast: tests sharing a module- or session-scoped fixture (a live
# stack, a browser) form one group and run on one worker (tests/conftest.py, docs/adr/0106).
# TEST_WORKERS=0 runs serially.
TEST_WORKERS ?= auto
XDIST = $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadgroup)
# The developer's machine runs the dev settings; deployments set DEBUG=0 and a SECRET_KEY.
export DEBUG ?= 1
# No DJANGO_SETTINGS_MODULE here: manage.py defaults to settings.platform, and pytest must keep its
# settings.test (pytest-django lets the environment override pyproject's setting).

.PHONY: help install install-dev run run-split stop test test-fast test-mysql test-cluster lint format schema diagrams shell migrate seed \
        serve-flights serve-reservations serve-gateway bench bench-report faults rollout terraform-check clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

$(VENV)/.installed-runtime: requirements.txt scripts/bootstrap.sh
	VENV=$(VENV) ./scripts/bootstrap.sh runtime

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt scripts/bootstrap.sh
	VENV=$(VENV) ./scripts/bootstrap.sh dev

install: $(VENV)/.installed-runtime  ## runtime only: system libraries (if missing) + virtualenv with requirements.txt

install-dev: $(VENV)/.installed-dev  ## install + test/release tools: requirements-dev.txt, chromium, wrk, .venv-checkov

migrate: install  ## migrate every context's database
	@echo "==> migrating every context's database"
	$(PY) manage.py migrate_contexts

seed: migrate  ## seed flights (idempotent), the demo customers and the staff user (DEBUG only)
	@echo "==> seeding flights, demo customers and the staff user"
	$(PY) manage.py seed_flights
	$(PY) manage.py seed_demo_customers

run: seed  ## the whole platform in one process on $(HOST):$(PORT)
	@echo "==> starting the embedded Redis"
	@$(PY) manage.py embedded_redis start >/dev/null 2>&1 || true
	@echo ""
	@echo "Skyway platform on http://$(HOST):$(PORT)"
	@echo "  seat-chart page   http://$(HOST):$(PORT)/"
	@echo "  gateway API       http://$(HOST):$(PORT)/api/  (browsable; Log in as alice / skyway-demo)"
	@echo "  flights API       http://$(HOST):$(PORT)/flights?flight_no=AA2532&departure_date_time=2020-05-17T13:20"
	@echo "  seat map          http://$(HOST):$(PORT)/flights/AA2532/seat_map"
	@echo "  reservations API  http://$(HOST):$(PORT)/reservations?flight_id=<flight_id>"
	@echo "  Swagger UI        http://$(HOST):$(PORT)/schema/swagger-ui/"
	@echo "  Redoc             http://$(HOST):$(PORT)/schema/redoc/"
	@echo "  health / metrics  http://$(HOST):$(PORT)/health  http://$(HOST):$(PORT)/metrics"
	@echo "  admin             http://$(HOST):$(PORT)/admin/  (staff / skyway-demo)"
	@echo ""
	@# under var/run/platform.pid: `make stop` ends it from another terminal (docs/adr/0130)
	$(PY) -m skyway.devrun run platform -- $(PY) manage.py runserver $(HOST):$(PORT)

run-split: install-dev  ## flights, reservations and gateway as three processes (Procfile, honcho: a dev tool), the strangler edge too with LEGACY_UPSTREAM_URL; Ctrl-C stops all
	DJANGO_SETTINGS_MODULE=settings.flights $(PY) manage.py migrate_contexts
	DJANGO_SETTINGS_MODULE=settings.flights $(PY) manage.py seed_flights
	DJANGO_SETTINGS_MODULE=settings.gateway $(PY) manage.py migrate_contexts
	@if DJANGO_SETTINGS_MODULE=settings.gateway $(PY) manage.py help seed_demo_customers >/dev/null 2>&1; then \
		DJANGO_SETTINGS_MODULE=settings.gateway $(PY) manage.py seed_demo_customers; fi
	@echo ""
	@echo "Skyway split mode (Ctrl-C stops all three; \`make stop\` from anywhere stops them and the embedded Redis):"
	@echo "  gateway        http://$(HOST):$(PORT)/   (API under /api/, Swagger /schema/swagger-ui/, /metrics)"
	@echo "  flights        http://$(HOST):$(FLIGHTS_PORT)/flights?flight_no=AA2532&departure_date_time=2020-05-17T13:20"
	@echo "  reservations   http://$(HOST):$(RESERVATIONS_PORT)/reservations?flight_id=<flight_id>"
	@echo ""
	@if [ -n "$(LEGACY_UPSTREAM_URL)" ]; then \
		echo "  legacy         $(LEGACY_UPSTREAM_URL): every path the gateway does not own goes there through the edge on :$(PORT) (gateway on :$(GATEWAY_BACKEND_PORT))"; echo ""; fi
	PATH="$(abspath $(VENV))/bin:$$PATH" HOST=$(HOST) GATEWAY_PORT=$(PORT) FLIGHTS_PORT=$(FLIGHTS_PORT) \
		GATEWAY_BACKEND_PORT=$(if $(LEGACY_UPSTREAM_URL),$(GATEWAY_BACKEND_PORT),$(PORT)) \
		RESERVATIONS_PORT=$(RESERVATIONS_PORT) UPSTREAM_WORKERS=$(WEB_WORKERS) \
		$(PY) -m skyway.devrun run split -- $(VENV)/bin/honcho start --no-prefix -f Procfile \
		flights reservations gateway projector $(if $(LEGACY_UPSTREAM_URL),edge)

stop:  ## stop what make run / run-split started (var/run/*.pid), then every embedded Redis of this checkout
	-$(PY) -m skyway.devrun stop
	@# With SKYWAY_VAR_DIR set, only that var dir's Redis: a test run's own servers are not ours to stop.
	-$(PY) manage.py embedded_redis stop $(if $(SKYWAY_VAR_DIR),,--all)

serve-flights: install  ## only the flights deployable on $(FLIGHTS_PORT) (skyway.serve, as in the image)
	DJANGO_SETTINGS_MODULE=settings.flights $(PY) manage.py migrate_contexts
	DJANGO_SETTINGS_MODULE=settings.flights $(PY) manage.py seed_flights
	$(PY) -m skyway.serve --settings settings.flights --host $(HOST) --port $(FLIGHTS_PORT) --workers $(WEB_WORKERS)

serve-reservations: install  ## only the reservations deployable on $(RESERVATIONS_PORT)
	$(PY) -m skyway.serve --settings settings.reservations --host $(HOST) --port $(RESERVATIONS_PORT) --workers $(WEB_WORKERS)

serve-gateway: install  ## only the gateway deployable on $(PORT) (set FLIGHTS_URL, RESERVATIONS_URL)
	DJANGO_SETTINGS_MODULE=settings.gateway $(PY) manage.py migrate_contexts
	@# the launcher's gateway sizing: one worker, 16 threads (breakers per process; /metrics adds up workers, docs/adr/0123)
	$(PY) -m skyway.serve --settings settings.gateway --host $(HOST) --port $(PORT)

test: install-dev  ## the whole suite on embedded defaults (SQLite, embedded Redis), on $(TEST_WORKERS) xdist workers
	env -u DEBUG -u DJANGO_SETTINGS_MODULE $(VENV)/bin/pytest $(XDIST)

test-fast: install-dev  ## unit tests only: no live processes (e2e, browser, fuzz, CLIs, ansible), about a minute
	env -u DEBUG -u DJANGO_SETTINGS_MODULE $(VENV)/bin/pytest $(XDIST) -m 'not live and not rollout and not faults and not cluster' \
		-p no:schemathesis -p no:playwright --ignore=tests/e2e --ignore=tests/fuzz --ignore=tests/browser --ignore=tests/faults

test-mysql: install-dev  ## the SQL/Redis-sensitive suites against MariaDB and Redis on 127.0.0.1
	env -u DEBUG -u DJANGO_SETTINGS_MODULE FLIGHTS_DATABASE_URL=$${FLIGHTS_DATABASE_URL:-mysql://root@127.0.0.1:3306/skyway_flights} \
		GATEWAY_DATABASE_URL=$${GATEWAY_DATABASE_URL:-mysql://root@127.0.0.1:3306/skyway_gateway} \
		REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/13} REDIS_KEY_PREFIX=skyway-ci: \
		$(VENV)/bin/pytest -m 'not browser and not rollout and not faults and not cluster' \
		tests/platform tests/flights tests/reservations tests/gateway tests/security tests/contract

# A local Redis Cluster (3 masters + 1 replica each, Debian's redis-server) on loopback ports: client and
# cluster-bus ports both come from this range (tests/support/redis_cluster.py, docs/adr/0138), and so do
# the suite's own (SKYWAY_TEST_PORTS): the private clusters tests/cluster starts, the deployables.
REDIS_CLUSTER_DIR ?= var/redis-cluster
REDIS_CLUSTER_PORTS ?= $(or $(SKYWAY_TEST_PORTS),30000-30999)
CLUSTER_CLI = env -u DJANGO_SETTINGS_MODULE $(PY) -m tests.support.redis_cluster

test-cluster: install-dev  ## reservations, gateway and contract suites + tests/cluster on a local Redis Cluster it starts (and stops, even on failure)
	@url=$$($(CLUSTER_CLI) start --dir $(REDIS_CLUSTER_DIR) --ports $(REDIS_CLUSTER_PORTS)) || exit 1; \
	trap '$(CLUSTER_CLI) stop --dir $(REDIS_CLUSTER_DIR)' EXIT; \
	echo "==> Redis Cluster at $$url"; \
	env -u DEBUG -u DJANGO_SETTINGS_MODULE REDIS_URL=$$url REDIS_KEY_PREFIX=skyway-ci: \
		SKYWAY_REDIS_CLUSTER_DIR=$(abspath $(REDIS_CLUSTER_DIR)) SKYWAY_TEST_PORTS=$(REDIS_CLUSTER_PORTS) \
		$(VENV)/bin/pytest -m 'not browser and not rollout and not faults' \
		tests/reservations tests/gateway tests/contract tests/cluster

lint: install-dev  ## ruff lint + format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev  ## ruff format + autofix
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

schema: install  ## write each deployable's OpenAPI file to docs/openapi/
	@mkdir -p docs/openapi
	@for s in flights reservations gateway; do \
		DJANGO_SETTINGS_MODULE=settings.$$s $(PY) manage.py spectacular --validate --file docs/openapi/$$s.yaml && echo "docs/openapi/$$s.yaml"; \
	done

diagrams:  ## render docs/design/*.puml to SVG (needs Debian's plantuml and graphviz: apt-get install --no-install-recommends plantuml graphviz)
	@command -v plantuml >/dev/null || { echo "plantuml is not installed: apt-get install -y --no-install-recommends plantuml" >&2; exit 1; }
	@command -v dot >/dev/null || { echo "graphviz (dot) is not installed: apt-get install -y --no-install-recommends graphviz" >&2; exit 1; }
	plantuml -tsvg -failfast2 docs/design/*.puml

shell: install  ## Django shell on the platform settings
	$(PY) manage.py shell

bench: install-dev  ## load, contention and latency figures (bounded, loopback only); progress as it goes; appends bench/results/history.jsonl
	env -u DEBUG $(PY) bench/run_all.py

bench-report: install-dev  ## draw bench/results/history.jsonl as docs/screenshots/bench-history.png (matplotlib)
	$(PY) bench/report.py

faults: install-dev  ## fault runs under load: kill services, stop Redis, slow upstreams
	env -u DEBUG -u DJANGO_SETTINGS_MODULE $(VENV)/bin/pytest -m faults tests/faults

rollout: install-dev  ## canary / blue-green / rollback against real local processes
	env -u DEBUG -u DJANGO_SETTINGS_MODULE $(VENV)/bin/pytest -m rollout

terraform-check: install-dev  ## terraform fmt -check and checkov over terraform/ (offline; plan/apply need AWS)
	terraform fmt -check -recursive terraform
	.venv-checkov/bin/checkov -d terraform --framework terraform --quiet --compact

clean:  ## remove local state (databases, embedded Redis data)
	-$(PY) -m skyway.devrun stop
	-$(PY) manage.py embedded_redis stop --all
	rm -rf var/ staticfiles/
