#!/usr/bin/env bash
# Syncs killed with kill -9 at random moments never corrupt a store or a repository. Each
# round a monitor appends entries, then the monitor
# and the coordinator sync at once, and their daemons are killed (SIGKILL) after a random
# delay: while committing, fetching, pushing, verifying or after. Then: git fsck --strict
# is clean on both local repositories and the bare remote, vg_store_check passes on both
# stores (every acknowledged entry of the monitor present and accepted, hash chains whole),
# and the next sync of each completes without an alarm, after which the remote and the
# coordinator hold every acknowledged entry. A control counts the kills that interrupted a
# sync under way (else the test proved nothing).
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
require_tool git sqlite3 jq
. "$VIGIL_SOURCE_DIR/tests/lib/syncorg.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/reliability.sh"

# Time budget (CI, test KDF, 2 cores): rel_rounds rounds (200 plain, 5 to 7 minutes on a
# shared machine, most of it the two daemons restarted and checked each round; 50
# sanitized, where each round is 2 to 3 times slower); VIGIL_CRASH_ROUNDS=N (or
# VIGIL_SYNC_KILL_ROUNDS=N for this test alone) for a manual soak.
ROUNDS=${VIGIL_SYNC_KILL_ROUNDS:-$(rel_rounds)}
REMOTE=$T/remote.git
sync_org "$REMOTE" office m1
C=${H[office]}
M=${H[m1]}
REF=refs/heads/members/${A[m1]}

# sync_pw NAME: sync with the passphrase at hand (a killed daemon comes back locked).
sync_pw() {
	setsid -w "$VIGIL" --home "${H[$1]}" --passphrase-fd 3 sync --json </dev/null 3<<<"${PW[$1]}"
}
fsck() {
	git --git-dir="$1" fsck --strict >"$T/fsck" 2>&1 || fail "round $r: git fsck --strict $1: $(cat "$T/fsck")"
}
check_all() {
	fsck "$M/data/repo.git"
	fsck "$C/data/repo.git"
	fsck "$REMOTE"
	"$STORE_CHECK" --home "$M" --ids "$T/m1.ids" >"$T/check" || fail "round $r: monitor's store: $(cat "$T/check")"
	"$STORE_CHECK" --home "$C" >"$T/check" || fail "round $r: coordinator's store: $(cat "$T/check")"
}

interrupted=0
rel_begin crash-sync
for ((r = 1; r <= ROUNDS; r++)); do
	# A few entries a round: every sync has something to commit and push, and the
	# stores (which every round verifies whole) grow slowly over 200 rounds.
	entries "$M" $((2 + RANDOM % 7))
	mpid=$(lock_pid "$M")
	cpid=$(lock_pid "$C")
	pid_alive "$mpid" && pid_alive "$cpid" || fail "round $r: a daemon is not running"
	vg "$M" sync >"$T/m.out" 2>&1 &
	mj=$!
	vg "$C" sync >"$T/c.out" 2>&1 &
	cj=$!
	# Random moments within the first 80 ms (a client starts in about 5 ms, and these
	# syncs take 20 to 70 ms), each daemon its own.
	d1=$((RANDOM % 80)) d2=$((RANDOM % 80))
	if [ "$d1" -le "$d2" ]; then
		sleep "0.$(printf '%03d' "$d1")"
		kill -9 "$mpid" 2>/dev/null || true
		sleep "0.$(printf '%03d' $((d2 - d1)))"
		kill -9 "$cpid" 2>/dev/null || true
	else
		sleep "0.$(printf '%03d' "$d2")"
		kill -9 "$cpid" 2>/dev/null || true
		sleep "0.$(printf '%03d' $((d1 - d2)))"
		kill -9 "$mpid" 2>/dev/null || true
	fi
	mrc=0 crc=0
	wait "$mj" || mrc=$?
	wait "$cj" || crc=$?
	wait_gone "$mpid"
	wait_gone "$cpid"
	# A client whose daemon died under its request: a sync interrupted (one that found
	# no daemon started a locked one and says so instead).
	for out in "$T/m.out" "$T/c.out"; do
		if grep -Eq "cannot read from the socket|closed the connection|end of file" "$out"; then
			interrupted=$((interrupted + 1))
		fi
	done
	[ "$mrc" = 0 ] || grep -Eq "socket|connection|end of file|vault is locked" "$T/m.out" ||
		fail "round $r: the monitor's sync failed otherwise: $(cat "$T/m.out")"
	check_all
	# The next syncs complete, without an alarm.
	sync_pw m1 >"$T/m.json" 2>"$T/m.err" || fail "round $r: the monitor's next sync: $(cat "$T/m.json" "$T/m.err")"
	jq -e '.alarms == [] and .pending == 0' "$T/m.json" >/dev/null || fail "round $r: monitor: $(cat "$T/m.json")"
	sync_pw office >"$T/c.json" 2>"$T/c.err" || fail "round $r: the coordinator's next sync: $(cat "$T/c.json" "$T/c.err")"
	jq -e '.alarms == []' "$T/c.json" >/dev/null || fail "round $r: coordinator: $(cat "$T/c.json")"
	REL_TRIED=$r
done
check_all

# Every acknowledged entry is on the remote and accepted by the coordinator.
sort "$T/m1.ids" >"$T/acked"
remote_entries "$REMOTE" "$REF" | cut -d' ' -f3 | sort >"$T/remote"
cmp -s "$T/acked" "$T/remote" || fail "the remote's branch differs from what was acknowledged"
store_entries "$C" 0 "${A[m1]}" | cut -d' ' -f3 | sort >"$T/coord"
cmp -s "$T/acked" "$T/coord" || fail "the coordinator's store differs from what was acknowledged"
"$STORE_CHECK" --home "$C" --ids "$T/m1.ids" >"$T/check" || fail "coordinator: $(cat "$T/check")"
# Control: kills did land in syncs under way.
[ "$interrupted" -ge $((ROUNDS / 2)) ] || fail "only $interrupted of $((2 * ROUNDS)) kills interrupted a sync"
rel_end
echo "ok: $ROUNDS rounds, $interrupted of $((2 * ROUNDS)) syncs killed mid-way, $(wc -l <"$T/acked") entries, nothing corrupted"
