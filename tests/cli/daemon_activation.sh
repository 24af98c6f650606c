#!/usr/bin/env bash
# systemd socket activation (LISTEN_FDS, LISTEN_PID), with systemd's own test activator:
# the daemon serves the socket it is handed, still takes the home's lock (so one lock
# decides between an activated and a started daemon, either way round), leaves systemd's
# socket file alone when it stops, and refuses an abstract socket or an unsafe directory.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
require_tool systemd-socket-activate socat

PW='activation test passphrase'
new_home H activated
mkdir -m 0700 "$H/run"
sock=$H/run/vigild.sock

systemd-socket-activate -l "$sock" "$VIGILD" --foreground --home "$H" 2>"$T/sa.log" &
sa=$!
wait_for test -S "$sock"
# The first connection makes the activator exec vigild in its own process.
[ "$(daemon_pid "$H")" = "$sa" ] || fail "status is not answered by the activated daemon"
grep -q 'socket from systemd' "$T/sa.log" || fail "the daemon did not take systemd's socket: $(cat "$T/sa.log")"
expect_refusal 1 'another vigild is already running' timeout 20 "$VIGILD" --home "$H" --foreground
vg "$H" --passphrase-fd 3 init 3<<<"$PW" >/dev/null || fail "init through the activated daemon"
vg "$H" id --verify >/dev/null || fail "id --verify through the activated daemon"
vg "$H" shutdown >/dev/null || fail "shutdown"
wait_child "$sa"
rc=$child_rc
[ $rc -eq 0 ] || fail "the activated daemon exited $rc: $(cat "$T/sa.log")"
[ -S "$sock" ] || fail "the daemon removed the socket systemd owns"
! grep -Eq 'Sanitizer|runtime error' "$T/sa.log" || fail "sanitizer report: $(cat "$T/sa.log")"

# Without systemd, vigil starts a daemon that replaces the stale socket.
st=$(vg "$H" status --json) || fail "status after the activated daemon stopped"
[ "$(jq .locked <<<"$st")" = true ] || fail "a new daemon must start locked"

# The other way round: a started daemon holds the lock; an activated one is refused.
systemd-socket-activate -l "$T/second.sock" "$VIGILD" --foreground --home "$H" 2>"$T/sa2.log" &
sa2=$!
wait_for test -S "$T/second.sock"
socat -t 2 - "UNIX-CONNECT:$T/second.sock" </dev/null >/dev/null 2>&1 || true
wait_child "$sa2"
rc=$child_rc
[ $rc -eq 1 ] || fail "a second, activated vigild exited $rc"
grep -q 'another vigild is already running' "$T/sa2.log" || fail "$(cat "$T/sa2.log")"
stop_daemon "$H"

# An abstract socket (any uid can reach those) is refused.
new_home H3 abstract
name=vigil-test-$$-$RANDOM
systemd-socket-activate -l "@$name" "$VIGILD" --foreground --home "$H3" 2>"$T/sa3.log" &
sa3=$!
ready() { grep -q 'Listening on' "$T/sa3.log"; }
wait_for ready
socat -t 2 - "ABSTRACT-CONNECT:$name" </dev/null >/dev/null 2>&1 || true
wait_child "$sa3"
rc=$child_rc
[ $rc -eq 1 ] || fail "vigild accepted an abstract socket (exit $rc)"
grep -q 'abstract or unnamed socket: refusing it' "$T/sa3.log" || fail "$(cat "$T/sa3.log")"

# A socket in a directory others can enter is refused too.
new_home H4 activated-open
mkdir -m 0755 "$H4/run"
systemd-socket-activate -l "$H4/run/vigild.sock" "$VIGILD" --foreground --home "$H4" 2>"$T/sa4.log" &
sa4=$!
wait_for test -S "$H4/run/vigild.sock"
socat -t 2 - "UNIX-CONNECT:$H4/run/vigild.sock" </dev/null >/dev/null 2>&1 || true
wait_child "$sa4"
rc=$child_rc
[ $rc -eq 1 ] || fail "vigild accepted a socket in a 0755 directory (exit $rc)"
grep -q 'accessible by group or others (mode 0755)' "$T/sa4.log" || fail "$(cat "$T/sa4.log")"

echo "ok: socket activation, one lock for activated and started daemons, unsafe sockets refused"
