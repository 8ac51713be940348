#!/usr/bin/env bash
# Installs what duet needs on Debian 12, skipping what is already there.
#
#   scripts/install-deps.sh            everything: build, tests and benchmarks (Debian
#                                      packages + the npm packages of package.json)
#   scripts/install-deps.sh --example  only what building and running the examples needs
#                                      (compiler, Meson, the libraries; the socket.io client
#                                      bundle the chat page loads) — no browser, no test tools
#
# Says what it installs before doing it. Needs root (or sudo) only when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=all
[ "${1:-}" = "--example" ] && mode=example

# Building duet and its examples.
packages=(
  g++ meson ninja-build pkg-config python3
  libasio-dev node-llhttp libboost-json1.81-dev libssl-dev zlib1g-dev libbrotli-dev
  libhiredis-dev libmsgpuck-dev
)
if [ "$mode" = all ]; then
  # Tests and benchmarks: the second compiler and its sanitizer/fuzzer runtimes, the real
  # peers the tests start (Redis, nginx, Chromium), the load generator.
  packages+=(clang-14 libclang-rt-14-dev doctest-dev redis-server nginx-light openssl wrk curl ca-certificates chromium)
fi
# Node.js: any distribution's build is fine (>= 18); install Debian's only when none.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  echo "install-deps: apt-get update"
  $sudo apt-get update -qq
  echo "install-deps: apt-get install (this can take a few minutes on a fresh machine)"
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$mode" = example ]; then
  # The chat page loads the official client bundle from node_modules/socket.io-client.
  if [ ! -f node_modules/socket.io-client/dist/socket.io.min.js ]; then
    echo "install-deps: npm install socket.io-client (the chat page's client bundle)"
    version=$(python3 -c 'import json;print(json.load(open("package.json"))["devDependencies"]["socket.io-client"])')
    npm install --no-save --no-audit --no-fund --loglevel=error "socket.io-client@$version"
  fi
else
  # npm packages: reinstall only when package-lock.json changed since the last install.
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "install-deps: npm ci (test and benchmark packages of package.json)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi
echo "install-deps: ok"
