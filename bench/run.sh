#!/usr/bin/env bash
# Evidence at scale: build a throwaway database with the addon, fill it with a
# realistic company (2,000 employees in 20 departments, 10,000 opportunities,
# 100,000 ledger entries credited by the real engine), measure, and drop it.
#
#   bench/run.sh              # figures on stdout, one "name: value" per line,
#                             # and written to bench/RESULTS.md (the last run's)
#   bench/run.sh --profile    # also cProfiles of the crediting job and the workbook (stderr)
#   bench/run.sh --large      # also the large profile (bench/large.py: 50,000 employees,
#                             # 1,000,000 ledger entries); --scale 0.1 for a tenth of it,
#                             # --large-only without the standard figures
#   bench/run.sh --large --replica   # then its screens over HTTP with a streaming
#                             # read replica (bench/replica.py; ES_BENCH_HTTP_PORT and
#                             # ES_BENCH_REPLICA_PORT choose the ports, default: free ones)
#
# ES_BENCH_RESULTS names the Markdown file written (default bench/RESULTS.md
# of this checkout; empty: none). What each figure measures: bench/README.md.
#
# ES_BENCH_DB names the database (default everyone_sells_bench_<pid>); it must
# not exist. Needs Odoo 18.0 and PostgreSQL as tools/test.sh does.
set -euo pipefail
# shellcheck source=tools/lib.sh
source "$(dirname "$0")/../tools/lib.sh"

require_odoo
require_postgres

DB=${ES_BENCH_DB:-everyone_sells_bench_$$}
if psql -XtAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" postgres | grep -q 1; then
    die "database $DB exists already: the bench only uses a database of its own."
fi
PARENT=$(stage_addon)
CONF=$PARENT/odoo.conf
# What --replica started or changed, undone here if the bench did not.
export ES_BENCH_REPLICA_STATE=$PARENT/replica-state.json
cleanup() {
    if [ -f "$ES_BENCH_REPLICA_STATE" ]; then
        "$ODOO_PYTHON" "$PARENT/$ADDON_NAME/bench/replica.py" cleanup "$ES_BENCH_REPLICA_STATE" || true
    fi
    dropdb --if-exists --force "$DB" >/dev/null 2>&1 || dropdb --if-exists "$DB" >/dev/null 2>&1 || true
    rm -rf "$PARENT"
}
trap cleanup EXIT
cat > "$CONF" <<CONF
[options]
addons_path = $ODOO_HOME/addons,$ODOO_HOME/odoo/addons,$PARENT
db_name = $DB
log_level = warn
CONF

started=$(date +%s)
log "Install $ADDON_NAME without demo data ($DB)"
odoo_bin -c "$CONF" -d "$DB" -i "$ADDON_NAME" --without-demo=all --stop-after-init --log-level=warn

log "Build the company and measure (bench/bench.py)"
FIGURES=$PARENT/figures.txt
(cd "$ODOO_HOME" && PYTHONPATH=$ODOO_HOME "$ODOO_PYTHON" "$PARENT/$ADDON_NAME/bench/bench.py" \
    --config "$CONF" --database "$DB" "$@") | tee "$FIGURES"
echo "run_total_seconds: $(($(date +%s) - started))" | tee -a "$FIGURES"

RESULTS=${ES_BENCH_RESULTS-$ADDON_SRC/bench/RESULTS.md}
if [ -n "$RESULTS" ]; then
    commit=$(git -C "$ADDON_SRC" rev-parse --short HEAD 2>/dev/null || echo unknown)
    "$ODOO_PYTHON" "$ADDON_SRC/bench/results.py" "$FIGURES" "$commit" "$*" > "$RESULTS"
    log "Figures written to $RESULTS"
fi
