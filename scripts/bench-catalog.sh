#!/usr/bin/env bash
# Catalog read benchmark.
#
# Builds the release binary, seeds a generated catalog into a temporary data folder (or into the
# PostgreSQL database named by DATABASE_URL), starts `boxoffice serve` on a free port, measures
# the cold start (process start -> first successful GET /readyz), then measures requests per
# second and latency with wrk for:
#
#   event view   GET /api/v1/events/{id}        (random events across the whole catalog)
#   seat map     GET /api/v1/shows/{id}/seats   (shows on sale, i.e. with ticket inventory)
#   browse       GET /api/v1/events?city=...    (first page of every city)
#   browse all   GET /api/v1/events?page=...    (the first pages with no filter, and of a category)
#
# Usage:
#   scripts/bench-catalog.sh                           # small catalog, SQLite
#   SCALE=large scripts/bench-catalog.sh               # large catalog (minutes to seed)
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/bo_bench scripts/bench-catalog.sh
#       (the database is created when missing and must otherwise be empty; RESET_DB=1 drops and
#        recreates it first)
#
# Settings: SCALE (small|large), DURATION (15s), THREADS (2), CONNECTIONS (64), WRK_TIMEOUT (10s:
# slower responses count as errors), KEEP=1 keeps the data folder, SKIP_BUILD=1 uses the existing release binary. wrk is installed with apt-get when
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

DATA=$(mktemp -d "${TMPDIR:-/tmp}/boxoffice-bench.XXXXXX")
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
log "seeding the $SCALE catalog into $STORE"
seed_started=$(now_ns)
"$BIN" seed --scale "$SCALE" >"$DATA/seed.out"
seed_ms=$((($(now_ns) - seed_started) / 1000000))
SEED_LINE=$(tail -n 1 "$DATA/seed.out")
log "$SEED_LINE"
DB_SIZE=$(printf '%s' "$SEED_LINE" | sed -n 's/.*; database \([^(]*\) (.*/\1/p')
if [ -z "${DATABASE_URL:-}" ]; then
    files_bytes=$(du -cb "$DATA"/boxoffice.db* 2>/dev/null | tail -n 1 | cut -f1)
    DB_SIZE="$DB_SIZE ($files_bytes bytes on disk incl. WAL/SHM)"
fi

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
until grep -q "search index rebuilt" "$DATA/serve.log"; do
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
# Browsing without a city: the first ten pages, and the first three of a category.
{ for page in $(seq 1 10); do echo "/api/v1/events?page=$page"; done
  for page in 1 2 3; do echo "/api/v1/events?category=concert&page=$page"; done; } >"$DATA/browse-all.txt"
# Shows on sale (with tickets) are the soonest ones: the shows of the 300 soonest events.
for page in 1 2 3; do
    curl -fs "$BASE/api/v1/events?per_page=100&page=$page" | jq -r '.items[].id'
done | sed "s|^|$BASE/api/v1/events/|" | xargs curl -fs \
    | jq -r '.shows[] | select(.available > 0) | "/api/v1/shows/\(.id)/seats"' \
    | awk 'n++ < 200' >"$DATA/seats.txt"
[ -s "$DATA/seats.txt" ] || die "found no show on sale"
log "$(wc -l <"$DATA/events.txt") event ids, $(wc -l <"$DATA/seats.txt") shows on sale, $(wc -l <"$DATA/browse.txt") cities"

# Unloaded latency: the median of sequential requests from one client.
probe() {
    head -n "$2" "$1" | sed "s|^|-o /dev/null $BASE|" \
        | xargs curl -fs -w '%{time_total}\n' \
        | sort -n | awk '{ v[NR] = $1 } END { printf "%.2f\n", v[int((NR + 1) / 2)] * 1000 }'
}
ev_one=$(probe "$DATA/events.txt" 50)
sm_one=$(probe "$DATA/seats.txt" 20)
br_one=$(probe "$DATA/browse.txt" 5)
ba_one=$(probe "$DATA/browse-all.txt" 5)

# Load ------------------------------------------------------------------------------------------
# Prints "rps p50 p99 errors" for one endpoint.
measure() {
    local name=$1 paths=$2 out=$DATA/$1.out
    log "$LOADGEN: $name for $DURATION"
    if [ "$LOADGEN" = wrk ]; then
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout "$WRK_TIMEOUT" --latency \
            -s "$ROOT/scripts/bench-paths.lua" "$BASE" -- "$paths" >"$out" 2>&1 \
            || die "wrk failed: $(tail -n 5 "$out")"
        awk '/^BENCH/ {
            for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
            if (v["requests"] == 0) { v["p50_ms"] = "-"; v["p99_ms"] = "-" }
            printf "%s %s %s %s %s %s\n", v["requests"], v["rps"], v["p50_ms"], v["p99_ms"], v["errors"] + v["non2xx"], v["mb_per_s"]
        }' "$out"
    else
        sed "s|^|$BASE|" "$paths" >"$paths.urls"
        oha -z "$DURATION" -c "$CONNECTIONS" --no-tui --json --urls-from-file "$paths.urls" >"$out" 2>&1 \
            || die "oha failed: $(tail -n 5 "$out")"
        jq -r '[([.statusCodeDistribution | to_entries[] | .value] | add // 0), .summary.requestsPerSec, (.latencyPercentiles.p50 * 1000), (.latencyPercentiles.p99 * 1000),
                ([.statusCodeDistribution | to_entries[] | select(.key | startswith("2") | not) | .value] | add // 0),
                (.summary.sizePerSec / 1e6)]
               | map(. * 100 | round / 100) | @tsv' "$out" | tr '\t' ' '
    fi
}

measure event-view "$DATA/events.txt" >"$DATA/event-view.res"
measure seat-map "$DATA/seats.txt" >"$DATA/seat-map.res"
measure browse "$DATA/browse.txt" >"$DATA/browse.res"
measure browse-all "$DATA/browse-all.txt" >"$DATA/browse-all.res"
read -r ev_n ev_rps ev_p50 ev_p99 ev_err ev_mb <"$DATA/event-view.res"
read -r sm_n sm_rps sm_p50 sm_p99 sm_err sm_mb <"$DATA/seat-map.res"
read -r br_n br_rps br_p50 br_p99 br_err br_mb <"$DATA/browse.res"
read -r ba_n ba_rps ba_p50 ba_p99 ba_err ba_mb <"$DATA/browse-all.res"

# Report ----------------------------------------------------------------------------------------
echo
echo "== Box Office catalog read benchmark =="
echo "store:       $STORE"
echo "catalog:     $SCALE — $SEED_LINE"
echo "seed time:   $((seed_ms / 1000)).$(printf '%03d' $((seed_ms % 1000))) s (boxoffice seed --scale $SCALE)"
echo "database:    $DB_SIZE"
echo "cold start:  ${cold_ms} ms (process start -> first 200 from /readyz)"
echo "machine:     load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown) at the end (other work on the machine skews figures)"
echo "load:        $LOADGEN, $THREADS threads, $CONNECTIONS connections, $DURATION per endpoint, $(nproc) CPUs shared with the load generator"
echo
row() { printf '%-30s %9s %9s %9s %9s %8s %7s %12s\n' "$@"; }
row endpoint done "req/s" "p50 ms" "p99 ms" errors "MB/s" "1-client ms"
row "GET /api/v1/events/{id}" "$ev_n" "$ev_rps" "$ev_p50" "$ev_p99" "$ev_err" "$ev_mb" "$ev_one"
row "GET /api/v1/shows/{id}/seats" "$sm_n" "$sm_rps" "$sm_p50" "$sm_p99" "$sm_err" "$sm_mb" "$sm_one"
row "GET /api/v1/events?city=..." "$br_n" "$br_rps" "$br_p50" "$br_p99" "$br_err" "$br_mb" "$br_one"
row "GET /api/v1/events?page=..." "$ba_n" "$ba_rps" "$ba_p50" "$ba_p99" "$ba_err" "$ba_mb" "$ba_one"
echo
echo "done, req/s, p50, p99: completed requests and their latency under load (requests still running when"
echo "the run ends are not counted); errors: failed, non-2xx or slower than $WRK_TIMEOUT; 1-client ms: median"
echo "of sequential requests from one client (50 event views, 20 seat maps, 5 + 5 browse pages) before the load."
