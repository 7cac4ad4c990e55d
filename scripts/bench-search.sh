#!/usr/bin/env bash
# Search benchmark over a generated catalog (SCALE=large by default: about a million events):
# index build time and size, in-process and HTTP latency per query kind, and the naive LIKE scan.
#   scripts/bench-search.sh
#   SCALE=small scripts/bench-search.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${SCALE:-large}
cargo build --release --quiet
bin=target/release/boxoffice
data=${BENCH_DATA_DIR:-$(mktemp -d)}
export BOXOFFICE_DATA_DIR=$data BOXOFFICE_ADDR=127.0.0.1:0 RUST_LOG=${RUST_LOG:-info}
if [ ! -e "$data/boxoffice.db" ] && [ -z "${DATABASE_URL:-}" ]; then
  /usr/bin/time -f "seed: %e s, %M KiB max RSS" $bin seed --scale "$SCALE"
fi
rm -rf "$data/search"
start=$(date +%s.%N)
$bin serve > "$data/serve.out" 2> "$data/serve.err" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q "listening on" "$data/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$data/serve.out")
until grep -q "search index rebuilt" "$data/serve.err"; do sleep 1; done
end=$(date +%s.%N)
echo "index build (from the store, while serving): $(echo "$end - $start" | bc) s; size $(du -sh "$data/search" | cut -f1)"
echo "== HTTP"
$bin loadtest search --url "$url" --requests 400 --concurrency 8 --like-queries 3
kill $server; wait $server 2>/dev/null || true
trap - EXIT
echo "== in-process"
$bin loadtest search --index-dir "$data/search" --requests 300 --like-queries 0
echo "data kept in $data"
