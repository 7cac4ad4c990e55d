#!/usr/bin/env bash
# Ticket codes: verifications per second on one core, code length, QR code size.
#   scripts/bench-tickets.sh
#   CODES=100000 scripts/bench-tickets.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
# One core: the figure is per core, whatever the machine.
taskset -c 0 target/release/boxoffice loadtest tickets --codes "${CODES:-20000}"
