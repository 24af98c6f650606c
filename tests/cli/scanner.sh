#!/usr/bin/env bash
# The secrecy scanner finds what it looks for in every form it claims (raw UTF-8, JSON
# escapes in both cases, UTF-16LE, a process's command line and environment), and nothing
# in clean files: later secrecy scans rely on it.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
scan=$VIGIL_BUILD_DIR/tests/vg_scan
[ -x "$scan" ] || fail "vg_scan is not built"
require_tool iconv
printf 'Ёров Бузургмехр\nKholiqnazarov\n' >"$T/needles"
mkdir "$T/d" "$T/d/sub"
printf 'nothing here\n' >"$T/d/clean"
"$scan" "$T/needles" "$T/d" >"$T/out" || fail "hit in clean files: $(cat "$T/out")"
printf 'x Kholiqnazarov y' >"$T/d/sub/raw"
printf '{"p":"\\u0401\\u0440\\u043e\\u0432 \\u0411\\u0443\\u0437\\u0443\\u0440\\u0433\\u043c\\u0435\\u0445\\u0440"}' >"$T/d/lower"
printf '{"p":"\\u0401\\u0440\\u043E\\u0432 \\u0411\\u0443\\u0437\\u0443\\u0440\\u0433\\u043C\\u0435\\u0445\\u0440"}' >"$T/d/upper"
printf 'Ёров Бузургмехр' | iconv -f UTF-8 -t UTF-16LE >"$T/d/u16"
if "$scan" "$T/needles" "$T/d" >"$T/out"; then fail "planted needles not found"; fi
for want in "sub/raw: utf-8" "lower: json-escaped" "upper: JSON-ESCAPED" "u16: utf-16le"; do
	grep -q "$want" "$T/out" || fail "scanner missed '$want': $(cat "$T/out")"
done
sleep 30 &
pid=$!
if "$scan" "$T/needles" "pid:$pid" >"$T/out"; then :; else fail "hit in a clean process"; fi
kill $pid
Kholiqnazarov=1 sleep 30 &
pid=$!
if "$scan" "$T/needles" "pid:$pid" >"$T/out"; then fail "missed a needle in a process environment"; fi
kill $pid
echo "ok: the scanner finds every form and nothing in clean input"
