#!/usr/bin/env bash
# Install Odoo 18.0 Community into $ODOO_HOME (default /opt/odoo/18.0) when
# none is there: a shallow clone of Odoo's 18.0 branch, a virtualenv with
# Odoo's requirements, PostgreSQL, wkhtmltopdf and a Japanese font.
#
#   ODOO_HOME     where Odoo goes (default /opt/odoo/18.0)
#   ODOO_GIT_URL  where Odoo comes from (default: the official repository;
#                 a local mirror works: file:///srv/mirrors/odoo.git)
#   ODOO_GIT_REF  the branch or tag (default 18.0)
#   PYTHON        the Python that makes the virtualenv (default python3)
#
# It never touches an Odoo it did not install: an ODOO_HOME that already holds
# an Odoo server is left alone, and a non-empty folder that is not one is
# refused. Run as root on Debian/Ubuntu (it installs Debian packages).
set -euo pipefail
ODOO_HOME=${ODOO_HOME:-/opt/odoo/18.0}
ODOO_GIT_URL=${ODOO_GIT_URL:-https://github.com/odoo/odoo.git}
ODOO_GIT_REF=${ODOO_GIT_REF:-18.0}
PYTHON=${PYTHON:-python3}
MARK=.installed-by-everyone-sells

log() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

if [ -f "$ODOO_HOME/odoo-bin" ] && [ ! -f "$ODOO_HOME/$MARK.partial" ]; then
    log "Odoo is already at $ODOO_HOME: nothing to do"
    exit 0
fi
if [ -d "$ODOO_HOME" ] && [ -n "$(ls -A "$ODOO_HOME")" ] \
    && [ ! -f "$ODOO_HOME/$MARK.partial" ]; then
    die "$ODOO_HOME is not empty and holds no Odoo server this script installed: not touching it (set ODOO_HOME to an empty or new folder)."
fi

apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null || die "apt-get not found: install these packages yourself: ${missing[*]}"
    log "Installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# git, the C toolchain and headers that Odoo's requirements build against
# (psycopg2, python-ldap), PostgreSQL, and the PDF tools with a Japanese font.
apt_install git ca-certificates build-essential python3-dev python3-venv \
    libpq-dev libldap2-dev libsasl2-dev postgresql wkhtmltopdf fonts-noto-cjk

if [ ! -f "$ODOO_HOME/$MARK.partial" ] || [ ! -f "$ODOO_HOME/odoo-bin" ]; then
    log "Cloning Odoo $ODOO_GIT_REF from $ODOO_GIT_URL into $ODOO_HOME"
    rm -rf "$ODOO_HOME"
    mkdir -p "$(dirname "$ODOO_HOME")"
    git clone --quiet --depth 1 --branch "$ODOO_GIT_REF" "$ODOO_GIT_URL" "$ODOO_HOME"
    touch "$ODOO_HOME/$MARK.partial"
fi
serie=$("$PYTHON" -c 'import sys; ns = {}; exec(open(sys.argv[1]).read(), ns); print(ns["serie"])' "$ODOO_HOME/odoo/release.py" 2>/dev/null || true)
[ "$serie" = "18.0" ] || die "$ODOO_GIT_URL ($ODOO_GIT_REF) is not Odoo 18.0 (it says '$serie')."

log "Creating Odoo's virtualenv ($ODOO_HOME/.venv) with its requirements"
"$PYTHON" -m venv "$ODOO_HOME/.venv"
VPY=$ODOO_HOME/.venv/bin/python
"$VPY" -m pip install -q --disable-pip-version-check --upgrade pip wheel "setuptools<70"
# Odoo 18.0 pins sdists that do not build on Python 3.11 with today's
# build tools: cbor2 5.4.2 needs 5.4.6 there, and gevent/psycopg2 must build
# against the setuptools above, hence --no-build-isolation.
REQ=$(mktemp)
sed -e 's/^cbor2==5\.4\.2\b/cbor2==5.4.6/' "$ODOO_HOME/requirements.txt" > "$REQ"
"$VPY" -m pip install -q --disable-pip-version-check "Cython<3" >/dev/null
"$VPY" -m pip install -q --disable-pip-version-check --no-build-isolation -r "$REQ"
rm -f "$REQ"

(cd "$ODOO_HOME" && "$VPY" -c 'from odoo import release; assert release.serie == "18.0"') \
    || die "Odoo at $ODOO_HOME does not import with its virtualenv."
mv "$ODOO_HOME/$MARK.partial" "$ODOO_HOME/$MARK"
log "Odoo 18.0 is installed at $ODOO_HOME (Python: $VPY)"
