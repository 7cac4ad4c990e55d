#!/usr/bin/env bash
# Catalog read benchmark.
#
# Builds the release binary, seeds a generated catalog into a temporary data folder (or into the
# PostgreSQL database named by DATABASE_URL), starts `boxoffice serve` on a free port, measures
# the cold start (process start -> first successful GET /readyz, which waits for the catalog to
# be in memory), then measures requests per second and latency with wrk for each read below,
# and prints each one's share of GET /healthz measured in the same run:
#
#   healthz        GET /healthz                   (the server's own ceiling on this machine)
#   cities         GET /api/v1/cities
#   event view     GET /api/v1/events/{id}        (random events across the whole catalog)
#   seat map       GET /api/v1/shows/{id}/seats   (shows on sale, asked for with br/gzip)
#   browse city    GET /api/v1/events?city=...    (first page of 100 cities)
#   browse cat.    GET /api/v1/events?category=.. (the first three pages of each category)
#   browse window  GET /api/v1/events?from=&to=   (a week, at 20 starting days)
#   browse all     GET /api/v1/events?page=...    (the first ten pages with no filter)
#   browse deep    GET /api/v1/events?page=50     (page 50: with and without a category)
#
# Then an overload: OVERLOAD_CONNECTIONS clients (default 1024, wrk timeout 1 s) on search for
# OVERLOAD_DURATION, counting the 503s the server sheds, and how long after the load ends the
# server's CPU falls idle (under 5 % of a core over 100 ms).
#
# Usage:
#   scripts/bench-catalog.sh                           # small catalog, SQLite
#   SCALE=large scripts/bench-catalog.sh               # large catalog (minutes to seed)
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/bo_bench scripts/bench-catalog.sh
#       (the database is created when missing and must otherwise be empty; RESET_DB=1 drops and
#        recreates it first)
#
# Settings: SCALE (small|large), DURATION (15s), THREADS (2), CONNECTIONS (64), WRK_TIMEOUT (10s:
# slower responses count as errors), KEEP=1 keeps the data folder, DATA=dir reuses a data folder
# seeded before (with KEEP=1), SKIP_BUILD=1 uses the existing release binary. wrk is installed with apt-get when
# missing and running as root; an already installed oha is used as a fallback.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
SCALE=${SCALE:-small}
DURATION=${DURATION:-15s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
WRK_TIMEOUT=${WRK_TIMEOUT:-10s}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET/release/boxoffice

log() { printf '>> %s\n' "$*" >&2; }
die() { printf 'bench-catalog: %s\n' "$*" >&2; exit 1; }
now_ns() { date +%s%N; }

for tool in curl jq awk; do
    command -v "$tool" >/dev/null || die "$tool is required"
done

# Load generator: wrk (installed when missing and we are root), else an installed oha.
LOADGEN=
if command -v wrk >/dev/null; then
    LOADGEN=wrk
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing wrk"
    if { apt-get install -y wrk >/dev/null 2>&1 \
        || { apt-get update >/dev/null 2>&1 && apt-get install -y wrk >/dev/null 2>&1; }; } \
        && command -v wrk >/dev/null; then
        LOADGEN=wrk
    fi
fi
if [ -z "$LOADGEN" ] && command -v oha >/dev/null; then
    LOADGEN=oha
fi
[ -n "$LOADGEN" ] || die "install wrk (apt-get install wrk) or oha"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    log "building release binary"
    cargo build --release --quiet
fi
[ -x "$BIN" ] || die "no binary at $BIN"

REUSE=0
if [ -n "${DATA:-}" ] && [ -s "${DATA}/seed.out" ]; then
    REUSE=1
    KEEP=1
else
    DATA=$(mktemp -d "${TMPDIR:-/tmp}/boxoffice-bench.XXXXXX")
fi
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [ "${KEEP:-0}" = 1 ]; then
        log "kept data folder $DATA"
    else
        rm -rf "$DATA"
    fi
}
trap cleanup EXIT

export BOXOFFICE_DATA_DIR=$DATA
STORE="SQLite ($DATA/boxoffice.db)"
if [ -n "${DATABASE_URL:-}" ]; then
    case "$DATABASE_URL" in
        postgres://* | postgresql://*) ;;
        *) die "DATABASE_URL must be a postgres:// URL (unset it for SQLite)" ;;
    esac
    STORE="PostgreSQL (${DATABASE_URL##*/})"
    if command -v psql >/dev/null; then
        DB_NAME=${DATABASE_URL##*/}
        DB_NAME=${DB_NAME%%\?*}
        ADMIN_URL=${DATABASE_URL%/*}/postgres
        export PGOPTIONS='--client-min-messages=warning'

        if [ "${RESET_DB:-0}" = 1 ]; then
            log "recreating database $DB_NAME"
            psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS \"$DB_NAME\"" >/dev/null
        fi
        if [ -z "$(psql "$ADMIN_URL" -Atc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" ]; then
            psql "$ADMIN_URL" -qc "CREATE DATABASE \"$DB_NAME\"" >/dev/null
        fi
    fi
fi

# Seed ------------------------------------------------------------------------------------------
seed_started=$(now_ns)
if [ "$REUSE" = 1 ]; then
    log "reusing the catalog seeded in $DATA"
else
    log "seeding the $SCALE catalog into $STORE"
    "$BIN" seed --scale "$SCALE" >"$DATA/seed.out"
fi
seed_ms=$((($(now_ns) - seed_started) / 1000000))
SEED_LINE=$(tail -n 1 "$DATA/seed.out")
log "$SEED_LINE"
DB_SIZE=$(printf '%s' "$SEED_LINE" | sed -n 's/.*; database \([^(]*\) (.*/\1/p')
if [ -z "${DATABASE_URL:-}" ]; then
    files_bytes=$(du -cb "$DATA"/boxoffice.db* 2>/dev/null | tail -n 1 | cut -f1)
    DB_SIZE="$DB_SIZE ($files_bytes bytes on disk incl. WAL/SHM)"
fi

# A reused folder whose index was built in an earlier run has nothing to rebuild.
HAD_INDEX=0
[ "$REUSE" = 1 ] && [ -d "$DATA/search" ] && HAD_INDEX=1

# Cold start ------------------------------------------------------------------------------------
: >"$DATA/serve.out"
started=$(now_ns)
BOXOFFICE_ADDR=127.0.0.1:0 RUST_LOG="${RUST_LOG:-info,sqlx=warn,tantivy=warn},boxoffice::search::indexer=info" "$BIN" serve >"$DATA/serve.out" 2>"$DATA/serve.log" &
SERVER_PID=$!
ADDR=
for _ in $(seq 1 6000); do
    ADDR=$(awk 'sub(/^listening on http:\/\//, "") { print; exit }' "$DATA/serve.out")
    [ -n "$ADDR" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || die "server exited: $(tail -n 5 "$DATA/serve.log")"
    sleep 0.002
done
[ -n "$ADDR" ] || die "server did not print its address"
BASE=http://$ADDR
until curl -fs -o /dev/null "$BASE/readyz"; do
    kill -0 "$SERVER_PID" 2>/dev/null || die "server exited: $(tail -n 5 "$DATA/serve.log")"
    sleep 0.002
done
cold_ms=$((($(now_ns) - started) / 1000000))
log "serving on $BASE; cold start ${cold_ms} ms"
# A fresh catalog has no search index yet: let the server build it before measuring, so the
# figures are the reads' own and not shared with the rebuild.
log "waiting for the search index to be built"
until [ "$HAD_INDEX" = 1 ] || grep -q "search index rebuilt" "$DATA/serve.log"; do
    kill -0 "$SERVER_PID" 2>/dev/null || die "server exited: $(tail -n 5 "$DATA/serve.log")"
    sleep 1
done

# Request paths -----------------------------------------------------------------------------------
EVENTS=$(printf '%s' "$SEED_LINE" | sed -n 's/.* \([0-9,]*\) events,.*/\1/p' | tr -d ,)
[ -n "$EVENTS" ] && [ "$EVENTS" -gt 0 ] || die "cannot read the event count from: $SEED_LINE"
# 2,000 event ids spread over the whole catalog (generated ids run from 1; fixed seed, so runs
# compare).
awk -v n="$EVENTS" 'BEGIN { srand(42); for (i = 0; i < 2000; i++) printf "/api/v1/events/%d\n", 1 + int(rand() * n) }' \
    >"$DATA/events.txt"
# Cities to browse: those of the first 300 sampled events.
head -n 300 "$DATA/events.txt" | sed "s|^|$BASE|" | xargs curl -fs \
    | jq -r '"/api/v1/events?city=" + (.venue.city | @uri)' | awk '!seen[$0]++ && n++ < 100' \
    >"$DATA/browse.txt"
# Browsing without a city: the first ten pages; the first three of each category; a week's
# window from 20 starting days; page 50 with and without a category.
for page in $(seq 1 10); do echo "/api/v1/events?page=$page"; done >"$DATA/browse-all.txt"
for category in concert theatre opera comedy sport family; do
    for page in 1 2 3; do echo "/api/v1/events?category=$category&page=$page"; done
done >"$DATA/browse-category.txt"
day0=$(date -u +%s)
for i in $(seq 1 20); do
    from=$(date -u -d "@$((day0 + i * 86400 * 9))" +%Y-%m-%d)
    to=$(date -u -d "@$((day0 + i * 86400 * 9 + 7 * 86400))" +%Y-%m-%d)
    echo "/api/v1/events?from=$from&to=$to"
done >"$DATA/browse-window.txt"
{ echo "/api/v1/events?page=50"; echo "/api/v1/events?category=concert&page=50"; } >"$DATA/browse-deep.txt"
echo "/api/v1/cities" >"$DATA/cities.txt"
echo "/healthz" >"$DATA/healthz.txt"
# Shows on sale (with tickets) are the soonest ones: the shows of the 300 soonest events.
for page in 1 2 3; do
    curl -fs "$BASE/api/v1/events?per_page=100&page=$page" | jq -r '.items[].id'
done | sed "s|^|$BASE/api/v1/events/|" | xargs curl -fs \
    | jq -r '.shows[] | select(.available > 0) | "/api/v1/shows/\(.id)/seats"' \
    | awk 'n++ < 200' >"$DATA/seats.txt"
[ -s "$DATA/seats.txt" ] || die "found no show on sale"
log "$(wc -l <"$DATA/events.txt") event ids, $(wc -l <"$DATA/seats.txt") shows on sale, $(wc -l <"$DATA/browse.txt") cities"

# Load ------------------------------------------------------------------------------------------
# Prints "rps p50 p99 errors" for one endpoint.
measure() {
    local name=$1 paths=$2 encodings=${3:-} out=$DATA/$1.out
    log "$LOADGEN: $name for $DURATION"
    if [ "$LOADGEN" = wrk ]; then
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout "$WRK_TIMEOUT" --latency \
            -s "$ROOT/scripts/bench-paths.lua" "$BASE" -- "$paths" "$encodings" >"$out" 2>&1 \
            || die "wrk failed: $(tail -n 5 "$out")"
        awk '/^BENCH/ {
            for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
            if (v["requests"] == 0) { v["p50_ms"] = "-"; v["p99_ms"] = "-" }
            printf "%s %s %s %s %s %s\n", v["requests"], v["rps"], v["p50_ms"], v["p99_ms"], v["errors"] + v["non2xx"], v["mb_per_s"]
        }' "$out"
    else
        sed "s|^|$BASE|" "$paths" >"$paths.urls"
        oha -z "$DURATION" -c "$CONNECTIONS" --no-tui --json ${encodings:+-H "Accept-Encoding: $encodings"} --urls-from-file "$paths.urls" >"$out" 2>&1 \
            || die "oha failed: $(tail -n 5 "$out")"
        jq -r '[([.statusCodeDistribution | to_entries[] | .value] | add // 0), .summary.requestsPerSec, (.latencyPercentiles.p50 * 1000), (.latencyPercentiles.p99 * 1000),
                ([.statusCodeDistribution | to_entries[] | select(.key | startswith("2") | not) | .value] | add // 0),
                (.summary.sizePerSec / 1e6)]
               | map(. * 100 | round / 100) | @tsv' "$out" | tr '\t' ' '
    fi
}

READS="healthz cities event-view seat-map browse browse-category browse-window browse-all browse-deep"
for name in $READS; do
    case $name in
        event-view) file=events.txt ;;
        seat-map) file=seats.txt ;;
        *) file=$name.txt ;;
    esac
    encodings=
    [ "$name" = seat-map ] && encodings="br, gzip"
    measure "$name" "$DATA/$file" "$encodings" >"$DATA/$name.res"
done
rss_kib=$(awk '/^VmRSS/ { print $2 }' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0)
seat_bytes=$(head -n 20 "$DATA/seats.txt" | sed "s|^|$BASE|" | xargs curl -fs | wc -c)
seat_br_bytes=$(head -n 20 "$DATA/seats.txt" | sed "s|^|$BASE|" | xargs curl -fs -H 'Accept-Encoding: br' | wc -c)

# Overload -----------------------------------------------------------------------------------------
OVERLOAD_CONNECTIONS=${OVERLOAD_CONNECTIONS:-1024}
OVERLOAD_DURATION=${OVERLOAD_DURATION:-10s}
for term in rock jazz night festival live tour orchestra comedy opera dance city summer; do
    echo "/api/v1/search?q=$term&per_page=50"
done >"$DATA/overload.txt"
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"; }
overload_line=
idle_ms=
if [ "$LOADGEN" = wrk ]; then
    log "overload: $OVERLOAD_CONNECTIONS connections on search for $OVERLOAD_DURATION"
    ulimit -n 65536 2>/dev/null || true
    wrk -t"$THREADS" -c"$OVERLOAD_CONNECTIONS" -d"$OVERLOAD_DURATION" --timeout 1s --latency \
        -s "$ROOT/scripts/bench-paths.lua" "$BASE" -- "$DATA/overload.txt" >"$DATA/overload.out" 2>&1 || true
    ended=$(now_ns)
    overload_line=$(awk '/^BENCH/ { print }' "$DATA/overload.out")
    hz=$(getconf CLK_TCK)
    last=$(cpu_ticks)
    while :; do
        sleep 0.1
        t=$(cpu_ticks)
        # Under 5 % of a core over 100 ms: fewer than hz/200 ticks.
        if [ $(((t - last) * 200)) -lt "$hz" ]; then
            idle_ms=$((($(now_ns) - ended) / 1000000))
            break
        fi
        last=$t
        if [ $((($(now_ns) - ended) / 1000000)) -gt 60000 ]; then
            idle_ms=">60000"
            break
        fi
    done
fi

# Report ----------------------------------------------------------------------------------------
echo
echo "== Box Office catalog read benchmark =="
echo "store:       $STORE"
echo "catalog:     $SCALE — $SEED_LINE"
if [ "$REUSE" = 1 ]; then
    echo "seed time:   seeded before this run (see the catalog line)"
else
    echo "seed time:   $((seed_ms / 1000)).$(printf '%03d' $((seed_ms % 1000))) s (boxoffice seed --scale $SCALE)"
fi
echo "database:    $DB_SIZE"
echo "cold start:  ${cold_ms} ms (process start -> first 200 from /readyz)"
echo "machine:     load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown) at the end (other work on the machine skews figures)"
echo "load:        $LOADGEN, $THREADS threads, $CONNECTIONS connections, $DURATION per endpoint, $(nproc) CPUs shared with the load generator"
echo
row() { printf '%-34s %9s %9s %9s %9s %8s %7s %9s\n' "$@"; }
row endpoint done "req/s" "p50 ms" "p99 ms" errors "MB/s" "share"
read -r _ hz_rps _ <"$DATA/healthz.res"
for name in $READS; do
    read -r n rps p50 p99 err mb <"$DATA/$name.res"
    share=$(awk -v a="$rps" -v b="$hz_rps" 'BEGIN { if (b > 0) printf "%.1f%%", 100 * a / b; else print "-" }')
    case $name in
        healthz) label="GET /healthz" ;;
        cities) label="GET /api/v1/cities" ;;
        event-view) label="GET /api/v1/events/{id}" ;;
        seat-map) label="GET /api/v1/shows/{id}/seats (br)" ;;
        browse) label="GET /api/v1/events?city=" ;;
        browse-category) label="GET /api/v1/events?category=" ;;
        browse-window) label="GET /api/v1/events?from=&to=" ;;
        browse-all) label="GET /api/v1/events?page=1..10" ;;
        browse-deep) label="GET /api/v1/events?page=50" ;;
    esac
    row "$label" "$n" "$rps" "$p50" "$p99" "$err" "$mb" "$share"
done
echo
echo "server RSS after the reads: $((rss_kib / 1024)) MiB; 20 seat maps: $seat_bytes bytes as JSON, $seat_br_bytes with brotli"
if [ -n "$overload_line" ]; then
    echo "overload ($OVERLOAD_CONNECTIONS connections on search, $OVERLOAD_DURATION, 1 s timeout): $overload_line"
    echo "server idle (under 5 % of a core) ${idle_ms} ms after the overload ended"
fi
echo
echo "done, req/s, p50, p99: completed requests and their latency under load (requests still running when"
echo "the run ends are not counted); errors: failed, non-2xx or slower than $WRK_TIMEOUT; share: req/s as a"
echo "share of GET /healthz in this run; non2xx in the overload line are the 503s the server shed."
