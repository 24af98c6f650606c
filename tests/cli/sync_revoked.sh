#!/usr/bin/env bash
# A device that syncs and finds itself revoked in the roster first pushes what it has not
# pushed, then destroys its keys as 'vigil panic' does (DESIGN.md "At rest"). A monitor
# with two entries written after its last delivery is revoked (cutoff: the three the
# coordinator verified) and the roster published: its next 'vigil sync' pushes the two
# (on the remote, read with stock git), says it is revoked and exits 1; its daemon stops,
# its vault is gone, the passphrase unlocks nothing, what remains is panic's allow-list.
# The coordinator holds the two quarantined (after the cutoff) until late-accept admits
# them, then accepted. A second monitor with a background sync of one second is revoked
# too and wipes itself with no command at all. A copy of the first monitor's home taken
# before is the control: the same passphrase still unlocks it.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
require_tool git sqlite3 jq
. "$VIGIL_SOURCE_DIR/tests/lib/syncorg.sh"

REMOTE=$T/remote.git
CONF[m2]=$'[sync]\ninterval = 1'
sync_org "$REMOTE" office m1 m2
C=${H[office]}
M=${H[m1]}

# keys_left HOME: sealed key files, passphrase-encrypted identities, files being destroyed.
keys_left() {
	local f
	while IFS= read -r -d '' f; do
		if head -c 8 "$f" | grep -q VIGILKEY || head -c 40 "$f" | grep -qa -- '-> scrypt' ||
			[[ $(basename "$f") == .vigil-shred-* ]]; then
			echo "$f"
		fi
	done < <(find "$1" -type f -print0)
}
# wiped HOME NAME: as after vigil panic.
wiped() {
	local h=$1 name=$2 left
	left=$(keys_left "$h")
	[ -z "$left" ] || fail "$name: key material left: $left"
	for f in data/vault.key data/identity.pub; do
		[ ! -e "$h/$f" ] || fail "$name: $f survived"
	done
	find "$h" -type f | sed "s|^$h/||" | sort >"$T/left"
	grep -Ev '^data/(store\.db(-wal|-shm)?|vigild\.log(\.old)?|vigild\.lock|roster/.*|repo\.git/.*)$|^config/vigil\.conf$|^run/' \
		"$T/left" >"$T/unexpected" || true
	[ ! -s "$T/unexpected" ] || fail "$name: files outside panic's allow-list: $(cat "$T/unexpected")"
	[ "$(sqlite3 "$h/data/store.db" 'SELECT count(*) FROM file_keys')" = 0 ] || fail "$name: wrapped file keys left"
	expect_refusal 1 "vigil init" setsid -w "$VIGIL" --home "$h" --passphrase-fd 3 unlock </dev/null 3<<<"${PW[$name]}"
}

# ---- the first monitor: three delivered and verified, two written after ----
entries "$M" 3
vg "$M" sync >/dev/null || fail "sync m1"
vg "$C" sync >/dev/null || fail "sync office"
entries "$M" 2
mapfile -t ids <"$T/m1.ids"
vg "$M" status --json | jq -e '.pending == 2 and .role == "monitor"' >/dev/null || fail "m1 before"
kk "$C" --passphrase-fd 3 revoke m1 --json 3<<<"$ORGPW" >"$T/revoke.json" || fail "revoke m1"
jq -e --arg c "${ids[2]}" '.cutoff.seq == 3 and .cutoff.id == $c' "$T/revoke.json" >/dev/null ||
	fail "cutoff: $(cat "$T/revoke.json")"
kk "$C" publish >/dev/null || fail "publish"
stop_daemon "$M"
cp -a "$M" "$T/m1-copy"
daemon_homes+=("$T/m1-copy")
rm -rf "$T/m1-copy/run"

# ---- its next sync: pushed, then wiped ----
pid=$(vg "$M" --passphrase-fd 3 unlock 3<<<"${PW[m1]}" >/dev/null && daemon_pid "$M") || fail "unlock m1"
rc=0
setsid -w "$VIGIL" --home "$M" sync --json </dev/null >"$T/sync.json" 2>"$T/sync.err" || rc=$?
[ "$rc" = 1 ] || fail "the revoked monitor's sync exited $rc: $(cat "$T/sync.err")"
grep -q "this device is revoked in the roster: its own entries were pushed (2 now), and its keys are being destroyed" \
	"$T/sync.err" || fail "message: $(cat "$T/sync.err")"
jq -e '.revoked and .pushed == 2 and .roster_taken == 1 and .pending == 0' "$T/sync.json" >/dev/null ||
	fail "sync report: $(cat "$T/sync.json")"
wait_gone "$pid"
grep -q "revoked in the roster: keys destroyed as by vigil panic" "$M/data/vigild.log" ||
	fail "the log does not say why the keys went"
# The two are on the remote, beside the three.
remote_entries "$REMOTE" "refs/heads/members/${A[m1]}" | cut -d' ' -f3 | sort >"$T/remote"
sort "$T/m1.ids" >"$T/acked"
cmp -s "$T/acked" "$T/remote" || fail "the remote lacks the revoked monitor's last entries"
git --git-dir="$REMOTE" fsck --strict >"$T/fsck" 2>&1 || fail "git fsck: $(cat "$T/fsck")"
wiped "$M" m1
# Control: the copy taken before the sync still opens with the same passphrase.
setsid -w "$VIGIL" --home "$T/m1-copy" --passphrase-fd 3 unlock </dev/null >/dev/null 3<<<"${PW[m1]}" ||
	fail "control: the copy taken before does not unlock"

# ---- the coordinator: three accepted, two quarantined until late-accept ----
vg "$C" sync --json >"$T/c.json" || fail "office sync: $(cat "$T/c.json")"
jq -e '.fetched == 2 and .quarantined == 2 and .refused == 0 and .alarms == []' "$T/c.json" >/dev/null ||
	fail "office sync: $(cat "$T/c.json")"
for i in 3 4; do
	[ "$(sqlite3 "$C/data/store.db" "SELECT state || ' ' || reason FROM entries WHERE hex(id) = upper('${ids[$i]}')")" = \
		"2 signed by revoked member 'm1' after its cutoff (sequence 3)" ] || fail "entry $((i + 1)) is not quarantined"
done
kk "$C" --passphrase-fd 3 late-accept "${ids[3]}" "${ids[4]}" 3<<<"$ORGPW" >/dev/null || fail "late-accept"
# Publishing syncs: the new roster's late_accept puts the two back on the chain.
kk "$C" publish >/dev/null || fail "publish late-accept"
for i in 3 4; do
	[ "$(sqlite3 "$C/data/store.db" "SELECT state FROM entries WHERE hex(id) = upper('${ids[$i]}')")" = 0 ] ||
		fail "entry $((i + 1)) is not accepted after late-accept"
done
vg "$C" sync --json | jq -e '.alarms == [] and .quarantined == 0' >/dev/null || fail "office sync after late-accept"
"$STORE_CHECK" --home "$C" --ids "$T/m1.ids" >"$T/check" || fail "coordinator's store: $(cat "$T/check")"

# ---- the second monitor, in the background, with no command ----
M2=${H[m2]}
entries "$M2" 2
on_remote2() { [ "$(remote_entries "$REMOTE" "refs/heads/members/${A[m2]}" | wc -l)" = 2 ]; }
wait_for on_remote2
vg "$C" sync >/dev/null || fail "office sync m2"
pid2=$(daemon_pid "$M2")
kk "$C" --passphrase-fd 3 revoke m2 3<<<"$ORGPW" >/dev/null || fail "revoke m2"
kk "$C" publish >/dev/null || fail "publish m2's revocation"
wait_gone "$pid2" 20
grep -q "background sync: done" "$M2/data/vigild.log" || fail "m2 did not sync in the background"
grep -q "revoked in the roster: keys destroyed as by vigil panic" "$M2/data/vigild.log" ||
	fail "m2's log does not say why the keys went"
wiped "$M2" m2
vg "$C" status --json | jq -e '.alarms == []' >/dev/null || fail "the coordinator has an alarm"
echo "ok: a revoked device pushes what it has not pushed, then destroys its keys (asked and in the background)"
