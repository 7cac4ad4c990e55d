#!/usr/bin/env bash
# Live seat map benchmark: a fresh server (SQLite by default), SUBSCRIBERS open seat streams,
# HOLDS one-seat holds at RATE/s; prints how soon each change reached the subscribers.
# With DATABASE_URL (PostgreSQL) two instances share the database: holds go to the first,
# streams to both, so the figure includes the change crossing to another instance.
#   scripts/bench-seatstream.sh
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench scripts/bench-seatstream.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SUBSCRIBERS=${SUBSCRIBERS:-200}
HOLDS=${HOLDS:-1000}
RATE=${RATE:-100}
cargo build --release --quiet
bin=target/release/boxoffice
data=$(mktemp -d)
export BOXOFFICE_ADDR=127.0.0.1:0 RUST_LOG=${RUST_LOG:-warn}
instances=1
if [ -n "${DATABASE_URL:-}" ]; then
  db=${DATABASE_URL##*/}
  psql "${DATABASE_URL%/*}/postgres" -qc "DROP DATABASE IF EXISTS \"$db\"" -c "CREATE DATABASE \"$db\""
  instances=2
fi
BOXOFFICE_DATA_DIR=$data/0 $bin admin create-user --email bench@admin.test \
  --password "bench password" --name Bench --admin >/dev/null
servers=()
trap 'kill "${servers[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$data"' EXIT
urls=()
for i in $(seq 0 $((instances - 1))); do
  mkdir -p "$data/$i"
  BOXOFFICE_DATA_DIR=$data/$i $bin serve > "$data/serve$i.out" 2> "$data/serve$i.err" &
  servers+=($!)
  for _ in $(seq 1 100); do grep -q "listening on" "$data/serve$i.out" 2>/dev/null && break; sleep 0.1; done
  urls+=("$(sed -n 's/^listening on //p' "$data/serve$i.out")")
done
store=SQLite; [ -n "${DATABASE_URL:-}" ] && store=PostgreSQL
echo "servers ${urls[*]} ($store), $(nproc) cores"
streams=()
for u in "${urls[@]}"; do streams+=(--stream-url "$u"); done
$bin loadtest seat-stream --url "${urls[0]}" "${streams[@]}" \
  --admin-email bench@admin.test --admin-password "bench password" \
  --subscribers "$SUBSCRIBERS" --holds "$HOLDS" --rate "$RATE"
for pid in "${servers[@]}"; do
  echo "server RSS: $(ps -o rss= -p "$pid" | awk '{printf "%.0f MiB", $1/1024}')"
done
