#!/usr/bin/env bash
# Surge benchmark: one fresh server on SQLite, a SEATS-seat show with its waiting room on,
# SUBSCRIBERS live seat maps, ARRIVALS buyers joining at JOIN_RATE/s (EARLY_SHARE of them
# before opening), every STREAM_EVERY-th one following its place over SSE. Prints join
# latency, RSS per waiting client, position-update and seat fan-out lags, admissions, the time
# from opening to sold out, and the oversell check.
#   scripts/bench-surge.sh
#   ARRIVALS=10000 SUBSCRIBERS=1000 scripts/bench-surge.sh     # a quick look
#   BIN=/path/to/boxoffice scripts/bench-surge.sh              # a binary already built
set -euo pipefail
cd "$(dirname "$0")/.."
ARRIVALS=${ARRIVALS:-100000}
SEATS=${SEATS:-5000}
SUBSCRIBERS=${SUBSCRIBERS:-10000}
JOIN_RATE=${JOIN_RATE:-5000}
STREAM_EVERY=${STREAM_EVERY:-5}
EARLY_SHARE=${EARLY_SHARE:-0.5}
# Every connection is a file descriptor, on both sides. (The load tool speaks HTTP/2 to the
# server, so tens of thousands of streams need only a few hundred sockets; this machine allows
# 20,000 open files per process and no more.)
ulimit -n 1048576 2>/dev/null || ulimit -n 262144 2>/dev/null || true
echo "open files limit $(ulimit -n)"
if [ -z "${BIN:-}" ]; then cargo build --release --quiet; fi
bin=${BIN:-target/release/boxoffice}
data=$(mktemp -d)
# The waiting room is on by the organiser's switch; the arrival-rate trigger stays out of it.
export BOXOFFICE_DATA_DIR=$data BOXOFFICE_ADDR=127.0.0.1:0 RUST_LOG=${RUST_LOG:-warn} \
  BOXOFFICE_ROOM_SURGE_RATE=0
prefix="surge$(date +%s)-"
$bin admin create-user --email bench@admin.test --password "bench password" --name Bench \
  --admin >/dev/null
RUST_LOG=error $bin loadtest surge-buyers --count "$ARRIVALS" --token-prefix "$prefix"
$bin serve > "$data/serve.out" 2> "$data/serve.err" &
server=$!
trap 'kill $server 2>/dev/null; wait 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do grep -q "listening on" "$data/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$data/serve.out")
echo "server $url (SQLite), $(nproc) cores; the load generator runs on the same machine"
cpu0=$(awk '{print $14 + $15}' "/proc/$server/stat")
TIMEFORMAT='load generator: %R s wall, %U s user, %S s system CPU'
time $bin loadtest surge --url "$url" --admin-email bench@admin.test --admin-password "bench password" \
  --token-prefix "$prefix" --arrivals "$ARRIVALS" --seats "$SEATS" \
  --seat-subscribers "$SUBSCRIBERS" --join-rate "$JOIN_RATE" --stream-every "$STREAM_EVERY" \
  --early-share "$EARLY_SHARE" --server-pid "$server"
cpu1=$(awk '{print $14 + $15}' "/proc/$server/stat")
echo "server CPU $(( (cpu1 - cpu0) / $(getconf CLK_TCK) )) s; final RSS $(ps -o rss= -p "$server" | awk '{printf "%.0f MiB", $1/1024}')"
