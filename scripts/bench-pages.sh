#!/usr/bin/env bash
# Figures for the web pages (prints them, asserts nothing): time to an interactive seat map of
# a 20,000-seat hall in headless Chromium, change → repaint delay with 100 seat changes a second,
# and the compressed size of each main page. Needs chromium and chromedriver (see README).
# Usage: scripts/bench-pages.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release --test api web_figures -- --ignored --nocapture --test-threads 1 2>&1 \
  | grep -vE '^(running|test |$)'
