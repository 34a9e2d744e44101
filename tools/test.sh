#!/usr/bin/env bash
# The whole suite on a real Odoo 18.0 server: lint, the pure-Python core,
# installation with demo data, then the Odoo tests under BOTH runners:
# Odoo's own (odoo-bin -i ... --test-enable --test-tags /crm_everyone_sells,
# as Odoo.sh, runbot and OCA's CI run them, browser tours included) and
# pytest-odoo (the same tests, tours aside). One summary line counts both.
#
# Each runner alone, on a database that has the addon installed:
#   odoo-bin -c odoo.conf -d DB -u crm_everyone_sells --test-enable \
#       --test-tags /crm_everyone_sells --stop-after-init
#   cd crm_everyone_sells && pytest --odoo-config=odoo.conf --odoo-database=DB \
#       --ignore=tests/test_tour.py tests
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
"$ODOO_PYTHON" "$ADDON/tools/gen_readme.py" --check
"$ODOO_PYTHON" "$ADDON/tools/check_i18n.py"

log "Pure-Python core (no Odoo)"
# Outside the addon folder: its __init__.py imports Odoo, which pytest would
# load as the package around core/.
mkdir "$PARENT/pure" && cp -r "$ADDON/core" "$PARENT/pure/"
(cd "$PARENT/pure" && run_pytest "$ODOO_PYTHON" -m pytest -p no:odoo -p no:cacheprovider -q \
    --junitxml="$REPORTS/core.xml" core/tests)

log "Install with demo data ($DB_DEMO)"
odoo_bin -c "$CONF" -d "$DB_DEMO" -i "$ADDON_NAME" --stop-after-init --log-level=warn

log "Odoo's runner: install without demo data and test ($DB, odoo-bin --test-tags /$ADDON_NAME)"
odoo_bin -c "$CONF" -d "$DB" -i "$ADDON_NAME" --without-demo=all --test-enable \
    --test-tags "/$ADDON_NAME" --stop-after-init --log-level=test \
    2>&1 | tee "$REPORTS/odoo-bin.log" | grep -E "^(FAIL|ERROR)|ERROR .*: (FAIL|ERROR):|tests when loading|post-tests" || true
grep -qE "[0-9]+ post-tests" "$REPORTS/odoo-bin.log" || die "Odoo's runner ran no test (log: $REPORTS/odoo-bin.log)"
failures=()
grep -qE " 0 failed, 0 error\(s\) of [0-9]+ tests when loading" "$REPORTS/odoo-bin.log" \
    || failures+=("Odoo's runner (FAIL/ERROR lines above)")

log "pytest-odoo on $DB (browser tours ran above: they need Odoo's HTTP server)"
(cd "$ADDON" && PYTHONPATH=$ODOO_HOME run_pytest "$ODOO_PYTHON" -m pytest -p no:cacheprovider -q \
    --odoo-config="$CONF" --odoo-database="$DB" --junitxml="$REPORTS/odoo.xml" \
    --ignore=tests/test_tour.py tests) || failures+=("pytest-odoo")

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
pytest_passed, pytest_failed = passed, failed
# Odoo's runner: "F failed, E error(s) of N tests when loading database".
log = (reports / "odoo-bin.log").read_text()
odoo_failed = odoo_run = 0
for f, e, n in re.findall(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading", log):
    odoo_failed += int(f) + int(e)
    odoo_run += int(n)
odoo_passed = odoo_run - odoo_failed
print(f"pytest (core + pytest-odoo): {pytest_passed} passed, {pytest_failed} failed")
print(f"odoo-bin --test-tags /crm_everyone_sells: {odoo_passed} passed, {odoo_failed} failed")
print(f"suite: {pytest_passed + odoo_passed} passed, {pytest_failed + odoo_failed} failed"
      " (both runners)")
PY
[ ${#failures[@]} -eq 0 ] || die "failed under: ${failures[*]}"
