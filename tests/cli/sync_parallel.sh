#!/usr/bin/env bash
# Three monitors and a coordinator sync with one bare repository at the same time, round
# after round (VIGIL_SYNC_ROUNDS, default 50): in each round every monitor appends one or
# two entries and all four sync in parallel. Every sync succeeds and raises no alarm. At the
# end the set of acknowledged (author, sequence, id) (what each monitor's feed printed)
# equals the set in every copy: each monitor's store, its local branch and its branch on the
# remote; the coordinator's store (accepted); the bare repository read with stock git, which
# git fsck --strict finds clean; and every store passes vg_store_check.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
require_tool git sqlite3 jq
. "$VIGIL_SOURCE_DIR/tests/lib/syncorg.sh"

ROUNDS=${VIGIL_SYNC_ROUNDS:-50}
REMOTE=$T/remote.git
MONITORS=(m1 m2 m3)
sync_org "$REMOTE" office "${MONITORS[@]}"
C=${H[office]}
start=$(date +%s)

# sync_one NAME ROUND: append (monitors) then sync; the output is kept for the checks.
sync_one() {
	local who=$1 r=$2
	if [ "$who" != office ]; then
		entries "${H[$who]}" $((1 + (r + ${who#m}) % 2))
	fi
	vg "${H[$who]}" sync --json >"$T/sync-$who-$r.json" 2>"$T/sync-$who-$r.err" || {
		echo "round $r: $who's sync failed: $(cat "$T/sync-$who-$r.err")" >"$T/failed-$who-$r"
	}
}

for ((r = 1; r <= ROUNDS; r++)); do
	pids=()
	for who in office "${MONITORS[@]}"; do
		sync_one "$who" "$r" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		wait "$p" || fail "round $r: a sync job failed"
	done
	if compgen -G "$T/failed-*" >/dev/null; then
		fail "$(cat "$T"/failed-*)"
	fi
	for who in office "${MONITORS[@]}"; do
		jq -e '.alarms_raised == 0 and .alarms == []' "$T/sync-$who-$r.json" >/dev/null ||
			fail "round $r: $who: $(cat "$T/sync-$who-$r.json")"
	done
	rm -f "$T"/sync-*-"$r".*
done
elapsed=$(($(date +%s) - start))
# Settle: every monitor's last entries reach the remote, then the coordinator.
for who in "${MONITORS[@]}" office; do
	vg "${H[$who]}" sync --json >"$T/last-$who.json" || fail "last sync of $who"
	jq -e '.alarms == [] and .pending == 0' "$T/last-$who.json" >/dev/null ||
		fail "last sync of $who: $(cat "$T/last-$who.json")"
done

# ---- every copy holds exactly what was acknowledged ----
: >"$T/acked.all"
for who in "${MONITORS[@]}"; do
	h=${H[$who]}
	a=${A[$who]}
	# Acknowledged: the ids the feed printed; their (author, seq) from the monitor's store.
	sort -u "$T/$who.ids" >"$T/$who.ids.sorted"
	[ "$(wc -l <"$T/$who.ids.sorted")" = "$(wc -l <"$T/$who.ids")" ] || fail "$who: an id acknowledged twice"
	store_entries "$h" 0 "$a" | sort >"$T/$who.store"
	cut -d' ' -f3 "$T/$who.store" | sort >"$T/$who.store.ids"
	cmp -s "$T/$who.ids.sorted" "$T/$who.store.ids" || fail "$who: its store differs from what it acknowledged: $(diff "$T/$who.ids.sorted" "$T/$who.store.ids" | head -5)"
	# Sequence numbers 1..n without a gap (drafts: none here).
	[ "$(cut -d' ' -f2 "$T/$who.store" | sort -n | tr '\n' ' ')" = "$(seq -s ' ' 1 "$(wc -l <"$T/$who.store")") " ] ||
		fail "$who: its sequence numbers have a gap"
	remote_entries "$h/data/repo.git" "refs/heads/members/$a" | sort >"$T/$who.local"
	cmp -s "$T/$who.store" "$T/$who.local" || fail "$who: its local branch differs from its store"
	remote_entries "$REMOTE" "refs/heads/members/$a" | sort >"$T/$who.remote"
	cmp -s "$T/$who.store" "$T/$who.remote" || fail "$who: its branch on the remote differs from its store"
	cat "$T/$who.store" >>"$T/acked.all"
	"$STORE_CHECK" --home "$h" --ids "$T/$who.ids" >"$T/check" || fail "vg_store_check $who: $(cat "$T/check")"
done
sort -o "$T/acked.all" "$T/acked.all"
total=$(wc -l <"$T/acked.all")
[ "$total" -ge $((ROUNDS * 3)) ] || fail "only $total entries acknowledged in $ROUNDS rounds"
store_entries "$C" 0 | sort >"$T/office.store"
cmp -s "$T/acked.all" "$T/office.store" || fail "the coordinator's store differs from what was acknowledged: $(diff "$T/acked.all" "$T/office.store" | head)"
[ "$(store_entries "$C" | wc -l)" = "$total" ] || fail "the coordinator holds entries that are not accepted"
for ref in $(git --git-dir="$REMOTE" for-each-ref --format='%(refname)' refs/heads/members/); do
	remote_entries "$REMOTE" "$ref"
done | sort >"$T/remote.all"
cmp -s "$T/acked.all" "$T/remote.all" || fail "the bare repository differs from what was acknowledged"
git --git-dir="$REMOTE" fsck --strict >"$T/fsck" 2>&1 || fail "git fsck --strict: $(cat "$T/fsck")"
cat "$T"/*.ids >"$T/all.ids"
"$STORE_CHECK" --home "$C" --ids "$T/all.ids" >"$T/check" || fail "vg_store_check office: $(cat "$T/check")"
for who in office "${MONITORS[@]}"; do
	vg "${H[$who]}" status --json | jq -e '.alarms == []' >/dev/null || fail "$who has an alarm"
done
echo "ok: $ROUNDS rounds of 4 parallel syncs in $elapsed s, $total entries, every copy equal, no alarm"
