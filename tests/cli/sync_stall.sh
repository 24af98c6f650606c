#!/usr/bin/env bash
# A remote that stalls mid-transfer (libgit2 1.5.1 has no server timeout): the smart HTTP
# server of tests/tools/git_https_server.py sends the first 64 bytes of a fetch's pack and
# then nothing, holding the connection (stock git is shown to hang on it: the control).
# With `[sync] timeout = 5` the coordinator's `vigil sync` stops at the cap, exit 1, with
# the error naming the cap; the network helper (vigil-net) that ran it is gone (a new
# waiting one may exist: another pid, started later); the same daemon answers at once; its
# store passes vg_store_check. A lock asked for during a stalled sync stops it at once. The
# next sync against a healthy server fetches everything.
# `timeout` values below the minimum of 5 s, or not numbers, are refused with the line.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
require_tool git sqlite3 jq
. "$VIGIL_SOURCE_DIR/tests/lib/syncorg.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/netserv.sh"
require_tool openssl

# ---- bad values refused with the line number ----
new_home bad badconf
mkdir -p "$bad/config"
for v in 4 0 -1 5s abc; do
	printf '[sync]\ntimeout = %s\n' "$v" >"$bad/config/vigil.conf"
	expect_refusal 1 "line 2: bad value for 'timeout'" vg "$bad" config show
done
printf '[sync]\ntimeout = 5\n' >"$bad/config/vigil.conf"
vg "$bad" config show --json | jq -e '.settings[] | select(.key == "timeout") | .value == 5' >/dev/null ||
	fail "timeout = 5 is not taken: $(vg "$bad" config show)"

# ---- an organisation over https (no auth needed at this server) ----
PIN=$(make_cert c1)
mkdir -p "$T/srv"
start_https "$T/srv" c1
URL=https://127.0.0.1:$HTTPS_PORT/vigil.git
CONF[office]=$'[sync]\ninterval = 0\ntimeout = 5'
CONF[m1]=$'[sync]\ninterval = 0'
net_org_init "$T/srv/vigil.git" office m1
C=${H[office]}
M=${H[m1]}
vgn "$C" --passphrase-fd 3 remote set "$URL" --pin "$PIN" 3<<<"${PW[office]}" >/dev/null || fail "remote set"
kkn "$C" publish >/dev/null || fail "publish"
net_join m1 "$URL" --pin "$PIN"
entries "$M" 6
vgn "$M" sync --json | jq -e '.pushed == 6' >/dev/null || fail "monitor sync"

# ---- the same address, now stalling mid-transfer ----
stop_https
start_https "$T/srv" c1 --stall-after 64
# Control: stock git (protocol v0, as libgit2 speaks) hangs on it.
rc=0
GIT_SSL_CAINFO=$NS/c1.pem GIT_CONFIG_NOSYSTEM=1 HOME=$NS timeout 4 \
	git -c protocol.version=0 clone -q --mirror "$URL" "$T/stock.git" 2>/dev/null || rc=$?
[ $rc = 124 ] || fail "control: stock git did not hang on the stalling server (exit $rc)"
grep -q "stalled after 64 of" "$HTTPS_LOG" || fail "control: the server did not stall: $(cat "$HTTPS_LOG")"

DPID=$(daemon_pid "$C")
# net_helpers PID: the vigil-net processes below the daemon PID, "pid starttime" each.
net_helpers() {
	local p
	for p in $(netserv_tree "$1"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = vigil-net ] || continue
		pid_alive "$p" || continue
		echo "$p $(awk '{print $22}' "/proc/$p/stat" 2>/dev/null)"
	done
}
# to_server: the socket inodes of established client connections to the server's port
# (/proc/net/tcp, readable by anyone).
to_server() {
	awk -v port="$(printf '%04X' "$HTTPS_PORT")" 'NR > 1 && $4 == "01" {
		split($3, r, ":"); if (r[2] == port) print $10 }' /proc/net/tcp
}
# holds PID INODES...: PID has one of these sockets open (needs ptrace rights over a
# non-dumpable process: root).
holds() {
	local p=$1 l i
	shift
	for l in $(readlink /proc/"$p"/fd/* 2>/dev/null); do
		for i in "$@"; do
			[ "$l" = "socket:[$i]" ] && return 0
		done
	done
	return 1
}
mark=$(wc -l <"$HTTPS_LOG")
s=$(date +%s%N)
setsid -w "$VIGIL" --home "$C" sync </dev/null >"$T/stall.out" 2>"$T/stall.err" &
sync_pid=$!
# While it hangs: the helper that runs it holds the stalled connection.
stalled() { tail -n +$((mark + 1)) "$HTTPS_LOG" | grep -q "stalled after 64"; }
wait_for stalled
net_helpers "$DPID" >"$T/helpers.during"
[ -s "$T/helpers.during" ] || fail "no vigil-net process below the daemon during the stalled sync"
to_server >"$T/conns.during"
[ -s "$T/conns.during" ] || fail "no connection to the stalling server during the sync"
runner=
if [ "$(id -u)" = 0 ]; then
	while read -r p st; do
		# shellcheck disable=SC2046
		holds "$p" $(cat "$T/conns.during") && runner="$p $st"
	done <"$T/helpers.during"
	[ -n "$runner" ] || fail "no vigil-net holds the stalled connection (the daemon itself?): $(cat "$T/helpers.during")"
	# shellcheck disable=SC2046
	! holds "$DPID" $(cat "$T/conns.during") || fail "the daemon itself holds the connection to the server"
fi
wait_child "$sync_pid"
ms=$(elapsed_ms "$s")
[ "$child_rc" = 1 ] || fail "the stalled sync exited $child_rc, want 1: $(cat "$T/stall.out" "$T/stall.err")"
grep -qi "sync stopped: the remote did not finish within 5 s; the network helper was stopped" "$T/stall.err" ||
	fail "the stall error: $(cat "$T/stall.err")"
[ "$ms" -ge 4500 ] && [ "$ms" -le 12000 ] || fail "the stalled sync ended after $ms ms (cap 5 s)"
echo "figure: stalled sync stopped after $ms ms (cap 5 s)"

# The stalled connection is closed, the helper that held it is gone; a vigil-net left now
# is another process (a new waiting one).
no_conn() { [ -z "$(to_server)" ]; }
wait_for no_conn
if [ -n "$runner" ]; then
	read -r rp rst <<<"$runner"
	! pid_alive "$rp" || [ "$(awk '{print $22}' "/proc/$rp/stat" 2>/dev/null)" != "$rst" ] ||
		fail "the network helper $rp of the stalled sync is still running"
fi
net_helpers "$DPID" >"$T/helpers.after"
[ -z "$runner" ] || ! grep -qx "$runner" "$T/helpers.after" || fail "the stalled helper is still below the daemon"
echo "figure: vigil-net during the stall: $(wc -l <"$T/helpers.during"), after: $(wc -l <"$T/helpers.after")"

# The daemon is the same and answers at once; its store is intact.
s=$(date +%s%N)
[ "$(daemon_pid "$C")" = "$DPID" ] || fail "the daemon was replaced"
[ "$(elapsed_ms "$s")" -lt 2000 ] || fail "status after the stall took more than 2 s"
vg "$C" status --json | jq -e '.locked == false' >/dev/null || fail "the daemon lost its unlock"
"$STORE_CHECK" --home "$C" >"$T/check.out" || fail "store after the stall: $(cat "$T/check.out")"

# A lock asked for during a stalled sync (SIGUSR1 here; logind's suspend takes the same
# path) ends the transfer at once instead of keeping the keys through the cap: the sync
# fails well before its 5 s with the reason, the vault is locked, the daemon still runs.
mark=$(wc -l <"$HTTPS_LOG")
s=$(date +%s%N)
setsid -w "$VIGIL" --home "$C" sync </dev/null >"$T/lock.out" 2>"$T/lock.err" &
sync_pid=$!
wait_for stalled
sig=$(date +%s%N)
kill -USR1 "$DPID"
wait_child "$sync_pid"
ms=$(elapsed_ms "$sig")
[ "$child_rc" = 1 ] || fail "the sync stopped by a lock exited $child_rc: $(cat "$T/lock.out" "$T/lock.err")"
grep -qi "sync stopped: the keys are being locked (SIGUSR1); the network helper was stopped" "$T/lock.err" ||
	fail "the lock's stop: $(cat "$T/lock.err")"
[ "$ms" -lt 2500 ] || fail "the sync ended $ms ms after the lock was asked for (the cap is 5 s)"
[ "$(daemon_pid "$C")" = "$DPID" ] || fail "the daemon was replaced after the lock"
vg "$C" status --json | jq -e '.locked == true' >/dev/null || fail "not locked after SIGUSR1 during the sync: $(vg "$C" status --json)"
grep -q "sync stopped: the keys are being locked (SIGUSR1)" "$C/data/vigild.log" ||
	fail "the daemon's log does not say why the sync stopped"
echo "figure: a stalled sync stopped $ms ms after a lock was asked for"
no_conn() { [ -z "$(to_server)" ]; }
wait_for no_conn
"$STORE_CHECK" --home "$C" >/dev/null || fail "store after the lock during a sync"

# A healthy server again: the next sync (unlocking first) fetches everything.
stop_https
start_https "$T/srv" c1
vgn "$C" --passphrase-fd 3 sync --json >"$T/c.json" 3<<<"${PW[office]}" || fail "sync after the stall: $(cat "$T/c.json")"
jq -e '.fetched == 6 and .accepted == 6' "$T/c.json" >/dev/null || fail "sync after the stall: $(cat "$T/c.json")"
"$STORE_CHECK" --home "$C" >/dev/null || fail "store after the healthy sync"
echo "ok: a stalled remote stops at the cap, the helper is gone, the daemon and store are fine"
