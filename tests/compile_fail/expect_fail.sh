#!/bin/sh
# Compile-failure test: the command after `--` must fail to compile, and its
# diagnostics must contain every string before `--` (the readable message the library
# promises, and where it points), so that a failure for an unrelated reason does not
# pass. A string "place:TEXT" matches TEXT as either compiler spells a compile-time
# string in a diagnostic: g++ prints {"TEXT"}, clang 14 prints 'T', 'E', 'X', 'T'.
# Without `--`, the first argument is the one expected string.
expected=""
if printf '%s\n' "$@" | grep -qx -- '--'; then
  while [ "$1" != "--" ]; do
    expected="$expected
$1"
    shift
  done
  shift
else
  expected="
$1"
  shift
fi
if out=$("$@" 2>&1); then
  echo "FAIL: compiled, but it must not: $*"
  exit 1
fi
status=0
oldifs=$IFS
IFS='
'
for e in $expected; do
  [ -z "$e" ] && continue
  case $e in
    place:*)
      text=${e#place:}
      gcc_form="{\"$text\"}"
      clang_form=$(printf '%s' "$text" | sed "s/./'&', /g; s/, \$//")
      if printf '%s' "$out" | grep -qF -- "$gcc_form" || printf '%s' "$out" | grep -qF -- "$clang_form"; then
        echo "ok: the diagnostic names $text"
      else
        echo "FAIL: the diagnostic does not name $text"
        status=1
      fi ;;
    *)
      if printf '%s' "$out" | grep -qF -- "$e"; then
        echo "ok: rejected with: $e"
      else
        echo "FAIL: rejected, but without the message: $e"
        status=1
      fi ;;
  esac
done
IFS=$oldifs
[ $status -ne 0 ] && printf '%s\n' "$out" | head -40
exit $status
