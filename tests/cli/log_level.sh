#!/usr/bin/env bash
# [agent] log_level (vigil.conf(5)): the daemon logs what each level promises and nothing
# at any level that a seized laptop must not show.
#   - error: a bad request (a warning) and the start (info) are not logged;
#   - warn: the bad request is, marked "warn:", and an unlock (info) is not;
#   - info (the default, no file): starts and unlocks, no per-request lines;
#   - debug: one line per connection and per request (name, outcome, duration), marked
#     "debug:"; after a workflow through every kind of request that carries secrets
#     (init and unlock with the passphrase, an import of both demo spreadsheets, a case
#     with a canary, events, show, list, a sync, a passphrase change), the log holds no
#     text of any case, no passphrase and no key, in any form vg_scan knows. Positive
#     control: the same scan finds the canary and a fixture name in the decrypted output.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/casehome.sh"
require_tool git
SCAN=$VIGIL_BUILD_DIR/tests/vg_scan
[ -x "$SCAN" ] || fail "vg_scan is not built"

# bad_request HOME: a line the daemon refuses as a bad request (a warning).
bad_request() {
	printf '{"not a request": true}\n' |
		socat -t 5 -T 10 - "UNIX-CONNECT:$1/run/vigild.sock" >/dev/null 2>&1 ||
		fail "cannot send a bad request"
}
require_tool socat

# level HOME LEVEL: the file sets the level; the daemon restarted to read it.
level() {
	mkdir -p "$1/config"
	printf '[agent]\nlog_level = %s\n' "$2" >"$1/config/vigil.conf"
	vg "$1" shutdown >/dev/null 2>&1 || true
	wait_for test ! -S "$1/run/vigild.sock"
	: >"$1/data/vigild.log"
	vgs "$1" unlock >/dev/null || fail "unlock at $2"
	bad_request "$1"
	vg "$1" status >/dev/null || fail "status at $2"
	vgs "$1" case list >/dev/null || fail "case list at $2"
}

new_home H levels
cases_home "$H" levels
log=$H/data/vigild.log

# info, the default: starts and unlocks, the bad request as a warning, no request lines.
[ ! -e "$H/config/vigil.conf" ] || fail "setup: a configuration file exists"
vg "$H" shutdown >/dev/null 2>&1 || true
wait_for test ! -S "$H/run/vigild.sock"
: >"$log"
vgs "$H" unlock >/dev/null || fail "unlock"
bad_request "$H"
vgs "$H" case list >/dev/null || fail "case list"
grep -q 'started (.*log level info)' "$log" || fail "info: no start line: $(cat "$log")"
grep -q ': unlocked$' "$log" || fail "info: no unlock line: $(cat "$log")"
grep -q ': warn: refused a bad request' "$log" || fail "info: no warning: $(cat "$log")"
! grep -q 'debug:' "$log" || fail "info: debug lines: $(cat "$log")"

level "$H" error
! grep -q 'started\|unlocked\|refused a bad request' "$log" || fail "error: logged below its level: $(cat "$log")"
[ ! -s "$log" ] || fail "error: a healthy run logged: $(cat "$log")"

level "$H" warn
grep -q ': warn: refused a bad request' "$log" || fail "warn: no warning: $(cat "$log")"
! grep -q 'started\|: unlocked$\|debug:' "$log" || fail "warn: logged below its level: $(cat "$log")"

level "$H" debug
grep -q 'started (.*log level debug)' "$log" || fail "debug: no start line: $(cat "$log")"
grep -q ': warn: refused a bad request' "$log" || fail "debug: no warning: $(cat "$log")"
grep -Eq ": debug: request 'case[._a-z]*list' done \([0-9]+ ms\)" "$log" ||
	fail "debug: no request line: $(cat "$log")"
grep -Eq ': debug: connection accepted \([0-9]+ open\)' "$log" || fail "debug: no connection line: $(cat "$log")"

# A bad value is refused with its line, by the daemon as by config show.
printf '[agent]\n\nlog_level = verbose\n' >"$H/config/vigil.conf"
expect_refusal 1 "line 3: bad value for 'log_level': it must be one of error, warn, info, debug" \
	vg "$H" config show

# Secrecy at debug: the whole workflow, then scan the log.
new_home S secret
mkdir -p "$S/config"
printf '[agent]\nlog_level = debug\n' >"$S/config/vigil.conf"
cases_home "$S" secret
for f in monitor-a monitor-b; do
	vgs "$S" import "$VIGIL_SOURCE_DIR/packaging/demo/$f.csv" >/dev/null || fail "import $f"
done
canary="vigil-canary-$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')-Канарейка"
cid=$(new_case "$S" "{\"person\":{\"name\":\"$canary\",\"country\":\"Kazakhstan\"},\"notes\":\"$canary notes\"}")
vgs "$S" case event "$cid" --json <<<"{\"event\":{\"type\":\"arrest\",\"place\":\"$canary place\"}}" >/dev/null ||
	fail "case event"
vgs "$S" case show "$cid" --json >"$T/decrypted.json" || fail "case show"
vgs "$S" case list --json >"$T/list.json" || fail "case list"
jq -r '.cases[].id' "$T/list.json" | while read -r id; do
	vgs "$S" case show "$id" --json || fail "case show $id"
done >>"$T/decrypted.json"
git init -q --bare "$T/remote.git"
vgs "$S" remote set "$T/remote.git" >/dev/null || fail "remote set"
vgs "$S" sync >/dev/null || fail "sync"
NEWPW='a new passphrase that must not be logged'
setsid -w "$VIGIL" --home "$S" --passphrase-fd 3 passwd </dev/null >/dev/null \
	3< <(printf '%s\n%s\n' "$CASES_PW" "$NEWPW") || fail "passwd"
vg "$S" lock >/dev/null || fail "lock"
grep -q "debug: request 'case[._a-z]*new' done" "$S/data/vigild.log" || fail "the workflow left no debug lines"

jq -r '.. | strings' "$T/decrypted.json" |
	grep -Ev '^[0-9a-f]{8,64}$|^[0-9]{4}(-[0-9]{2}){0,2}(T[0-9:]+Z)?$' |
	grep -E '[A-Z0-9]|[^ -~]' | awk 'length($0) >= 5' | sort -u >"$T/needles"
# The passphrases, as typed and as the requests carry them (base64).
for pw in "$CASES_PW" "$NEWPW"; do
	printf '%s\n' "$pw"
	printf '%s' "$pw" | base64 -w0
	echo
done >>"$T/needles"
grep -qF "$canary" "$T/needles" && grep -q 'Askarov' "$T/needles" || fail "the needles lack the canary or a fixture name"
"$SCAN" "$T/needles" "$T/decrypted.json" >"$T/hits" && fail "control: the scanner found nothing in the decrypted output"
grep -qF "$canary" "$T/hits" || fail "control: the scanner missed the canary"
"$SCAN" "$T/needles" "$S/data/vigild.log" >"$T/hits" || fail "secrets in the debug log: $(head -n 5 "$T/hits")"
echo "ok: error, warn, info and debug log what they promise; debug logs no case text or passphrase"
