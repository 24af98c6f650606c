#!/usr/bin/env bash
# Auto-lock on suspend and session lock (issue 12). A private D-Bus bus stands in for the
# system bus (DBUS_SYSTEM_BUS_ADDRESS) and mock_logind owns org.freedesktop.login1 on it:
#   - PrepareForSleep(true) locks an unlocked vault; status says logind is watched;
#   - a Lock of another user's session leaves the vault unlocked (negative control: the
#     lock that follows is not a coincidence), a Lock of this user's session locks it;
#   - the same signals sent by an ordinary client that does not own logind's name change
#     nothing (the bus matches the sender);
#   - without a bus the daemon runs, says logind is not watched, and still serves.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
require_tool dbus-daemon
MOCK=$VIGIL_BUILD_DIR/tests/mock_logind
[ -x "$MOCK" ] || fail "mock_logind is not built"
PW='passphrase of a laptop that sleeps'

# A bus of our own, with the session policy (anyone may own a name).
dbus-daemon --session --fork --nopidfile --print-address=3 --print-pid=4 \
	3>"$T/bus.addr" 4>"$T/bus.pid" || fail "cannot start dbus-daemon"
bus_pid=$(cat "$T/bus.pid")
# (exit $rc): cleanup_daemons takes the test's status from $?.
trap 'rc=$?; kill "$bus_pid" 2>/dev/null; (exit $rc); cleanup_daemons' EXIT
export DBUS_SYSTEM_BUS_ADDRESS
DBUS_SYSTEM_BUS_ADDRESS=$(head -1 "$T/bus.addr")

coproc MOCKP { "$MOCK" serve "$(id -u)"; }
read -r -t 10 ready <&"${MOCKP[0]}" || fail "mock_logind did not start"
[ "$ready" = ready ] || fail "mock_logind said '$ready'"
# mock COMMAND: have the mock send a signal and wait until it says it did.
mock() {
	local reply
	echo "$1" >&"${MOCKP[1]}"
	read -r -t 10 reply <&"${MOCKP[0]}" || fail "mock_logind did not answer '$1'"
	[ "$reply" = "done $1" ] || fail "mock_logind answered '$reply' to '$1'"
}

new_home H sleeper
setsid -w "$VIGIL" --home "$H" --passphrase-fd 3 init --name sleeper </dev/null >/dev/null \
	3<<<"$PW" || fail "vigil init"
unlock() { setsid -w "$VIGIL" --home "$H" --passphrase-fd 3 unlock </dev/null >/dev/null 3<<<"$PW"; }
locked() { [ "$(vg "$H" status --json | jq -r .locked)" = true ]; }
unlocked() { [ "$(vg "$H" status --json | jq -r .locked)" = false ]; }
# stays_unlocked WHY: after the signals sent so far, the vault is still unlocked. A lock of
# the other user's session, which the daemon logs, is the barrier: the bus delivers in
# order, so once its line is logged everything sent before it was handled.
barriers=0
passed_barrier() {
	[ "$(grep -c 'a session of uid [0-9]* locked: not this user' "$H/data/vigild.log")" -ge $barriers ]
}
stays_unlocked() {
	mock "lock 2"
	barriers=$((barriers + 1))
	wait_for passed_barrier
	unlocked || fail "$1"
}

unlock || fail "unlock"
vg "$H" status --json | jq -e '.logind == true' >/dev/null ||
	fail "status does not say logind is watched: $(vg "$H" status --json)"
vg "$H" status | grep -q 'on suspend and session lock' || fail "human status lacks the logind line"

# Suspend.
unlocked || fail "not unlocked after unlock"
mock sleep
wait_for locked
grep -q 'locked (the machine is going to sleep)' "$H/data/vigild.log" || fail "no log line for the suspend lock"
unlock || fail "unlock after the suspend"
mock wake
stays_unlocked "a wake signal locked the vault"

# Another user's session, then ours.
stays_unlocked "the lock of another user's session locked this vault"
mock "lock 1"
wait_for locked
grep -q 'locked (the session locked)' "$H/data/vigild.log" || fail "no log line for the session lock"

# Forged signals from an ordinary connection.
unlock || fail "unlock after the session lock"
"$MOCK" spoof >/dev/null || fail "mock_logind spoof could not send"
stays_unlocked "a signal from a connection that is not logind locked the vault"

# No bus at all: the daemon still runs and says what it cannot do.
stop_daemon "$H"
DBUS_SYSTEM_BUS_ADDRESS=unix:path=$T/no-such-bus unlock || fail "unlock without a bus"
DBUS_SYSTEM_BUS_ADDRESS=unix:path=$T/no-such-bus vg "$H" status --json | jq -e '.logind == false' >/dev/null ||
	fail "status claims logind is watched without a bus"
grep -q 'logind not watched' "$H/data/vigild.log" || fail "no log line saying logind is not watched"
echo "quit" >&"${MOCKP[1]}"
echo "ok: suspend and this user's session lock lock the vault; other sessions, forged senders and a missing bus do not"
