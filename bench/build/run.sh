#!/usr/bin/env bash
# Build time as a user lives it (bench/RESULTS.md "Build time"):
#   - the full build of examples/hello (one translation unit with duet/http.hpp) and of
#     examples/chat (HTTP + Socket.IO, one translation unit with duet/duet.hpp);
#   - examples/modular: the rebuild after editing one handler file (handlers in their
#     own translation units against a light header), and after editing the tables
#     (main.cpp), with Meson's precompiled header on and off.
# Each figure is the median of --runs N (default 3) wall-clock times of `ninja` with the
# other build steps already done, so it is the cost of that one edit. Release builds
# (-O3), like scripts/run-example.sh; --buildtype debugoptimized for -O2.
# usage: bench/build/run.sh [--runs N] [--buildtype T] [--cxx g++|clang++-14]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=3
buildtype=release
cxx=g++
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --buildtype) buildtype=$2; shift 2 ;;
    --cxx) cxx=$2; shift 2 ;;
    *) echo "unknown option $1"; exit 2 ;;
  esac
done
cc=gcc
[ "$cxx" = g++ ] || cc=clang-14

setup() {  # dir, extra meson options...
  local dir=$1; shift
  [ -f "$dir/build.ninja" ] || CC=$cc CXX=$cxx meson setup "$dir" -Dbuildtype="$buildtype" -Dtests=false -Dbench=false "$@" >/dev/null
}

# Median wall-clock seconds of: touch FILE, ninja -C DIR TARGET.
timed_edit() {  # dir, target, file
  local dir=$1 target=$2 file=$3 t=()
  ninja -C "$dir" "$target" >/dev/null
  for _ in $(seq "$runs"); do
    touch "$file"
    local s=$EPOCHREALTIME
    ninja -C "$dir" "$target" >/dev/null
    t+=("$(awk -v a="$s" -v b="$EPOCHREALTIME" 'BEGIN {print b - a}')")
  done
  printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]}'
}

echo "duet build-time benchmark: $cxx, buildtype=$buildtype, median of $runs, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
setup build-bench-pch
setup build-bench-nopch -Db_pch=false

printf '%-58s %8s\n' "what" "seconds"
printf '%-58s %8s\n' "examples/hello: compile + link (duet/http.hpp, one TU)" "$(timed_edit build-bench-nopch examples/hello/hello examples/hello/main.cpp)"
printf '%-58s %8s\n' "examples/chat: compile + link (duet/duet.hpp, one TU)" "$(timed_edit build-bench-nopch examples/chat/chat examples/chat/main.cpp)"
printf '%-58s %8s\n' "modular, edit a handler file (no PCH)" "$(timed_edit build-bench-nopch examples/modular/modular examples/modular/http_handlers.cpp)"
printf '%-58s %8s\n' "modular, edit a handler file (PCH)" "$(timed_edit build-bench-pch examples/modular/modular examples/modular/http_handlers.cpp)"
printf '%-58s %8s\n' "modular, edit the tables / main.cpp (no PCH)" "$(timed_edit build-bench-nopch examples/modular/modular examples/modular/main.cpp)"
printf '%-58s %8s\n' "modular, edit the tables / main.cpp (PCH)" "$(timed_edit build-bench-pch examples/modular/modular examples/modular/main.cpp)"
