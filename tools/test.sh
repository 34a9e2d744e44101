#!/usr/bin/env bash
# The whole suite on a real Odoo 18.0 server: lint, the pure-Python core,
# then the Odoo tests under BOTH runners and on BOTH kinds of database:
# - Odoo's own runner (odoo-bin -i ... --test-enable --test-tags
#   /crm_everyone_sells, as Odoo.sh, runbot and OCA's CI run them) on a
#   database WITH demo data (browser tours included) and on one WITHOUT;
# - pytest-odoo (the same tests, tours aside) on the database without demo.
# The browser tours run once, on the demo database (the harder case: the
# demo's own rules, credits and departments are there); every other test
# runs on both databases. The two databases' runs go at once (one core
# each), to keep CI under 25 minutes on 2 cores.
# One summary line counts all runs.
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

# Odoo's runner on one database: install with the tests, keep the log,
# show the failures; the log must say the tests ran and none failed. What
# failed is written to $FAILED (the runs below are background processes).
FAILED=$REPORTS/failed.txt
: > "$FAILED"
run_odoo_tests() {
    local db=$1 tags=$2 report=$3
    shift 3
    odoo_bin -c "$CONF" -d "$db" -i "$ADDON_NAME" "$@" --test-enable \
        --test-tags "$tags" --stop-after-init --log-level=test >"$REPORTS/$report" 2>&1 || true
    grep -E "^(FAIL|ERROR)|ERROR .*: (FAIL|ERROR):|tests when loading|post-tests" "$REPORTS/$report" || true
    if ! grep -qE "[0-9]+ post-tests" "$REPORTS/$report"; then
        echo "Odoo's runner ran no test on $db (log: $REPORTS/$report)" >> "$FAILED"
    elif ! grep -qE " 0 failed, 0 error\(s\) of [0-9]+ tests when loading" "$REPORTS/$report"; then
        echo "Odoo's runner on $db (FAIL/ERROR lines above)" >> "$FAILED"
    fi
}

# The two databases at once: each run is one Odoo process (with its
# PostgreSQL backend and, for the tours, one browser) that keeps about one
# core busy, and CI has two; one after the other they took over 30 minutes.
# Each run has its own HTTP port (the tours' and the webhooks' server).
PORT=${ES_TEST_HTTP_PORT:-8169}
with_demo() {
    log "Odoo's runner with demo data ($DB_DEMO, odoo-bin --test-tags /$ADDON_NAME, browser tours included)"
    run_odoo_tests "$DB_DEMO" "/$ADDON_NAME" odoo-bin-demo.log --http-port="$PORT"
}
without_demo() {
    log "Odoo's runner without demo data ($DB, odoo-bin --test-tags /$ADDON_NAME, tours ran on the demo database)"
    run_odoo_tests "$DB" "/$ADDON_NAME,-everyone_sells_tour" odoo-bin.log --without-demo=all \
        --http-port="$((PORT + 1))"
    log "pytest-odoo on $DB (browser tours ran on the demo database: they need Odoo's HTTP server)"
    (cd "$ADDON" && PYTHONPATH=$ODOO_HOME run_pytest "$ODOO_PYTHON" -m pytest -p no:cacheprovider -q \
        --odoo-config="$CONF" --odoo-database="$DB" --junitxml="$REPORTS/odoo.xml" \
        --ignore=tests/test_tour.py tests) || echo "pytest-odoo" >> "$FAILED"
}
log "Both databases at once (each run's output follows when it ends)"
with_demo > "$REPORTS/with-demo.out" 2>&1 &
demo_pid=$!
without_demo > "$REPORTS/without-demo.out" 2>&1 &
nodemo_pid=$!
wait "$demo_pid" || echo "the run with demo data (exit $?)" >> "$FAILED"
cat "$REPORTS/with-demo.out"
wait "$nodemo_pid" || echo "the run without demo data (exit $?)" >> "$FAILED"
cat "$REPORTS/without-demo.out"

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
# Odoo's runner: "F failed, E error(s) of N tests when loading database",
# in the log of each database.
odoo_failed = odoo_run = 0
for path in sorted(reports.glob("odoo-bin*.log")):
    log = path.read_text()
    for f, e, n in re.findall(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading", log):
        odoo_failed += int(f) + int(e)
        odoo_run += int(n)
odoo_passed = odoo_run - odoo_failed
print(f"pytest (core + pytest-odoo): {pytest_passed} passed, {pytest_failed} failed")
print(f"odoo-bin --test-tags /crm_everyone_sells (with and without demo): {odoo_passed} passed,"
      f" {odoo_failed} failed")
print(f"suite: {pytest_passed + odoo_passed} passed, {pytest_failed + odoo_failed} failed"
      " (both runners, both databases)")
PY
[ ! -s "$FAILED" ] || die "failed under: $(paste -sd';' "$FAILED")"
