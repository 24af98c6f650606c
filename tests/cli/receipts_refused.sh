#!/usr/bin/env bash
# Receipts a monitor must not honour (FORMAT.md 17.5): one signed by a monitor, by a
# revoked coordinator, by a coordinator who was not a recipient of the entries it names, one
# naming another entry id than the monitor's at that sequence, one naming a sequence beyond
# the monitor's feed. None destroys a key; the last two raise the alarm 'receipt'. Then a
# valid receipt (positive control) is honoured by the same device.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
require_tool git sqlite3 jq

KEYS=$VIGIL_BUILD_DIR/keys/vigil-keys
FEED=$VIGIL_BUILD_DIR/tests/vg_feed_tool
RT=$VIGIL_BUILD_DIR/tests/vg_receipt_tool
[ -x "$KEYS" ] && [ -x "$FEED" ] && [ -x "$RT" ] || fail "vigil-keys or a test tool is not built"
ORGPW='organisation key: a long passphrase'
RECPW='recovery: another long passphrase'
export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t

kk() {
	local h=$1
	shift
	setsid -w "$KEYS" --home "$h" "$@" </dev/null
}
author_of() {
	cut -d: -f3 "$1/data/identity.pub" | base64 -d | tail -c 32 | b2sum -l 256 | cut -d' ' -f1
}
# forge SIGNER N MEMBER:SEQ:ENTRY: a receipt signed by SIGNER's key, committed on top of
# the remote's refs/heads/receipts/<SIGNER id> (as that key's holder could).
forge() {
	local who=$1 n=$2 member=$3 id dir parent tree commit
	id=$(author_of "${H[$who]}")
	dir=$T/forge-$who-$n
	mkdir -p "$dir"
	"$RT" sign --home "${H[$who]}" --dir "$dir" --n "$n" --roster "$(roster_of)" --member "$member" \
		${PREV:+--prev "$PREV"} <<<"${PW[$who]}" || fail "forging a receipt of $who"
	tree=$(printf '100644 blob %s\treceipt.json\n100644 blob %s\treceipt.json.minisig\n' \
		"$(git --git-dir="$REMOTE" hash-object -w "$dir/receipt.json")" \
		"$(git --git-dir="$REMOTE" hash-object -w "$dir/receipt.json.minisig")" |
		git --git-dir="$REMOTE" mktree)
	parent=$(git --git-dir="$REMOTE" rev-parse -q --verify "refs/heads/receipts/$id" || true)
	commit=$(git --git-dir="$REMOTE" commit-tree "$tree" ${parent:+-p "$parent"} </dev/null)
	git --git-dir="$REMOTE" update-ref "refs/heads/receipts/$id" "$commit"
}
roster_of() { jq -r .version "${H[office]}/data/roster/roster.json"; }
kept() { sqlite3 "$M/data/store.db" 'SELECT count(*) FROM file_keys'; }
# msync: m1 syncs into s.json; exit 1 is expected when the sync raised an alarm.
msync() { vg "$M" sync --json >"$T/s.json" || jq -e '.alarms_raised > 0' "$T/s.json" >/dev/null; }
receipt_alarms() { vg "$M" status --json | jq '[.alarms[] | select(.kind == "receipt")] | length'; }

hide_m1() { # the host withholds m1's branch while the office publishes (its receipt would be true)
	git --git-dir="$REMOTE" update-ref refs/hidden/m1 "refs/heads/members/$A1"
	git --git-dir="$REMOTE" update-ref -d "refs/heads/members/$A1"
}
unhide_m1() {
	git --git-dir="$REMOTE" update-ref "refs/heads/members/$A1" refs/hidden/m1
	git --git-dir="$REMOTE" update-ref -d refs/hidden/m1
}

declare -A H PW
for who in office c2 c3 c4 m1 m2; do
	new_home home "$who"
	H[$who]=$home
	PW[$who]="vault passphrase of $who"
	vg "$home" --passphrase-fd 3 init --name "$who" 3<<<"${PW[$who]}" >/dev/null || fail "init $who"
done
C=${H[office]}
M=${H[m1]}
REMOTE=$T/usb/vigil.git
mkdir -p "$T/usb" "$T/offline"
git init -q --bare "$REMOTE"
kk "$C" --passphrase-fd 3 org init --name "Example Watch" --org-key "$T/offline/org.key" \
	--recovery "$T/offline/recovery.age" 3< <(printf '%s\n%s\n' "$ORGPW" "$RECPW") >/dev/null ||
	fail "org init"
for m in m1 m2; do
	kk "$C" --passphrase-fd 3 enroll --role monitor --yes "$(cat "${H[$m]}/data/identity.pub")" \
		3<<<"$ORGPW" >/dev/null || fail "enroll $m"
done
for m in c2 c4; do
	kk "$C" --passphrase-fd 3 enroll --role coordinator --yes "$(cat "${H[$m]}/data/identity.pub")" \
		3<<<"$ORGPW" >/dev/null || fail "enroll $m"
done
vg "$C" --passphrase-fd 3 remote set "$REMOTE" 3<<<"${PW[office]}" >/dev/null || fail "remote set"
kk "$C" publish >/dev/null || fail "publish"
for m in m1 m2 c2 c4; do
	kk "$C" --passphrase-fd 3 invite "$m" --remote "$REMOTE" -o "$T/$m.inv" 3<<<"$ORGPW" >/dev/null ||
		fail "invite $m"
	vg "${H[$m]}" --passphrase-fd 3 join "$T/$m.inv" --yes 3<<<"${PW[$m]}" >/dev/null || fail "join $m"
done
A1=$(author_of "$M")
"$FEED" append --home "$M" --count 3 <<<"${PW[m1]}" >"$T/m1.ids" || fail "entries"
vg "$M" sync >/dev/null || fail "sync m1"
[ "$(kept)" = 3 ] || fail "m1 keeps $(kept) keys"
E3=$(sed -n 3p "$T/m1.ids")
E2=$(sed -n 2p "$T/m1.ids")

# ---- c2 writes a true receipt, then is revoked; c3 becomes a coordinator only now ----
vg "${H[c2]}" sync --json | jq -e '.receipts_written == 1' >/dev/null || fail "c2 wrote no receipt"
hide_m1
kk "$C" --passphrase-fd 3 revoke c2 3<<<"$ORGPW" >/dev/null || fail "revoke c2"
kk "$C" --passphrase-fd 3 enroll --role coordinator --yes "$(cat "${H[c3]}/data/identity.pub")" \
	3<<<"$ORGPW" >/dev/null || fail "enroll c3"
kk "$C" publish >/dev/null || fail "publish"
unhide_m1
kk "$C" --passphrase-fd 3 invite c3 --remote "$REMOTE" -o "$T/c3.inv" 3<<<"$ORGPW" >/dev/null || fail "invite c3"
# c3 verifies m1's entries but was no recipient of them: its receipt names them all the same.
vg "${H[c3]}" --passphrase-fd 3 join "$T/c3.inv" --yes --json 3<<<"${PW[c3]}" >"$T/j3.json" || fail "join c3"
jq -e '.sync.receipts_written == 1' "$T/j3.json" >/dev/null || fail "c3 wrote no receipt: $(cat "$T/j3.json")"
msync || fail "sync after c2's and c3's receipts"
jq -e '.received_now == 0 and .receipts_ignored == 1 and .receipts_honoured == 1' "$T/s.json" >/dev/null ||
	fail "revoked coordinator, non-recipient: $(cat "$T/s.json")"
[ "$(kept)" = 3 ] && [ "$(receipt_alarms)" = 0 ] || fail "a revoked or non-recipient coordinator's receipt destroyed keys"

# ---- a monitor's receipt (m2 signs, on its own receipts branch) ----
forge m2 1 "$A1:3:$E3"
msync || fail "sync after m2's receipt"
jq -e '.received_now == 0 and .receipts_ignored == 2' "$T/s.json" >/dev/null || fail "monitor's receipt: $(cat "$T/s.json")"
[ "$(kept)" = 3 ] && [ "$(receipt_alarms)" = 0 ] || fail "a monitor's receipt was honoured"

# ---- c4 (a recipient) names another entry at sequence 2: alarm ----
forge c4 1 "$A1:2:$E3"
msync || fail "sync after a wrong id"
jq -e '.received_now == 0' "$T/s.json" >/dev/null || fail "wrong id: $(cat "$T/s.json")"
[ "$(kept)" = 3 ] || fail "a receipt naming a wrong id was honoured"
vg "$M" status --json | jq -e '[.alarms[] | select(.kind == "receipt" and (.message | test("not this device")))] | length == 1' \
	>/dev/null || fail "no alarm for a wrong id: $(vg "$M" status --json)"

# ---- a sequence beyond the head: alarm ----
c4_prev() { git --git-dir="$REMOTE" show "receipts/$(author_of "${H[c4]}"):receipt.json" | b2sum -l 256 | cut -d' ' -f1; }
PREV=$(c4_prev)
forge c4 2 "$A1:4:$E3"
msync || fail "sync after a sequence beyond the head"
[ "$(kept)" = 3 ] || fail "a receipt beyond the head was honoured"
vg "$M" status --json | jq -e '[.alarms[] | select(.kind == "receipt" and (.message | test("beyond its own feed")))] | length == 1' \
	>/dev/null || fail "no alarm beyond the head: $(vg "$M" status --json)"

# ---- positive control: c4's true receipt for sequence 2 is honoured ----
PREV=$(c4_prev)
forge c4 3 "$A1:2:$E2"
msync || fail "sync after a valid receipt"
jq -e '.received_now == 2' "$T/s.json" >/dev/null || fail "valid receipt: $(cat "$T/s.json")"
[ "$(kept)" = 1 ] || fail "after a valid receipt m1 keeps $(kept) keys"
# ---- revoking below another coordinator's receipt: refused (FORMAT.md 11.7) ----
# The office never saw m1's entries (the host withholds them from it), so its own cutoff
# would be 0; its sync notes what the other coordinators' receipts cover, and revoke
# refuses, naming one.
hide_m1
vg "$C" sync >/dev/null || fail "office sync"
v0=$(jq -r .version "$C/data/roster/roster.json")
# c2's receipt (true when written, by a coordinator then) and c3's cover sequence 3.
expect_refusal 1 "below sequence 3 of 'm1', which a receipt of coordinator '(c2|c3)' covers \(refs/heads/receipts/($(author_of "${H[c2]}")|$(author_of "${H[c3]}"))\)" \
	kk "$C" --passphrase-fd 3 revoke m1 3<<<"$ORGPW"
[ "$(jq -r .version "$C/data/roster/roster.json")" = "$v0" ] || fail "a refused revocation signed a version"
unhide_m1
# ---- read-back policy: a valid receipt destroys nothing ----
hide_m1
kk "$C" --passphrase-fd 3 policy --readback 3<<<"$ORGPW" >/dev/null || fail "policy --readback"
kk "$C" publish >/dev/null || fail "publish read-back"
unhide_m1
PREV=$(c4_prev)
forge c4 4 "$A1:3:$E3"
msync || fail "sync under read-back"
jq -e '.received_now == 0 and .receipts_honoured >= 1' "$T/s.json" >/dev/null || fail "read-back: $(cat "$T/s.json")"
[ "$(kept)" = 1 ] || fail "a read-back monitor destroyed keys"

# ---- back to write-only with max_key_days 1: the receipt, then the days, destroy ----
hide_m1
kk "$C" --passphrase-fd 3 policy --write-only --max-key-days 1 --json 3<<<"$ORGPW" >"$T/p.json" ||
	fail "policy --write-only"
jq -e '.readback == false and .max_key_days == 1' "$T/p.json" >/dev/null || fail "policy: $(cat "$T/p.json")"
kk "$C" publish >/dev/null || fail "publish write-only"
unhide_m1
expect_refusal 2 "exclude each other" kk "$C" policy --readback --write-only
expect_refusal 2 "1 to 3650" kk "$C" policy --max-key-days 0
expect_refusal 2 "nothing to change" kk "$C" policy
"$FEED" append --home "$M" --count 1 <<<"${PW[m1]}" >/dev/null || fail "a fourth entry"
msync || fail "sync under write-only"
jq -e '.received_now == 1' "$T/s.json" >/dev/null || fail "write-only again: $(cat "$T/s.json")"
[ "$(kept)" = 1 ] || fail "after the receipt m1 keeps $(kept) keys (the fourth entry's only)"
# Two days pass since the fourth entry was pushed (the store's note of the push, moved back).
sqlite3 "$M/data/store.db" "UPDATE pushes SET time = time - 2 * 86400" || fail "moving the push back"
msync || fail "sync two days later"
jq -e '.received_now == 1' "$T/s.json" >/dev/null || fail "max_key_days: $(cat "$T/s.json")"
[ "$(kept)" = 0 ] || fail "max_key_days did not destroy the pushed entry's key"
echo "ok: receipts of a monitor, a revoked coordinator, a non-recipient, a wrong id, beyond the head: not honoured; a revocation below another coordinator's receipt refused"
