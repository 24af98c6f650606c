#!/usr/bin/env bash
# A hostile git host (tests/lib/hostile_repo.sh) against vigil sync: a member branch rolled
# back, its history rewritten, an entry removed, an entry's bytes changed, a foreign file
# added, an oversized blob, and a second device pushing with a cloned key. Each is refused
# with an alarm and changes nothing trusted: the coordinator's store and its verified head
# stay as they were, and the next honest sync works again.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/hostile_repo.sh"
require_tool git sqlite3 jq

KEYS=$VIGIL_BUILD_DIR/keys/vigil-keys
FEED=$VIGIL_BUILD_DIR/tests/vg_feed_tool
[ -x "$KEYS" ] && [ -x "$FEED" ] || fail "vigil-keys or vg_feed_tool is not built"
ORGPW='organisation key: a long passphrase'
export GIT_CONFIG_NOSYSTEM=1

kk() {
	local h=$1
	shift
	setsid -w "$KEYS" --home "$h" "$@" </dev/null
}

declare -A H PW
for who in office m1; do
	new_home home "$who"
	H[$who]=$home
	PW[$who]="vault passphrase of $who"
	vg "$home" --passphrase-fd 3 init --name "$who" 3<<<"${PW[$who]}" >/dev/null || fail "init $who"
done
C=${H[office]}
M=${H[m1]}
REMOTE=$T/remote.git
git init -q --bare "$REMOTE"
kk "$C" --passphrase-fd 3 org init --name "Example Watch" --org-key "$T/org.key" \
	--recovery "$T/recovery.age" 3< <(printf '%s\n%s\n' "$ORGPW" "recovery pw") >/dev/null || fail "org init"
kk "$C" --passphrase-fd 3 enroll --role monitor --yes "$(cat "$M/data/identity.pub")" 3<<<"$ORGPW" \
	>/dev/null || fail "enroll"
vg "$C" --passphrase-fd 3 remote set "$REMOTE" 3<<<"${PW[office]}" >/dev/null || fail "remote set"
kk "$C" publish >/dev/null || fail "publish"
kk "$C" --passphrase-fd 3 invite m1 --remote "$REMOTE" -o "$T/m1.inv" 3<<<"$ORGPW" >/dev/null || fail "invite"
vg "$M" --passphrase-fd 3 join "$T/m1.inv" --yes 3<<<"${PW[m1]}" >/dev/null || fail "join"
A=$(cut -d: -f3 "$M/data/identity.pub" | base64 -d | tail -c 32 | b2sum -l 256 | cut -d' ' -f1)
REF=refs/heads/members/$A

append() { "$FEED" append --home "$1" --count "$2" <<<"$3" >/dev/null; }
append "$M" 2 "${PW[m1]}" || fail "append"
vg "$M" sync >/dev/null || fail "sync 1"
append "$M" 1 "${PW[m1]}" || fail "append"
vg "$M" sync >/dev/null || fail "sync 2"
vg "$C" sync >/dev/null || fail "coordinator sync"
GOOD=$(hr_save "$REMOTE" "$REF")

# What the coordinator trusts: the store's rows and the verified head of the branch.
trusted() {
	sqlite3 "$C/data/store.db" "SELECT hex(id), state FROM entries ORDER BY id;
		SELECT ref, hex(oid) FROM sync_heads ORDER BY ref;"
}
trusted >"$T/trusted.before"
[ "$(sqlite3 "$C/data/store.db" 'SELECT count(*) FROM entries WHERE state = 0')" = 3 ] ||
	fail "the coordinator should hold 3 entries"

# attack NAME KIND PATTERN: after the remote was changed, the coordinator's sync exits 1
# with an alarm of KIND whose message matches PATTERN, and nothing trusted changed.
attack() {
	local name=$1 kind=$2 pat=$3 rc=0
	vg "$C" sync --json >"$T/$name.json" 2>"$T/$name.err" || rc=$?
	[ "$rc" = 1 ] || fail "$name: sync exited $rc, want 1: $(cat "$T/$name.err")"
	jq -e --arg k "$kind" --arg p "$pat" '[.alarms[] | select(.kind == $k and (.message | test($p)))] | length == 1' \
		"$T/$name.json" >/dev/null || fail "$name: no '$kind' alarm matching /$pat/: $(cat "$T/$name.json")"
	grep -q "alarm" "$T/$name.err" || fail "$name: the alarm is not shown"
	trusted >"$T/trusted.after"
	cmp -s "$T/trusted.before" "$T/trusted.after" || fail "$name: something trusted changed"
	vg "$C" status --json | jq -e --arg k "$kind" '[.alarms[] | select(.kind == $k)] | length == 1' \
		>/dev/null || fail "$name: status does not show the alarm"
	hr_set "$REMOTE" "$REF" "$GOOD"
	vg "$C" alarm clear >/dev/null || fail "alarm clear"
	vg "$C" sync --json | jq -e '.alarms == [] and .fetched == 0' >/dev/null ||
		fail "$name: the honest branch is not accepted again"
}

hr_rollback "$REMOTE" "$REF" 1
attack rollback rollback "moved backwards or was rewritten"
hr_rewrite "$REMOTE" "$REF"
attack rewrite rollback "moved backwards or was rewritten"
hr_remove "$REMOTE" "$REF"
attack removed branch "was removed"
hr_change "$REMOTE" "$REF"
attack changed branch "was changed"
hr_foreign "$REMOTE" "$REF"
attack foreign branch "README.*not a file the layout allows"
hr_oversized "$REMOTE" "$REF"
attack oversized branch "larger than an entry can be"

# A new entry whose bytes were changed before the coordinator ever saw it.
append "$M" 1 "${PW[m1]}" || fail "append"
vg "$M" sync >/dev/null || fail "sync 3"
NEXT=$(hr_save "$REMOTE" "$REF")
hr_set "$REMOTE" "$REF" "$GOOD"
idx=$T/idx
GIT_INDEX_FILE=$idx hr_git "$REMOTE" read-tree "$NEXT"
newp=$(hr_git "$REMOTE" diff-tree -r --name-only "$GOOD" "$NEXT" | grep '\.age$')
hr_git "$REMOTE" cat-file blob "$NEXT:$newp" >"$T/blob"
printf '\001' | dd of="$T/blob" bs=1 seek=300 conv=notrunc status=none
GIT_INDEX_FILE=$idx hr_git "$REMOTE" update-index --cacheinfo "100644,$(hr_git "$REMOTE" hash-object -w "$T/blob"),$newp"
hr_set "$REMOTE" "$REF" "$(GIT_COMMITTER_NAME=x GIT_COMMITTER_EMAIL=x GIT_AUTHOR_NAME=x GIT_AUTHOR_EMAIL=x \
	hr_git "$REMOTE" commit-tree "$(GIT_INDEX_FILE=$idx hr_git "$REMOTE" write-tree)" -p "$GOOD" </dev/null)"
rm -f "$idx"
attack forged branch "refused"
hr_set "$REMOTE" "$REF" "$NEXT"
vg "$C" sync --json | jq -e '.accepted == 1 and .alarms == []' >/dev/null || fail "the honest entry after a forgery"
GOOD=$NEXT
trusted >"$T/trusted.before"

# ---- a second device with a cloned key (a restored backup, a copied laptop) ----
stop_daemon "$M"
new_home clone m1clone
cp -a "$M/data" "$M/config" "$clone/" 2>/dev/null || cp -a "$M/data" "$clone/"
append "$clone" 1 "${PW[m1]}" || fail "append on the clone"
vg "$clone" --passphrase-fd 3 sync 3<<<"${PW[m1]}" >/dev/null || fail "the clone's sync"
append "$M" 1 "${PW[m1]}" || fail "append on the original"
expect_refusal 1 "another copy of this key|further ahead" vg "$M" --passphrase-fd 3 sync 3<<<"${PW[m1]}"
vg "$M" status --json | jq -e '[.alarms[] | select(.kind == "clone" and .blocking)] | length == 1' \
	>/dev/null || fail "no blocking clone alarm"
if append "$M" 1 "${PW[m1]}" 2>"$T/blocked.err"; then
	fail "an append was accepted while the clone alarm stands"
fi
grep -q "appending is refused until an alarm is resolved" "$T/blocked.err" || fail "append refusal: $(cat "$T/blocked.err")"
# The remote still holds the clone's history, fast-forward only: the original's fork never landed.
[ "$(hr_git "$REMOTE" rev-list --count "$REF")" = "$(hr_git "$clone/data/repo.git" rev-list --count "$REF")" ] ||
	fail "the original's fork reached the remote"
echo "ok: rollback, rewrite, removal, change, foreign file, oversized blob, forgery, cloned key"
