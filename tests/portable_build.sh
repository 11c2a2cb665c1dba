#!/usr/bin/env bash
# portable_build.sh SRC - the core without the Linux components, as it is
# built on FreeBSD or macOS: configure with -DTCPCLOSE_LINUX_OBSERVERS=OFF
# in a temporary directory, build, run the portable unit tests and the
# quick suite (cases that need a namespace are skipped, saying why).
set -euo pipefail
src=$1
dir=$(mktemp -d /tmp/tcpclose-portable-XXXXXX)
trap 'rm -rf "$dir"' EXIT
cmake -S "$src" -B "$dir" -DTCPCLOSE_LINUX_OBSERVERS=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$dir" -j "$(getconf _NPROCESSORS_ONLN)" \
  --target tcpclose test_case_parse test_netstat test_compare test_wire_decode >/dev/null
for t in test_case_parse test_netstat test_compare test_wire_decode; do
  "$dir/tests/$t" --jobs 2 | tail -n 1
done
# No sock_diag, tracepoints, capture or namespaces in this build: it must
# still play the suite, on procfs, skipping what needs them.
cd "$src"
"$dir/tcpclose" run --quick --no-netns cases | tail -n 3
"$dir/tcpclose" run --quick --no-netns --json "$dir/r.json" cases >/dev/null
grep -q '"transitions": {' "$dir/r.json" && grep -q 'not in this build' "$dir/r.json"
