#!/usr/bin/env bash
# The daemon's socket spoken to directly with socat (agent/PROTOCOL.md): well-formed
# requests get progress and one reply; malformed, non-JSON, unknown, incomplete and
# oversized (1 MiB) requests get an error reply and the connection closes; the daemon
# stays up through all of it and an idle client does not hold it up.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
require_tool socat base64 head tr

PW='protocol test passphrase'
new_home H proto
vg "$H" --passphrase-fd 3 init 3<<<"$PW" >/dev/null || fail "init"
sock=$H/run/vigild.sock
pid=$(daemon_pid "$H")

# talk FILE: send stdin on one connection, the replies into FILE.
talk() {
	socat -t 10 -T 20 - "UNIX-CONNECT:$sock" >"$1" 2>"$1.err" || true
}

# one_error FILE PATTERN: FILE holds exactly one line, an error reply of code "usage"
# whose message matches PATTERN.
one_error() {
	[ "$(wc -l <"$1")" -eq 1 ] || fail "want one reply, got: $(head -c 600 "$1")"
	jq -e --arg p "$2" '.type == "reply" and .ok == false and .code == "usage" and
		(.error | test($p))' "$1" >/dev/null || fail "reply $(cat "$1") does not match /$2/"
}

alive() {
	[ "$(daemon_pid "$H")" = "$pid" ] || fail "the daemon did not survive: $1"
}

# ---- well-formed requests ----
printf '{"cmd":"status"}\n' | talk "$T/r1"
jq -e '.type == "reply" and .ok == true and .locked == false and .pending == 0' "$T/r1" >/dev/null ||
	fail "status reply: $(cat "$T/r1")"
# Several requests on one connection, each answered in order.
printf '{"cmd":"status"}\n{"cmd":"lock"}\n{"cmd":"status"}\n' | talk "$T/r2"
[ "$(jq -sc 'map(.ok)' "$T/r2")" = '[true,true,true]' ] || fail "three replies: $(cat "$T/r2")"
[ "$(jq -sc '.[2].locked' "$T/r2")" = true ] || fail "lock over the socket"
# A request that needs keys, while locked: code "locked".
nonce=$(head -c 32 /dev/urandom | base64 -w0)
printf '{"cmd":"challenge","nonce":"%s"}\n' "$nonce" | talk "$T/r3"
jq -e '.ok == false and .code == "locked" and .error == "vault is locked"' "$T/r3" >/dev/null ||
	fail "challenge while locked: $(cat "$T/r3")"
# Unlock: a progress message first, then the reply; the passphrase travels in base64.
b64=$(printf '%s' "$PW" | base64 -w0)
printf '{"cmd":"unlock","passphrase":"%s"}\n' "$b64" | talk "$T/r4"
[ "$(jq -sc 'map(.type)' "$T/r4")" = '["progress","reply"]' ] || fail "unlock: $(cat "$T/r4")"
jq -se '.[1].ok == true and .[1].locked == false and (.[1].identity | startswith("vigil-id:"))' \
	"$T/r4" >/dev/null || fail "unlock reply: $(cat "$T/r4")"
printf '{"cmd":"unlock","passphrase":"%s"}\n' "$(printf wrong | base64 -w0)" | talk "$T/r5"
jq -se '.[-1].ok == false and .[-1].code == "auth" and (.[-1].error | test("wrong passphrase"))' \
	"$T/r5" >/dev/null || fail "wrong passphrase: $(cat "$T/r5")"
! grep -q "$PW" "$H/data/vigild.log" || fail "the passphrase reached the log"
! grep -q "$b64" "$H/data/vigild.log" || fail "the encoded passphrase reached the log"

# ---- refused requests: an error reply, then the connection closes ----
# (the second line on the same connection is never answered)
check() {
	local name=$1 pat=$2
	talk "$T/$name"
	one_error "$T/$name" "$pat"
	alive "$name"
}
printf 'not json\n{"cmd":"status"}\n' | check nonjson '^malformed request'
printf '[1,2,3]\n{"cmd":"status"}\n' | check array 'not a JSON object'
printf '{}\n' | check nocmd 'no "cmd"'
printf '{"cmd":"frobnicate"}\n{"cmd":"status"}\n' | check unknown "^unknown command 'frobnicate'"
printf '{"cmd":"status","extra":1}\n' | check member "takes no member 'extra'"
printf '{"cmd":"status","cmd":"lock"}\n' | check duplicate 'malformed request'
printf '{"cmd":"unlock"}\n' | check missing "needs 'passphrase'"
printf '{"cmd":"unlock","passphrase":"not base64!"}\n' | check base64 'not canonical base64'
printf '{"cmd":"unlock","passphrase":42}\n' | check type 'must be a string'
printf '\n' | check empty 'malformed request'
printf '{"cmd":"status"}' | check incomplete 'incomplete request'
{ head -c 3000 /dev/urandom | tr -d '\n'; echo; } | check binary '.'
# Oversized: 1 MiB without a newline, and 1 MiB inside a JSON string with one.
head -c 1048576 /dev/zero | tr '\0' a | check big-raw 'longer than 65536 bytes'
{ printf '{"cmd":"unlock","passphrase":"'; head -c 1048576 /dev/zero | tr '\0' A; printf '"}\n'; } |
	check big-json 'longer than 65536 bytes'
# Just under the limit is read and judged as a request.
{ printf '{"cmd":"status","pad":"'; head -c 65000 /dev/zero | tr '\0' x; printf '"}\n'; } |
	check near-limit "takes no member 'pad'"
grep -q 'refused a request longer than 65536 bytes' "$H/data/vigild.log" || fail "no log line for oversize"
grep -q 'refused a bad request' "$H/data/vigild.log" || fail "no log line for bad requests"

# ---- an idle client does not hold the daemon up ----
mkfifo "$T/idle"
exec 6<>"$T/idle"
socat -u - "UNIX-CONNECT:$sock" <"$T/idle" &
idle=$!
sleep 0.3
timeout 10 setsid -w "$VIGIL" --home "$H" status --json >/dev/null || fail "status with an idle client connected"
kill "$idle" 2>/dev/null || true
wait "$idle" 2>/dev/null || true
exec 6>&-

# ---- and after everything, the same daemon still serves, with its keys ----
alive "the end"
vg "$H" id --verify >/dev/null || fail "the daemon lost its keys"
stop_daemon "$H"
echo "ok: protocol replies, bad and oversized requests refused, daemon stayed up"
