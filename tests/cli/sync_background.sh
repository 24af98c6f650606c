#!/usr/bin/env bash
# The daemon's background sync ([sync] interval in vigil.conf): a monitor whose interval is
# one second delivers its entries to the bare repository without 'vigil sync'; status
# shows the last try, its result and the next; while the remote is missing the tries back
# off (a few tries in many seconds, not one a second; status says so) and the next try
# after it reappears delivers what was written offline; 'vigil sync' tries at once and
# restarts the back-off; the daemon answers other clients between syncs; background syncs
# do not keep the vault from auto-locking, and a locked daemon schedules none. Interval 0
# turns it off; bad values are refused with the line number. Progress of 'vigil sync' on a
# terminal.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
require_tool git sqlite3 jq script
. "$VIGIL_SOURCE_DIR/tests/lib/syncorg.sh"

REMOTE=$T/usb/vigil.git
CONF[office]=$'[sync]\ninterval = 0'
CONF[m1]=$'[sync]\ninterval = 1'
sync_org "$REMOTE" office m1
C=${H[office]}
M=${H[m1]}
REF=refs/heads/members/${A[m1]}

on_remote() { # entries of m1 on the remote
	git --git-dir="$REMOTE" ls-tree -r --name-only "$REF" 2>/dev/null | grep -c '\.age$' || true
}
st() { vg "$1" status --json; }
# wait_until SECONDS COMMAND...: poll every 0.2 s.
wait_until() {
	local n=$(($1 * 5)) i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.2
	done
	fail "timed out after $((n / 5)) s waiting for: $*"
}

# ---- bad values are refused with the line number; the daemon does not start ----
new_home bad badconf
mkdir -p "$bad/config"
printf '[agent]\nautolock = 5\n[sync]\ninterval = 15m\n' >"$bad/config/vigil.conf"
expect_refusal 1 "vigil.conf' line 4: bad value for 'interval'" vg "$bad" status
printf '[sync]\ninterval = 604801\n' >"$bad/config/vigil.conf"
expect_refusal 1 "line 2: bad value for 'interval'" vg "$bad" status
printf '[sync]\nintreval = 60\n' >"$bad/config/vigil.conf"
expect_refusal 1 "line 2: unknown key 'intreval' in \[sync\]" vg "$bad" status
# The example configuration shipped in the package is valid and says the defaults.
cp "$VIGIL_SOURCE_DIR/packaging/vigil.conf.example" "$bad/config/vigil.conf"
vg "$bad" status --json | jq -e '.sync_interval == 900 and .autolock == 600 and .background_sync == "locked"' \
	>/dev/null || fail "the example configuration: $(vg "$bad" status --json)"
stop_daemon "$bad"

# ---- off: interval 0 ----
st "$C" | jq -e '.background_sync == "off" and .sync_interval == 0 and .next_sync == null' >/dev/null ||
	fail "coordinator's background sync is not off: $(st "$C")"
vg "$C" status | grep -q '^next sync:  off' || fail "status does not say the background sync is off"

# ---- on: entries reach the remote without 'vigil sync' ----
st "$M" | jq -e '.background_sync == "scheduled" and .sync_interval == 1 and .next_sync_in <= 2' >/dev/null ||
	fail "monitor's background sync is not scheduled: $(st "$M")"
before=$(on_remote)
entries "$M" 3
has_three() { [ "$(on_remote)" -ge $((before + 3)) ]; }
wait_until 15 has_three
st "$M" | jq -e '.last_result == "ok" and .sync_failures == 0 and (.last_try | test("Z$")) and .pending == 0' \
	>/dev/null || fail "status after a background sync: $(st "$M")"
vg "$M" status >"$T/status.txt"
grep -Eq '^last try:   [0-9TZ:-]+: ok$' "$T/status.txt" || fail "human status: $(cat "$T/status.txt")"
grep -Eq '^next sync:  in [0-9]+ s' "$T/status.txt" || fail "human status: $(cat "$T/status.txt")"
grep -q "background sync: done" "$M/data/vigild.log" || fail "no background sync in the log"

# The daemon answers between syncs: 20 requests, each well within a second.
for i in $(seq 20); do
	s=$(date +%s%N)
	vg "$M" status --json >/dev/null || fail "status during background syncs"
	[ $((($(date +%s%N) - s) / 1000000)) -lt 2000 ] || fail "status took more than 2 s"
done

# ---- offline: tries back off ----
mv "$T/usb" "$T/usb-away"
entries "$M" 2
three_failures() { st "$M" | jq -e '.sync_failures >= 3' >/dev/null; }
wait_until 20 three_failures
st "$M" >"$T/off.json"
jq -e '(.last_result | test("not reachable")) and .next_sync_in >= 1 and .pending == 2' "$T/off.json" >/dev/null ||
	fail "status while offline: $(cat "$T/off.json")"
vg "$M" status | grep -q ', backing off' || fail "human status does not say it backs off"
# With the interval of 1 s and no back-off there would be about 6 more tries in 6 s; backing
# off (the wait doubles to at most 8 s, drawn between its half and its whole) gives 2 at most.
f0=$(jq .sync_failures "$T/off.json")
sleep 6
f1=$(st "$M" | jq .sync_failures)
[ $((f1 - f0)) -le 2 ] || fail "no back-off: $f0 then $f1 failures in 6 s"
[ "$f1" -ge 3 ] || fail "failures went down while offline: $f0 then $f1"

# 'vigil sync' tries at once (and fails), and restarts the back-off from its first step.
expect_refusal 1 "not reachable" vg "$M" sync
st "$M" | jq -e '.sync_failures == 1 and .next_sync_in <= 2' >/dev/null ||
	fail "vigil sync did not restart the back-off: $(st "$M")"

# ---- the remote reappears: the next background try delivers what was written offline ----
mv "$T/usb-away" "$T/usb"
recovered() { st "$M" | jq -e '.sync_failures == 0 and .last_result == "ok" and .pending == 0' >/dev/null; }
wait_until 20 recovered
[ "$(on_remote)" -ge $((before + 5)) ] || fail "the entries written offline are not on the remote"
git --git-dir="$REMOTE" fsck --strict >"$T/fsck" 2>&1 || fail "git fsck: $(cat "$T/fsck")"

# ---- the coordinator (no background sync) receives everything with its own sync ----
vg "$C" sync --json >"$T/c.json" || fail "coordinator sync: $(cat "$T/c.json")"
n=$(sqlite3 "$C/data/store.db" "SELECT count(*) FROM entries WHERE state = 0 AND hex(author) = upper('${A[m1]}')")
[ "$n" = "$(wc -l <"$T/m1.ids")" ] || fail "coordinator holds $n accepted entries of m1, want $(wc -l <"$T/m1.ids")"
jq -e '.alarms == [] and .last_result == "ok" and .background_sync == "off"' "$T/c.json" >/dev/null ||
	fail "coordinator: $(cat "$T/c.json")"

# ---- progress of 'vigil sync' on a terminal ----
entries "$M" 1
has_one_more() { [ "$(on_remote)" -ge $((before + 6)) ]; }
wait_until 15 has_one_more
tty_start "$T/tty.out" "$VIGIL" --home "$C" sync
tty_end
[ "$child_rc" = 0 ] || fail "vigil sync on a terminal: $(cat "$T/tty.out")"
grep -q "fetching from $REMOTE\.\.\." "$T/tty.out" || fail "no progress on the terminal: $(cat "$T/tty.out")"
grep -q "^fetched:   1 new entries on 1 branches" "$T/tty.out" || fail "no report on the terminal: $(cat "$T/tty.out")"
grep -q "member ${A[m1]:0:16}: 1 new entries verified\.\.\." "$T/tty.out" ||
	fail "no progress of the branch on the terminal: $(cat "$T/tty.out")"
grep -Eq "receiving objects \[#{30}\] ([0-9]+)/\1" "$T/tty.out" ||
	fail "no progress bar of the fetch on the terminal: $(cat "$T/tty.out")"

# ---- locked: no background sync; background syncs are not use (auto-lock still comes) ----
stop_daemon "$M"
printf '[agent]\nautolock = 3\n[sync]\ninterval = 1\n' >"$M/config/vigil.conf"
vg "$M" --passphrase-fd 3 unlock 3<<<"${PW[m1]}" >/dev/null || fail "unlock"
locked() { st "$M" | jq -e '.locked' >/dev/null; }
wait_until 15 locked
st "$M" | jq -e '.background_sync == "locked" and .next_sync == null' >/dev/null ||
	fail "a locked daemon schedules syncs: $(st "$M")"
tries=$(grep -c "background sync:" "$M/data/vigild.log")
sleep 2
[ "$(grep -c "background sync:" "$M/data/vigild.log")" = "$tries" ] || fail "a locked daemon synced"
echo "ok: background sync delivers, backs off while offline, recovers, vigil sync restarts the back-off, auto-lock kept"
