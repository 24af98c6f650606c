#!/usr/bin/env bash
# A seized laptop shows nothing: after importing both demo spreadsheets and logging a case
# by hand, no name, place, note or other text of any case appears anywhere under the home
# (store, its WAL, the daemon's log, config, socket directory), in the memory-visible
# command line or environment of any running vigil process, in raw UTF-8, JSON-escaped or
# UTF-16 form. Needles are every text of every case as `vigil case show --json` decrypts
# it, so nothing is missed by a hand-made list.
#
# The workflow then syncs to a bare repository and ends with `vigil panic`: the home, the
# local repository, the remote, panic's own output and every process are scanned again, and
# the right passphrase must open nothing.
#
# Positive controls, so the scan can fail: a canary planted through the same path
# (`vigil case new`) is found by the same scanner in the decrypted output and nowhere in
# the home; the needles are found in the decrypted output; the WAL exists when scanned.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/casehome.sh"
require_tool git

SCAN=$VIGIL_BUILD_DIR/tests/vg_scan
[ -x "$SCAN" ] || fail "vg_scan is not built"

new_home H secret
cases_home "$H" secret
for f in monitor-a monitor-b; do
	vgs "$H" import "$VIGIL_SOURCE_DIR/packaging/demo/$f.csv" >/dev/null || fail "import $f"
done
canary="vigil-canary-$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')-Канарейка"
cid=$(new_case "$H" "{\"person\":{\"name\":\"$canary\",\"country\":\"Kazakhstan\"},\"notes\":\"$canary notes\"}")
vgs "$H" case event "$cid" --json \
	<<<"{\"event\":{\"type\":\"arrest\",\"place\":\"$canary place\"}}" >/dev/null ||
	fail "case event"

# Every text of every case, decrypted.
vgs "$H" case list --json >"$T/list.json" || fail "case list"
jq -r '.cases[].id' "$T/list.json" >"$T/ids"
[ "$(wc -l <"$T/ids")" -ge 10 ] || fail "too few cases: $(wc -l <"$T/ids")"
while read -r id; do
	vgs "$H" case show "$id" --json || fail "case show $id"
done <"$T/ids" >"$T/decrypted.json"

# Needles: strings a record holds, not ids, dates, times, counts or the vocabulary of the
# forms (lower-case words vigil itself prints). Names, places and notes carry a capital,
# a digit or a non-ASCII letter.
jq -r '.. | strings' "$T/decrypted.json" |
	grep -Ev '^[0-9a-f]{8,64}$|^[0-9]{4}(-[0-9]{2}){0,2}(T[0-9:]+Z)?$' |
	grep -E '[A-Z0-9]|[^ -~]' | awk 'length($0) >= 5' | sort -u >"$T/needles"
grep -q 'Askarov' "$T/needles" || fail "the needles lack a fixture name: the list proves nothing"
grep -q 'Мамай\|Ёров\|Жанболат' "$T/needles" || fail "the needles lack Cyrillic text"
grep -qF "$canary" "$T/needles" || fail "the canary is not among the needles"
echo "$(wc -l <"$T/needles") needles"

# Positive control: the scanner finds the needles, and the canary, in the decrypted read.
"$SCAN" "$T/needles" "$T/decrypted.json" >"$T/hits" && fail "the scanner found nothing in the decrypted output"
grep -qF "$canary" "$T/hits" || fail "the scanner missed the canary in the decrypted output"
grep -q 'Askarov' "$T/hits" || fail "the scanner missed a fixture name in the decrypted output"

# The home, with the daemon running and unlocked: store, WAL, log, config.
[ -s "$H/data/store.db-wal" ] || fail "no WAL to scan (the scan would prove nothing about it)"
[ -s "$H/data/vigild.log" ] || fail "no daemon log to scan"
"$SCAN" "$T/needles" "$H" >"$T/hits" || fail "case text under the home: $(head -n 5 "$T/hits")"

# Every running vigil process of this home, a client in the middle of a command included
# (its standard input held open), by command line and environment.
mkfifo "$T/fifo"
vgs "$H" case event "$cid" <"$T/fifo" >/dev/null 2>&1 &
client=$!
exec 7>"$T/fifo"
printf '{"event":{"type":"release","place":"%s"' "$canary" >&7
pids=$(pgrep -f -- "--home $H" || true)
[ "$(wc -w <<<"$pids")" -ge 2 ] || fail "expected the daemon and a client running, got: $pids"
for p in $pids; do
	"$SCAN" "$T/needles" "pid:$p" >"$T/hits" || fail "case text in process $p: $(cat "$T/hits")"
done
printf '}}\n' >&7
exec 7>&-
wait "$client" || fail "the client fed through the fifo failed"

# After a kill -9 the WAL is left as it was: scan again.
kill -9 "$(lock_pid "$H")"
"$SCAN" "$T/needles" "$H" >"$T/hits" || fail "case text under the home after a crash: $(head -n 5 "$T/hits")"

# The rest of the workflow: a remote, a sync, then `vigil panic` (issue 12). Nothing in the
# home, the local repository, the remote or the log before or after; after it, the right
# passphrase opens nothing.
remote=$T/remote.git
git init -q --bare "$remote" || fail "git init"
vgs "$H" remote set "$remote" >/dev/null || fail "remote set"
vgs "$H" sync >/dev/null || fail "sync"
[ -n "$(git --git-dir="$remote" for-each-ref refs/heads/members)" ] || fail "nothing was pushed: the remote scan would prove nothing"
"$SCAN" "$T/needles" "$remote" >"$T/hits" || fail "case text on the remote: $(head -n 5 "$T/hits")"
"$SCAN" "$T/needles" "$H" >"$T/hits" || fail "case text under the home after a sync: $(head -n 5 "$T/hits")"
vg "$H" panic >"$T/panic.out" 2>&1 || fail "panic: $(cat "$T/panic.out")"
"$SCAN" "$T/needles" "$T/panic.out" >"$T/hits" || fail "panic printed case text: $(cat "$T/hits")"
"$SCAN" "$T/needles" "$H" >"$T/hits" || fail "case text under the home after panic: $(head -n 5 "$T/hits")"
"$SCAN" "$T/needles" "$remote" >"$T/hits" || fail "case text on the remote after panic: $(head -n 5 "$T/hits")"
for p in $(pgrep -f -- "--home $H" || true); do
	"$SCAN" "$T/needles" "pid:$p" >"$T/hits" || fail "case text in process $p after panic: $(cat "$T/hits")"
done
if vgs "$H" unlock >"$T/out" 2>&1; then
	fail "the right passphrase still unlocks after panic"
fi
if vgs "$H" case show "$cid" --json >"$T/out" 2>&1; then
	fail "a case still opens after panic: $(head -c 200 "$T/out")"
fi
echo "ok: no case text under the home, the local repository, the remote or any process, before or after panic; controls found the canary"

