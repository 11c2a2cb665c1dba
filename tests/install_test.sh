#!/usr/bin/env bash
# install_test.sh BUILD_DIR SOURCE_DIR - `cmake --install` into a temporary
# prefix: the binary, its peer executable, the man page, the cases; then the installed binary
# finds the installed cases by itself (and says so), and plays one.
set -euo pipefail
build=$1 src=$2
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cmake --install "$build" --prefix "$prefix" >/dev/null
[ -x "$prefix/bin/tcpclose" ] || fail "expected $prefix/bin/tcpclose"
peer=$(find "$prefix" -path '*/libexec/tcpclose/tcpclose-peer' -type f)
[ -n "$peer" ] && [ -x "$peer" ] || fail "expected libexec/tcpclose/tcpclose-peer under $prefix"
man="$prefix/share/man/man1/tcpclose.1"
[ -s "$man" ] || fail "expected the man page $man"
grep -q '^\.TH "tcpclose" "1"' "$man" || fail "expected a .TH header in $man"
for section in COMMANDS OPTIONS 'CASE LANGUAGE' 'EXIT STATUS' FILES; do
  grep -q "^\.SH $section" "$man" || fail "expected a $section section in $man"
done
want=$(ls "$src"/cases/*.case | wc -l)
got=$(ls "$prefix"/share/tcpclose/cases/*.case | wc -l)
[ "$got" -eq "$want" ] || fail "expected $want installed cases but got $got"

# The installed run starts its peers from libexec: a stand-in that leaves
# a mark, then runs the real one.
mv "$peer" "$peer.real"
printf '#!/bin/sh\ntouch "%s.used"\nexec "%s.real" "$@"\n' "$peer" "$peer" > "$peer"
chmod 755 "$peer"

# Run from elsewhere, so that no ./cases is found by accident.
cd "$prefix"
err=$(mktemp)
"$prefix/bin/tcpclose" run --filter client-close-server-silent >/dev/null 2>"$err" || { cat "$err"; fail "installed run failed"; }
expected="tcpclose run: cases from $prefix/share/tcpclose/cases (installed beside the binary)"
[ "$(head -1 "$err")" = "$expected" ] || fail "expected '$expected' but got '$(head -1 "$err")'"
rm -f "$err"
[ -e "$peer.used" ] || fail "the installed run did not start its peers from $peer"
echo "installed into $prefix: bin/tcpclose, ${peer#"$prefix"/}, man1/tcpclose.1, $got cases; run finds them"
