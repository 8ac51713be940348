#!/usr/bin/env bash
# Installs everything duet's build, tests and benchmarks need on Debian 12, skipping
# what is already there: the Debian packages (compilers, Meson, Asio, llhttp,
# Boost.JSON, doctest, OpenSSL, hiredis, msgpuck, redis-server, wrk, Node.js) and the npm packages of package.json
# (official Socket.IO/Engine.IO clients for interop tests, reference servers for
# benchmarks). Safe to run again; needs root (or sudo) only when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ clang-14 libclang-rt-14-dev meson ninja-build pkg-config python3
  libasio-dev node-llhttp libboost-json1.81-dev doctest-dev libssl-dev
  libhiredis-dev libmsgpuck-dev redis-server
  wrk curl ca-certificates chromium
)
# Node.js: any distribution's build is fine (>= 18); install Debian's only when none.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages: reinstall only when package-lock.json changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install-deps: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "install-deps: ok"
