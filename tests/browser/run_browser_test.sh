#!/bin/sh
# usage: run_browser_test.sh <test file> <chat binary>
# Runs the browser test from the repository root (the chat example serves files
# relative to it). Exit 77 (skipped) when Node, playwright-core or Chromium is missing.
root=$(cd "$(dirname "$0")/../.." && pwd)
command -v node >/dev/null 2>&1 || { echo "node missing"; exit 77; }
[ -d "$root/node_modules/playwright-core" ] || { echo "playwright-core missing (scripts/install-deps.sh)"; exit 77; }
[ -x "${DUET_CHROMIUM:-/usr/bin/chromium}" ] || { echo "chromium missing (scripts/install-deps.sh)"; exit 77; }
cd "$root" || exit 1
DUET_CHAT_BIN=$2 exec node --test --test-reporter=spec "$1"
