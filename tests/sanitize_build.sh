#!/usr/bin/env bash
# sanitize_build.sh SRC DIR - everything built with AddressSanitizer and
# UndefinedBehaviorSanitizer (-DTCPCLOSE_SANITIZE=ON) in DIR, then that
# build's whole ctest suite: unit and CLI tests and every case, so the
# tcpclose binary, its peers and its namespace holder (the same executable)
# all run sanitized. UBSan does not recover; LSan checks every process at
# exit (library leaks: tests/lsan.supp). Reports go to files as well as
# failing their process, so that one in a peer whose output nobody reads
# still fails this test. The nested entries (this one, fuzz_short,
# portable_build) are not part of that suite.
set -euo pipefail
src=$1
dir=$2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { cmake -S "$src" -B "$dir" -DTCPCLOSE_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
  cmake --build "$dir" -j "$(getconf _NPROCESSORS_ONLN)"; } >"$log" 2>&1; then
  cat "$log"
  exit 1
fi
reports=$dir/sanitizer-reports
rm -rf "$reports"
mkdir -p "$reports"
chmod 1777 "$reports" # tests run tcpclose as nobody too
# fast_unwind_on_malloc=0: libc has no frame pointers, and a leak's stack
# must reach the library function its suppression names.
# allocator_may_return_null=1: an impossible allocation fails with NULL, as
# libc's does, and the code's -ENOMEM paths are what is tested.
export ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0:allocator_may_return_null=1:log_path=$reports/asan
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan
export LSAN_OPTIONS=suppressions=$src/tests/lsan.supp:print_suppressions=0
rc=0
ctest --test-dir "$dir" --output-on-failure -E '^(sanitize_build|fuzz_short|portable_build)$' || rc=1
# A report is an error (ASan, LSan) or a runtime error (UBSan). Other lines
# are notes, shown but not failing: LSan's "Unable to get registers from
# thread N" when a thread ends while it stops them for the leak check.
for f in "$reports"/*; do
  [ -e "$f" ] || continue
  if grep -qE 'ERROR: |runtime error:' "$f"; then
    echo "sanitizer report: $f"
    rc=1
  else
    echo "sanitizer note (not an error): $f"
  fi
  cat "$f"
done
[ "$rc" -eq 0 ] && echo "sanitized build: every test passed, no sanitizer report"
exit "$rc"
