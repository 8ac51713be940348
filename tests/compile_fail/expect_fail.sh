#!/bin/sh
# Compile-failure test: the command after the first argument must fail to compile,
# and its diagnostics must contain the first argument (the readable message the
# library promises), so that a failure for an unrelated reason does not pass.
expected=$1
shift
if out=$("$@" 2>&1); then
  echo "FAIL: compiled, but it must not: $*"
  exit 1
fi
if printf '%s' "$out" | grep -qF -- "$expected"; then
  echo "ok: rejected with: $expected"
  exit 0
fi
echo "FAIL: rejected, but without the message: $expected"
printf '%s\n' "$out" | head -40
exit 1
