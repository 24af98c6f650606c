#!/usr/bin/env bash
# A hostile git host (tests/lib/hostile_repo.sh) against vigil sync: a member branch rolled
# back, its history rewritten, an entry removed, an entry's bytes changed, a foreign file
# added, an oversized blob, an entry of another organisation signed with the same key (the
# device is enrolled in both), and a second device pushing with a cloned key. Each is
# refused with an alarm and changes nothing trusted: the coordinator's store and its
# verified head stay as they were, and the next honest sync works again. Then two
# coordinators publish roster versions at the same time: a resolvable race (one signed on
# top of the other's) ends with both at the newest version and no alarm, whoever pushes
# first; two versions with one number are a fork alarm for the one that lost.
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

# ---- an entry of another organisation, signed by the same key ----
# The monitor's key is enrolled in a second organisation too (a copy of its identity joins
# it); an entry it signed there is pushed onto its branch here: refused, with the reason.
new_home office_b office-b
vg "$office_b" --passphrase-fd 3 init --name office-b 3<<<"vault pw b" >/dev/null || fail "init office-b"
kk "$office_b" --passphrase-fd 3 org init --name "Other Watch" --org-key "$T/org-b.key" \
	--recovery "$T/recovery-b.age" 3< <(printf '%s\n%s\n' "$ORGPW" "recovery pw") >/dev/null || fail "org init b"
kk "$office_b" --passphrase-fd 3 enroll --role monitor --yes "$(cat "$M/data/identity.pub")" 3<<<"$ORGPW" \
	>/dev/null || fail "enroll in b"
REMOTE_B=$T/remote-b.git
git init -q --bare "$REMOTE_B"
vg "$office_b" --passphrase-fd 3 remote set "$REMOTE_B" 3<<<"vault pw b" >/dev/null || fail "remote set b"
kk "$office_b" publish >/dev/null || fail "publish b"
kk "$office_b" --passphrase-fd 3 invite m1 --remote "$REMOTE_B" -o "$T/m1-b.inv" 3<<<"$ORGPW" >/dev/null || fail "invite b"
new_home m1b m1-in-b
mkdir -p "$m1b/data"
cp "$M/data/vault.key" "$M/data/identity.pub" "$m1b/data/"
vg "$m1b" --passphrase-fd 3 join "$T/m1-b.inv" --yes 3<<<"${PW[m1]}" >/dev/null || fail "join b with the same key"
append "$m1b" 1 "${PW[m1]}" || fail "append in b"
vg "$m1b" sync >/dev/null || fail "sync in b"
[ "$(cut -d: -f3 "$m1b/data/identity.pub")" = "$(cut -d: -f3 "$M/data/identity.pub")" ] || fail "not the same key"
bp=$(hr_git "$REMOTE_B" ls-tree -r --name-only "$REF" | grep '\.age$')
[ "$(wc -l <<<"$bp")" = 1 ] || fail "organisation b holds $(wc -l <<<"$bp") entries of m1"
idx=$T/idx
GIT_INDEX_FILE=$idx hr_git "$REMOTE" read-tree "$GOOD"
for f in "$bp" "$bp.minisig"; do
	hr_git "$REMOTE_B" cat-file blob "$REF:$f" >"$T/blob"
	GIT_INDEX_FILE=$idx hr_git "$REMOTE" update-index --add --cacheinfo "100644,$(hr_git "$REMOTE" hash-object -w "$T/blob"),$f"
done
hr_set "$REMOTE" "$REF" "$(GIT_COMMITTER_NAME=x GIT_COMMITTER_EMAIL=x GIT_AUTHOR_NAME=x GIT_AUTHOR_EMAIL=x \
	hr_git "$REMOTE" commit-tree "$(GIT_INDEX_FILE=$idx hr_git "$REMOTE" write-tree)" -p "$GOOD" </dev/null)"
rm -f "$idx"
attack otherorg branch "refused: entry belongs to another organisation"
stop_daemon "$m1b"

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

# ---- two coordinators publish at the same time (FORMAT.md 15) ----
# Each signs with the organisation key (the same offline file) in its own home, and both
# publish at once: whoever pushes second finds the roster branch moved, at its fetch or as
# a rejected push, and resolves it by fetching and verifying.
new_home c2 office2
vg "$c2" --passphrase-fd 3 init --name office2 3<<<"vault pw c2" >/dev/null || fail "init office2"
kk "$C" --passphrase-fd 3 enroll --role coordinator --yes "$(cat "$c2/data/identity.pub")" 3<<<"$ORGPW" \
	>/dev/null || fail "enroll office2"
kk "$C" publish >/dev/null || fail "publish office2"
kk "$C" --passphrase-fd 3 invite office2 --remote "$REMOTE" -o "$T/c2.inv" 3<<<"$ORGPW" >/dev/null || fail "invite office2"
vg "$c2" --passphrase-fd 3 join "$T/c2.inv" --yes 3<<<"vault pw c2" >/dev/null || fail "join office2"
vg "$C" alarm clear >/dev/null
vg "$c2" alarm clear >/dev/null
newest() { jq -r .version "$1/data/roster/roster.json"; }
renew() { # renew HOME DAYS
	kk "$1" --passphrase-fd 3 renew --org-key "$T/org.key" --days "$2" 3<<<"$ORGPW" >/dev/null || fail "renew in $1"
}
# publish_both: both at once; their exit statuses in pc and p2.
publish_both() {
	kk "$C" publish >"$T/pc.out" 2>&1 &
	local j1=$!
	kk "$c2" publish >"$T/p2.out" 2>&1 &
	local j2=$!
	pc=0 p2=0
	wait "$j1" || pc=$?
	wait "$j2" || p2=$?
}
same_roster() { cmp -s "$1/data/roster/roster.json" "$2/data/roster/roster.json"; }

# Resolvable: one signs version v, hands it to the other (as coordinators share signed
# roster files), who signs v+1 on top; both publish at once, and everyone ends at v+1.
for round in 1 2 3; do
	if [ $((round % 2)) = 1 ]; then first=$C second=$c2; else first=$c2 second=$C; fi
	renew "$first" $((10 + round))
	v=$(newest "$first")
	cp -a "$first/data/roster/versions/$v" "$second/data/roster/versions/$v"
	cp "$first/data/roster/roster.json" "$first/data/roster/roster.json.minisig" "$second/data/roster/"
	renew "$second" $((20 + round))
	publish_both
	[ "$pc" = 0 ] && [ "$p2" = 0 ] || fail "race $round: publish exited $pc and $p2: $(cat "$T/pc.out" "$T/p2.out")"
	for h in "$C" "$c2"; do
		vg "$h" sync --json >"$T/race.json" || fail "race $round: sync of $h: $(cat "$T/race.json")"
		jq -e --argjson v $((v + 1)) '.roster == $v and .alarms == []' "$T/race.json" >/dev/null ||
			fail "race $round: $h: $(cat "$T/race.json")"
	done
	hr_git "$REMOTE" show roster:roster.json | cmp -s - "$second/data/roster/roster.json" ||
		fail "race $round: the remote's roster is not version $((v + 1))"
	same_roster "$C" "$c2" || fail "race $round: the coordinators hold different rosters"
	git --git-dir="$REMOTE" fsck --strict >"$T/fsck" 2>&1 || fail "race $round: git fsck: $(cat "$T/fsck")"
done

# A fork: both sign the same version number with different contents and publish at once.
# One lands; the other is told it is a fork (an alarm, never resolved by itself).
renew "$C" 50
renew "$c2" 60
v=$(newest "$C")
[ "$(newest "$c2")" = "$v" ] || fail "fork: not the same version"
publish_both
if [ "$pc" = 0 ] && [ "$p2" = 1 ]; then
	winner=$C loser=$c2
elif [ "$pc" = 1 ] && [ "$p2" = 0 ]; then
	winner=$c2 loser=$C
else
	fail "fork: publish exited $pc and $p2: $(cat "$T/pc.out" "$T/p2.out")"
fi
hr_git "$REMOTE" show roster:roster.json | cmp -s - "$winner/data/roster/roster.json" ||
	fail "fork: the remote holds neither or the loser's version"
vg "$loser" status --json >"$T/loser.json"
jq -e '[.alarms[] | select(.kind == "fork" and .subject == "roster" and (.message | test("two roster versions with one number")))] | length == 1' \
	"$T/loser.json" >/dev/null || fail "fork: no fork alarm: $(cat "$T/loser.json")"
vg "$winner" status --json | jq -e '.alarms == []' >/dev/null || fail "fork: the winner has an alarm"
expect_refusal 1 "alarm" vg "$loser" sync
hr_git "$REMOTE" show roster:roster.json | cmp -s - "$winner/data/roster/roster.json" ||
	fail "fork: the loser's next sync changed the remote's roster"
git --git-dir="$REMOTE" fsck --strict >"$T/fsck" 2>&1 || fail "fork: git fsck: $(cat "$T/fsck")"
echo "ok: rollback, rewrite, removal, change, foreign file, oversized blob, forgery, another organisation, cloned key, roster races"
