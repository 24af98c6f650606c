#!/usr/bin/env bash
# Sync end to end in temporary homes through one bare repository (a path remote): a
# coordinator publishes the roster, two monitors join with invitations (drafts sealed into
# the feed), write entries and sync; the coordinator's sync brings every monitor entry into
# its store verified and accepted. Status fields, progress, offline then sync later, a
# roster published later taken by the monitors, `git clone --mirror` + `git fsck --strict`
# clean, stock minisign on an entry and on the roster from the clone, the remote never in
# a git config file.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
require_tool git minisign sqlite3 jq

KEYS=$VIGIL_BUILD_DIR/keys/vigil-keys
FEED=$VIGIL_BUILD_DIR/tests/vg_feed_tool
[ -x "$KEYS" ] && [ -x "$FEED" ] || fail "vigil-keys or vg_feed_tool is not built"
ORGPW='organisation key: a long passphrase'
RECPW='recovery: another long passphrase'
export GIT_CONFIG_NOSYSTEM=1

kk() {
	local h=$1
	shift
	setsid -w "$KEYS" --home "$h" "$@" </dev/null
}
# entries HOME N: N new entries in HOME's feed (as 'vigil case new' would make them).
entries() {
	"$FEED" append --home "$1" --count "$2" <<<"${PW[$(basename "$1")]}" >>"$T/$(basename "$1").ids" ||
		fail "appending entries for $1"
}
accepted_of() { # accepted_of STORE-HOME AUTHOR-HEX: accepted entries of AUTHOR there
	sqlite3 "$1/data/store.db" "SELECT count(*) FROM entries WHERE state = 0 AND hex(author) = upper('$2')"
}
author_of() {
	cut -d: -f3 "$1/data/identity.pub" | base64 -d | tail -c 32 | b2sum -l 256 | cut -d' ' -f1
}

declare -A H PW
for who in office m1 m2; do
	new_home home "$who"
	H[$who]=$home
	PW[$who]="vault passphrase of $who"
	vg "$home" --passphrase-fd 3 init --name "$who" 3<<<"${PW[$who]}" >/dev/null || fail "init $who"
done
C=${H[office]}
REMOTE=$T/usb/vigil.git
mkdir -p "$T/usb" "$T/offline"
git init -q --bare "$REMOTE"

# ---- the coordinator: organisation, enrolments, remote, publish ----
kk "$C" --passphrase-fd 3 org init --name "Example Watch" --org-key "$T/offline/org.key" \
	--recovery "$T/offline/recovery.age" 3< <(printf '%s\n%s\n' "$ORGPW" "$RECPW") >/dev/null ||
	fail "org init"
for m in m1 m2; do
	kk "$C" --passphrase-fd 3 enroll --role monitor --yes "$(cat "${H[$m]}/data/identity.pub")" \
		3<<<"$ORGPW" >/dev/null || fail "enroll $m"
done
expect_refusal 1 "no remote" vg "$C" sync
expect_refusal 2 "host-key pin" vg "$C" --passphrase-fd 3 remote set 'ssh://host/x' 3<<<"${PW[office]}"
expect_refusal 2 "in the clear" vg "$C" --passphrase-fd 3 remote set 'http://host/x' 3<<<"${PW[office]}"
expect_refusal 1 "wrong passphrase" vg "$C" --passphrase-fd 3 remote set "$REMOTE" 3<<<"not it"
vg "$C" --passphrase-fd 3 remote set "$REMOTE" 3<<<"${PW[office]}" >/dev/null || fail "remote set"
[ "$(vg "$C" remote show)" = "$REMOTE" ] || fail "remote show: $(vg "$C" remote show)"
! grep -rqs "$REMOTE" "$C/data/repo.git/config" "$C/config" || fail "the remote is in a config file"
kk "$C" publish >"$T/publish.out" || fail "publish: $(cat "$T/publish.out")"
grep -q "roster version 3 published (3 version(s) pushed now)" "$T/publish.out" ||
	fail "publish: $(cat "$T/publish.out")"
git --git-dir="$REMOTE" cat-file -e roster:versions/3/roster.json || fail "no roster branch on the remote"

# ---- monitors join: fingerprint, drafts sealed, first sync pushes them ----
for m in m1 m2; do
	kk "$C" --passphrase-fd 3 invite "$m" --remote "$REMOTE" -o "$T/$m.inv" 3<<<"$ORGPW" >/dev/null ||
		fail "invite $m"
done
"$FEED" draft --home "${H[m1]}" --count 2 <<<"${PW[m1]}" || fail "drafts"
expect_refusal 1 "compare the organisation's fingerprint" vg "${H[m1]}" join "$T/m1.inv"
expect_refusal 1 "not for this device" vg "${H[m2]}" --passphrase-fd 3 join "$T/m1.inv" --yes 3<<<"${PW[m2]}"
vg "${H[m1]}" --passphrase-fd 3 join "$T/m1.inv" --yes --json 3<<<"${PW[m1]}" >"$T/join.json" ||
	fail "join m1: $(cat "$T/join.json")"
jq -e '.role == "monitor" and .roster == 3 and .drafts_sealed == 2 and .sync.pushed == 2' \
	"$T/join.json" >/dev/null || fail "join m1: $(cat "$T/join.json")"
[ "$(sqlite3 "${H[m1]}/data/store.db" 'SELECT count(*) FROM drafts')" = 0 ] || fail "drafts left after join"
setsid -w "$VIGIL" --home "${H[m2]}" --passphrase-fd 3 join - --yes <"$T/m2.inv" 3<<<"${PW[m2]}" >"$T/join2.out" ||
	fail "join m2 from stdin: $(cat "$T/join2.out")"
grep -q "joined as monitor under roster version 3" "$T/join2.out" || fail "join m2: $(cat "$T/join2.out")"

# ---- entries, sync, the coordinator verifies them ----
entries "${H[m1]}" 5
entries "${H[m2]}" 3
vg "${H[m1]}" status --json >"$T/st1.json"
jq -e --arg r "$REMOTE" '.role == "monitor" and .remote == $r and .pending == 5 and .delivered == 2 and .alarms == []' \
	"$T/st1.json" >/dev/null || fail "status before sync: $(cat "$T/st1.json")"
vg "${H[m1]}" sync >"$T/sync1.out" || fail "sync m1: $(cat "$T/sync1.out")"
grep -q "pushed:    5 own entries" "$T/sync1.out" || fail "sync m1 output: $(cat "$T/sync1.out")"
vg "${H[m2]}" sync --json >"$T/sync2.json" || fail "sync m2"
jq -e '.pushed == 3 and .pending == 0 and .delivered == 3 and (.last_sync | test("Z$"))' "$T/sync2.json" \
	>/dev/null || fail "sync m2: $(cat "$T/sync2.json")"
vg "$C" sync --json >"$T/syncc.json" || fail "sync office: $(cat "$T/syncc.json")"
jq -e '.fetched == 10 and .accepted == 10 and .refused == 0 and .alarms == [] and .role == "coordinator"' \
	"$T/syncc.json" >/dev/null || fail "sync office: $(cat "$T/syncc.json")"
A1=$(author_of "${H[m1]}")
A2=$(author_of "${H[m2]}")
[ "$(accepted_of "$C" "$A1")" = 7 ] && [ "$(accepted_of "$C" "$A2")" = 3 ] ||
	fail "the coordinator's store lacks monitor entries"
# Every id a monitor acknowledged is accepted at the coordinator's.
while read -r id; do
	[ "$(sqlite3 "$C/data/store.db" "SELECT state FROM entries WHERE hex(id) = upper('$id')")" = 0 ] ||
		fail "entry $id is not accepted by the coordinator"
done <"$T/m1.ids"
# Incremental: nothing new, nothing fetched.
vg "$C" sync --json | jq -e '.fetched == 0 and .branches == 0' >/dev/null || fail "second sync fetched again"
# Monitors fetch only the roster and their own branch.
! git --git-dir="${H[m1]}/data/repo.git" rev-parse -q --verify "refs/vigil/remote/members/$A2" >/dev/null ||
	fail "a monitor fetched another monitor's branch"

# ---- offline: the remote is missing, entries wait, then sync later ----
mv "$T/usb" "$T/usb-away"
entries "${H[m1]}" 2
expect_refusal 1 "not reachable" vg "${H[m1]}" sync
vg "${H[m1]}" status --json | jq -e '.pending == 2' >/dev/null || fail "offline: pending"
mv "$T/usb-away" "$T/usb"
vg "${H[m1]}" sync --json | jq -e '.pushed == 2 and .pending == 0' >/dev/null || fail "sync after offline"
vg "$C" sync --json | jq -e '.accepted == 2' >/dev/null || fail "coordinator after offline"

# ---- a new roster version reaches the monitors through the roster branch ----
kk "$C" --passphrase-fd 3 renew 3<<<"$ORGPW" >/dev/null || fail "renew"
kk "$C" publish >/dev/null || fail "publish v4"
vg "${H[m2]}" sync --json | jq -e '.roster == 4 and .roster_taken == 1' >/dev/null || fail "m2 did not take v4"
cmp -s "$C/data/roster/roster.json" "${H[m2]}/data/roster/roster.json" || fail "m2's roster is not v4"

# ---- stock tools on a mirror clone ----
git clone -q --mirror "$REMOTE" "$T/mirror.git" || fail "git clone --mirror"
git --git-dir="$T/mirror.git" fsck --strict >"$T/fsck.out" 2>&1 || fail "git fsck --strict: $(cat "$T/fsck.out")"
id=$(head -n 1 "$T/m1.ids")
p=entries/${id:0:2}/${id:2:2}/$id.age
git --git-dir="$T/mirror.git" show "members/$A1:$p" >"$T/$id.age" || fail "entry not in the clone"
git --git-dir="$T/mirror.git" show "members/$A1:$p.minisig" >"$T/$id.age.minisig"
minisign -H -Vm "$T/$id.age" -P "$(cut -d: -f3 "${H[m1]}/data/identity.pub")" >/dev/null ||
	fail "stock minisign refuses an entry from the clone"
git --git-dir="$T/mirror.git" show roster:roster.json >"$T/roster.json"
git --git-dir="$T/mirror.git" show roster:roster.json.minisig >"$T/roster.json.minisig"
minisign -H -Vm "$T/roster.json" -p "$C/data/roster/org.pub" >/dev/null ||
	fail "stock minisign refuses the roster from the clone"
git --git-dir="$T/mirror.git" log --format='%an <%ae> %at %B' "members/$A1" | sort -u |
	grep -qx 'vigil <vigil@invalid> 0 ' || fail "commits reveal something"
echo "ok: sync through a path remote, join, publish, offline, stock git fsck and minisign"
