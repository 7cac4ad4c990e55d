#!/usr/bin/env bash
# On-sale benchmark: a fresh server (SQLite by default; PostgreSQL when DATABASE_URL is set),
# then `boxoffice loadtest onsale` with BUYERS concurrent buyers over SEATS seats, offering
# HOLD_RATE hold requests/s in the rush and BOOK_RATE bookings/s in checkout (0 = unpaced).
#   scripts/bench-onsale.sh                      # SQLite, 500 buyers, 50,000 seats, 2,500 + 1,250/s
#   HOLD_RATE=0 BOOK_RATE=0 scripts/bench-onsale.sh   # as fast as the server answers
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench scripts/bench-onsale.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUYERS=${BUYERS:-500}
SEATS=${SEATS:-50000}
HOLD_RATE=${HOLD_RATE:-2500}
BOOK_RATE=${BOOK_RATE:-1250}
cargo build --release --quiet
bin=target/release/boxoffice
data=$(mktemp -d)
# The booking path itself is measured: no waiting room turns on by arrival rate.
export BOXOFFICE_DATA_DIR=$data BOXOFFICE_ADDR=127.0.0.1:0 RUST_LOG=${RUST_LOG:-warn} BOXOFFICE_ROOM_SURGE_RATE=0
if [ -n "${DATABASE_URL:-}" ]; then
  db=${DATABASE_URL##*/}
  psql "${DATABASE_URL%/*}/postgres" -qc "DROP DATABASE IF EXISTS \"$db\"" -c "CREATE DATABASE \"$db\""
fi
$bin admin create-user --email bench@admin.test --password "bench password" --name Bench --admin >/dev/null
$bin serve > "$data/serve.out" 2> "$data/serve.err" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do grep -q "listening on" "$data/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$data/serve.out")
store=SQLite; [ -n "${DATABASE_URL:-}" ] && store=PostgreSQL
echo "server $url ($store), $(nproc) cores"
$bin loadtest onsale --url "$url" --admin-email bench@admin.test --admin-password "bench password" \
  --buyers "$BUYERS" --seats "$SEATS" --hold-rate "$HOLD_RATE" --book-rate "$BOOK_RATE"
echo "server RSS: $(ps -o rss= -p $server | awk '{printf "%.0f MiB", $1/1024}')"
echo "server CPU: $(ps -o times= -p $server) s"
