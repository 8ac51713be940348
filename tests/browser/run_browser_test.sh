#!/bin/sh
# usage: run_browser_test.sh <test file> <chat binary>
# Runs the browser test from the repository root (the chat example serves files
# relative to it). Exit 77 (skipped) when Node, playwright-core or Chromium is missing.
root=$(cd "$(dirname "$0")/../.." && pwd)
command -v node >/dev/null 2>&1 || { echo "node missing"; exit 77; }
[ -d "$root/node_modules/playwright-core" ] || { echo "playwright-core missing (scripts/install-deps.sh)"; exit 77; }
[ -x "${DUET_CHROMIUM:-/usr/bin/chromium}" ] || { echo "chromium missing (scripts/install-deps.sh)"; exit 77; }
# Meson passes paths relative to the build folder: make them absolute before moving.
test_file=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
chat_bin=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
cd "$root" || exit 1
DUET_CHAT_BIN=$chat_bin exec node --test --test-reporter=spec "$test_file"
