#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests, on 127.0.0.1 only, with trust authentication.
#
#   scripts/postgres.sh           start it (or find it running) and print its SQLAlchemy URL,
#                                 postgresql+psycopg://attain@127.0.0.1:PORT/attain_test
#   scripts/postgres.sh status    print the URL and exit 0 when it runs, exit 3 when not
#   scripts/postgres.sh stop      stop it and delete its data
#
# Installs Debian's `postgresql` with apt-get when no server is found under
# /usr/lib/postgresql/*/bin. PostgreSQL refuses to run as root, so as root the server runs as
# the `postgres` user (or an `attain-pg` user made for it). Its data, socket and log live in
# $ATTAIN_PG_DIR (default /tmp/attain-postgres-UID). Only the URL goes to stdout; progress and
# errors go to stderr, and any failure exits non-zero with the reason.
set -euo pipefail

# Parallel test workers (pytest-xdist) may all find the package missing: one apt-get at a time.
APT="flock /tmp/attain-apt.lock apt-get"

ROOT="${ATTAIN_PG_DIR:-/tmp/attain-postgres-$(id -u)}"
DATA="$ROOT/data"
SOCKETS="$ROOT/sockets"
LOG="$ROOT/server.log"
PORT_FILE="$ROOT/port"
DB_USER=attain
DATABASE=attain_test

die() {
    echo "postgres.sh: $*" >&2
    exit 1
}

find_bin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -n "$dir" && -x "$dir/pg_ctl" && -x "$dir/initdb" ]]; then
        echo "$dir"
    elif command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
        dirname "$(readlink -f "$(command -v pg_ctl)")"
    else
        return 1
    fi
}

install_postgres() {
    [[ $(id -u) -eq 0 ]] || die "PostgreSQL is not installed, and installing it needs root" \
        "(apt-get install postgresql); or set ATTAIN_TEST_POSTGRES_URL to a server of yours"
    command -v apt-get >/dev/null || die "PostgreSQL is not installed and there is no apt-get;" \
        "install it, or set ATTAIN_TEST_POSTGRES_URL to a server of yours"
    echo "postgres.sh: installing Debian's postgresql (once)" >&2
    export DEBIAN_FRONTEND=noninteractive
    $APT update -qq >&2 || die "apt-get update failed, so PostgreSQL cannot be installed"
    $APT install -y -qq --no-install-recommends postgresql >&2 \
        || die "apt-get install postgresql failed"
}

# As root, server-side commands run as an unprivileged user that owns $ROOT.
SERVER_USER=""
if [[ $(id -u) -eq 0 ]]; then
    if id postgres >/dev/null 2>&1; then
        SERVER_USER=postgres
    else
        SERVER_USER=attain-pg
    fi
fi

# The lock's descriptor (9) is closed for them, or the server would hold the lock for life.
as_server() {
    if [[ -n "$SERVER_USER" ]]; then
        (cd "$ROOT" && runuser -u "$SERVER_USER" -- "$@" 9>&-)
    else
        (cd "$ROOT" && "$@" 9>&-)
    fi
}

ensure_server_user() {
    [[ -n "$SERVER_USER" ]] || return 0
    id "$SERVER_USER" >/dev/null 2>&1 \
        || useradd --system --no-create-home --shell /usr/sbin/nologin "$SERVER_USER" \
        || die "cannot create the user $SERVER_USER to run PostgreSQL as"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

url() {
    echo "postgresql+psycopg://$DB_USER@127.0.0.1:$(cat "$PORT_FILE")/$DATABASE"
}

running() {
    local bin
    [[ -f "$PORT_FILE" && -f "$DATA/PG_VERSION" ]] || return 1
    bin=$(find_bin) || return 1
    as_server "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1 \
        && "$bin/pg_isready" -q -h 127.0.0.1 -p "$(cat "$PORT_FILE")"
}

start() {
    local bin port="" attempt
    if running; then
        url
        return
    fi
    bin=$(find_bin) || {
        install_postgres
        bin=$(find_bin) || die "postgresql was installed but no pg_ctl was found"
    }
    ensure_server_user
    mkdir -p "$ROOT"
    if [[ ! -f "$DATA/PG_VERSION" ]]; then
        rm -rf "$DATA" "$SOCKETS"
        mkdir -p "$DATA" "$SOCKETS"
        if [[ -n "$SERVER_USER" ]]; then
            chown -R "$SERVER_USER" "$ROOT"
            runuser -u "$SERVER_USER" -- test -w "$DATA" || die "the $SERVER_USER user cannot" \
                "reach $ROOT (a parent folder is private); set ATTAIN_PG_DIR under /tmp"
        fi
        chmod 700 "$DATA"
        as_server "$bin/initdb" -D "$DATA" -U "$DB_USER" --auth=trust --encoding=UTF8 \
            --locale=C --no-sync >"$ROOT/initdb.log" 2>&1 \
            || die "initdb failed: $(tail -n 5 "$ROOT/initdb.log")"
    fi
    # A free port can be taken between choosing and binding it: try a few.
    for attempt in 1 2 3; do
        port=$(free_port) || die "python3 is needed to find a free port"
        if as_server "$bin/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 -o "-c listen_addresses=127.0.0.1 \
            -p $port -k $SOCKETS -c fsync=off -c synchronous_commit=off \
            -c full_page_writes=off" start >/dev/null; then
            break
        fi
        echo "postgres.sh: start $attempt on port $port failed" >&2
        port=""
    done
    [[ -n "$port" ]] || die "the server did not start: $(tail -n 5 "$LOG" 2>/dev/null)"
    echo "$port" >"$PORT_FILE"
    if [[ -z $("$bin/psql" -h 127.0.0.1 -p "$port" -U "$DB_USER" -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'") ]]; then
        "$bin/createdb" -h 127.0.0.1 -p "$port" -U "$DB_USER" "$DATABASE" \
            || die "cannot create the database $DATABASE"
    fi
    url
}

stop() {
    local bin
    if [[ -f "$DATA/PG_VERSION" ]] && bin=$(find_bin); then
        as_server "$bin/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$ROOT" "$ROOT.lock"
}

# One starter or stopper at a time: two test runs starting together must not both run initdb.
locked() {
    exec 9>"$ROOT.lock"
    flock 9
    "$@"
}

case "${1:-start}" in
start) locked start ;;
status) if running; then url; else exit 3; fi ;;
stop) locked stop ;;
*) die "usage: scripts/postgres.sh [start|status|stop]" ;;
esac
