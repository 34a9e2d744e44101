#!/usr/bin/env bash
# The whole suite on a real Odoo 18.0 server: lint, the pure-Python core,
# installation with and without demo data, the Odoo tests (pytest-odoo) and
# the browser tours (odoo-bin, which serves the pages a tour needs).
set -euo pipefail
# shellcheck source=tools/lib.sh
source "$(dirname "$0")/lib.sh"

require_odoo
require_postgres
require_packages
if ! command -v chromium >/dev/null; then
    log "Installing Chromium for the browser tours (Debian packages)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

PARENT=$(stage_addon)
ADDON=$PARENT/$ADDON_NAME
DB=everyone_sells_test_$$
DB_DEMO=${DB}_demo
CONF=$PARENT/odoo.conf
REPORTS=$PARENT/reports
mkdir -p "$REPORTS"
cleanup() {
    dropdb --if-exists "$DB" >/dev/null 2>&1 || true
    dropdb --if-exists "$DB_DEMO" >/dev/null 2>&1 || true
    rm -rf "$PARENT"
}
trap cleanup EXIT
cat > "$CONF" <<CONF
[options]
addons_path = $ODOO_HOME/addons,$ODOO_HOME/odoo/addons,$PARENT
db_name = $DB
log_level = warn
http_port = ${ES_TEST_HTTP_PORT:-8169}
CONF

# pytest exits 5 when it collects nothing: for us that is a broken suite.
run_pytest() {
    local rc=0
    "$@" || rc=$?
    if [ "$rc" -eq 5 ]; then
        die "pytest collected no test in: $*"
    fi
    return "$rc"
}

log "Lint (ruff, pylint-odoo)"
(cd "$ADDON" && "$ODOO_PYTHON" -m ruff check . && "$ODOO_PYTHON" -m ruff format --check .)
(cd "$PARENT" && "$ODOO_PYTHON" -m pylint --rcfile="$ADDON/.pylintrc" "$ADDON_NAME")

log "Pure-Python core (no Odoo)"
# Outside the addon folder: its __init__.py imports Odoo, which pytest would
# load as the package around core/.
mkdir "$PARENT/pure" && cp -r "$ADDON/core" "$PARENT/pure/"
(cd "$PARENT/pure" && run_pytest "$ODOO_PYTHON" -m pytest -p no:odoo -p no:cacheprovider -q \
    --junitxml="$REPORTS/core.xml" core/tests)

log "Install with demo data ($DB_DEMO)"
odoo_bin -c "$CONF" -d "$DB_DEMO" -i "$ADDON_NAME" --stop-after-init --log-level=warn

log "Install without demo data ($DB)"
odoo_bin -c "$CONF" -d "$DB" -i "$ADDON_NAME" --without-demo=all --stop-after-init --log-level=warn

log "Odoo tests (pytest-odoo on $DB)"
(cd "$ADDON" && PYTHONPATH=$ODOO_HOME run_pytest "$ODOO_PYTHON" -m pytest -p no:cacheprovider -q \
    --odoo-config="$CONF" --odoo-database="$DB" --junitxml="$REPORTS/odoo.xml" \
    --ignore=tests/test_tour.py tests)

log "Browser tours (odoo-bin --test-tags everyone_sells_tour)"
odoo_bin -c "$CONF" -d "$DB" --test-tags everyone_sells_tour --stop-after-init --log-level=test \
    2>&1 | tee "$REPORTS/tour.log" | grep -E "FAIL|ERROR|tests when loading|post-tests" || true
grep -qE "[0-9]+ post-tests" "$REPORTS/tour.log" || die "the tours did not run"
! grep -qE "^(FAIL|ERROR):|[1-9][0-9]* failed|[1-9][0-9]* error" "$REPORTS/tour.log" \
    || die "a browser tour failed (log above)"

"$ODOO_PYTHON" - "$REPORTS" <<'PY'
import pathlib, re, sys, xml.etree.ElementTree as ET
reports = pathlib.Path(sys.argv[1])
passed = failed = 0
for path in reports.glob("*.xml"):
    # One <testcase> per test: the suites' "tests" attribute also counts subtests.
    for case in ET.parse(path).getroot().iter("testcase"):
        outcome = {child.tag for child in case}
        if outcome & {"failure", "error"}:
            failed += 1
        elif "skipped" not in outcome:
            passed += 1
tours = re.findall(r"(\d+) post-tests", (reports / "tour.log").read_text())
passed += sum(int(n) for n in tours)
print(f"suite: {passed} passed, {failed} failed")
PY
