#!/usr/bin/env bash
# Receipts and write-only monitors, end to end (FORMAT.md 17): a coordinator's sync writes
# a signed receipt on refs/heads/receipts/<id> (stock minisign verifies it, jq reads it); a
# monitor's next sync honours it: the read keys of the covered entries are destroyed, the
# vault key rotated and the WAL truncated. Then, with a copy of the monitor's home and the
# right passphrase, every 56-byte window of the database and WAL is tried under every vault
# key the home ever held: no wrapped key of a delivered entry opens, every undelivered one
# still does (and the same scan of a copy taken before the receipt finds them all: the
# positive control). status and case list show delivered cases by id only.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
require_tool git minisign sqlite3 jq

KEYS=$VIGIL_BUILD_DIR/keys/vigil-keys
FEED=$VIGIL_BUILD_DIR/tests/vg_feed_tool
RT=$VIGIL_BUILD_DIR/tests/vg_receipt_tool
[ -x "$KEYS" ] && [ -x "$FEED" ] && [ -x "$RT" ] || fail "vigil-keys or a test tool is not built"
ORGPW='organisation key: a long passphrase'
RECPW='recovery: another long passphrase'
export GIT_CONFIG_NOSYSTEM=1

kk() {
	local h=$1
	shift
	setsid -w "$KEYS" --home "$h" "$@" </dev/null
}
entries() { # entries HOME N: N new cases in HOME's feed, their entry ids appended to HOME.ids
	"$FEED" append --home "$1" --count "$2" <<<"${PW[$(basename "$1")]}" >>"$T/$(basename "$1").ids" ||
		fail "appending entries for $1"
}
author_of() {
	cut -d: -f3 "$1/data/identity.pub" | base64 -d | tail -c 32 | b2sum -l 256 | cut -d' ' -f1
}
note_key() { # note_key HOME: append the home's current vault key to HOME.keys
	"$RT" key --home "$1" <<<"${PW[$(basename "$1")]}" >>"$T/$(basename "$1").keys" || fail "vault key of $1"
}
# scan HOME-COPY IDS-FILE: ids whose wrapped key opens anywhere in the copy's data files.
scan() {
	local files=()
	for f in "$1"/data/store.db "$1"/data/store.db-wal "$1"/data/vault.key*; do
		[ -e "$f" ] && files+=("$f")
	done
	"$RT" scan "$T/m1.keys" "$2" "${files[@]}" | sort
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
REMOTE=$T/usb/vigil.git
mkdir -p "$T/usb" "$T/offline"
git init -q --bare "$REMOTE"
kk "$C" --passphrase-fd 3 org init --name "Example Watch" --org-key "$T/offline/org.key" \
	--recovery "$T/offline/recovery.age" 3< <(printf '%s\n%s\n' "$ORGPW" "$RECPW") >/dev/null ||
	fail "org init"
kk "$C" --passphrase-fd 3 enroll --role monitor --yes "$(cat "$M/data/identity.pub")" 3<<<"$ORGPW" \
	>/dev/null || fail "enroll m1"
vg "$C" --passphrase-fd 3 remote set "$REMOTE" 3<<<"${PW[office]}" >/dev/null || fail "remote set"
kk "$C" publish >/dev/null || fail "publish"
kk "$C" --passphrase-fd 3 invite m1 --remote "$REMOTE" -o "$T/m1.inv" 3<<<"$ORGPW" >/dev/null || fail "invite"
vg "$M" --passphrase-fd 3 join "$T/m1.inv" --yes 3<<<"${PW[m1]}" >/dev/null || fail "join m1"
A1=$(author_of "$M")
AC=$(author_of "$C")

# ---- three cases delivered, the coordinator's receipt ----
entries "$M" 3
note_key "$M"
vg "$M" sync --json | jq -e '.pushed == 3 and .received_now == 0' >/dev/null || fail "first sync of m1"
vg "$C" sync --json >"$T/c1.json" || fail "sync office: $(cat "$T/c1.json")"
jq -e '.receipts_written == 1 and .alarms == []' "$T/c1.json" >/dev/null || fail "no receipt: $(cat "$T/c1.json")"
vg "$C" sync --json | jq -e '.receipts_written == 0' >/dev/null || fail "a receipt that says nothing new"
git clone -q --mirror "$REMOTE" "$T/mirror.git" || fail "clone"
git --git-dir="$T/mirror.git" fsck --strict >/dev/null 2>&1 || fail "git fsck --strict"
git --git-dir="$T/mirror.git" show "receipts/$AC:receipt.json" >"$T/receipt.json" || fail "no receipt on the remote"
git --git-dir="$T/mirror.git" show "receipts/$AC:receipt.json.minisig" >"$T/receipt.json.minisig"
minisign -H -Vm "$T/receipt.json" -P "$(cut -d: -f3 "$C/data/identity.pub")" >"$T/mv.out" ||
	fail "stock minisign refuses the receipt"
grep -q "^Trusted comment: vigil-receipt v=1 org=[0-9a-f]\{64\} coordinator=$AC n=1 prev=0\{64\} hash=$(b2sum -l 256 "$T/receipt.json" | cut -d' ' -f1)$" \
	"$T/mv.out" || fail "receipt trusted comment: $(cat "$T/mv.out")"
last=$(sed -n 3p "$T/m1.ids")
jq -e --arg a "$A1" --arg e "$last" --arg c "$AC" \
	'.v == 1 and .n == 1 and .coordinator == $c and (.members[] | select(.id == $a) | .seq == 3 and .entry == $e)' \
	"$T/receipt.json" >/dev/null || fail "receipt content: $(cat "$T/receipt.json")"
jq -e --arg a "$A1" '[.members[] | select(.id == $a)] | length == 1' "$T/receipt.json" >/dev/null ||
	fail "receipt does not name m1"
git --git-dir="$T/mirror.git" log --format='%an <%ae> %at %B' "receipts/$AC" | sort -u |
	grep -qx 'vigil <vigil@invalid> 0 ' || fail "receipt commits reveal something"

# ---- positive control: a copy taken before the monitor saw the receipt ----
cp -a "$M" "$T/before"
sqlite3 "$M/data/store.db" 'SELECT lower(hex(id)) FROM entries' | sort >"$T/own.ids"
[ "$(wc -l <"$T/own.ids")" = 3 ] || fail "m1 does not hold 3 entries"
[ "$(scan "$T/before" "$T/own.ids" | wc -l)" = 3 ] || fail "positive control: the scan misses kept keys"

# ---- two cases more (undelivered), then the monitor honours the receipt ----
entries "$M" 2
sqlite3 "$M/data/store.db" 'SELECT lower(hex(id)) FROM entries WHERE seq > 3' | sort >"$T/undelivered.ids"
sqlite3 "$M/data/store.db" 'SELECT lower(hex(id)) FROM entries' | sort >"$T/all.ids"
vg "$M" sync --json >"$T/m2.json" || fail "sync m1: $(cat "$T/m2.json")"
jq -e '.receipts_honoured == 1 and .received_now == 3 and .received == 3 and .alarms == []' "$T/m2.json" \
	>/dev/null || fail "receipt not honoured: $(cat "$T/m2.json")"
note_key "$M"
cut -d' ' -f1 "$T/m1.keys" | tr '\n' ' ' | grep -qx '0 1 ' || fail "vault key generations: $(cut -d' ' -f1 "$T/m1.keys")"
[ "$(sqlite3 "$M/data/store.db" 'SELECT count(*) FROM file_keys')" = 2 ] || fail "file keys left"
[ ! -e "$M/data/vault.key.new" ] || fail "vault.key.new left behind"

cp -a "$M" "$T/after"
scan "$T/after" "$T/all.ids" >"$T/found.ids"
cmp -s "$T/found.ids" "$T/undelivered.ids" ||
	fail "keys that still open: $(cat "$T/found.ids") (expected only: $(cat "$T/undelivered.ids"))"

# ---- what the user sees ----
vg "$M" status --json | jq -e '.received == 3 and .delivered == 5 and .pending == 0' >/dev/null ||
	fail "status: $(vg "$M" status --json)"
vg "$M" status | grep -q "^received:   3 delivered entries" || fail "status text"
vg "$M" case list --json >"$T/list.json" || fail "case list"
jq -e '[.cases[] | select(.delivered and .name == null)] | length == 3' "$T/list.json" >/dev/null ||
	fail "delivered cases: $(cat "$T/list.json")"
jq -e '[.cases[] | select(.delivered | not) | .name] | length == 2' "$T/list.json" >/dev/null ||
	fail "undelivered cases: $(cat "$T/list.json")"
vg "$M" case list | grep -c "delivered (no longer readable on this device)" | grep -qx 3 ||
	fail "case list text: $(vg "$M" case list)"
# Locked and unlocked again (the case index rebuilt under the new key): the same.
vg "$M" lock >/dev/null || fail "lock"
vg "$M" --passphrase-fd 3 unlock 3<<<"${PW[m1]}" >/dev/null || fail "unlock"
vg "$M" case list --json | jq -e '[.cases[] | select(.name != null)] | length == 2' >/dev/null ||
	fail "after unlock: $(vg "$M" case list --json)"
# A second sync destroys nothing more; the next entries are delivered in their turn.
vg "$M" sync --json | jq -e '.received_now == 0 and .received == 3' >/dev/null || fail "second honour"
vg "$C" sync --json | jq -e '.receipts_written == 1' >/dev/null || fail "second receipt"
# A passphrase changed while unlocked: the rotation that follows reseals under the new one.
NEWPW='a new passphrase for m1'
vg "$M" --passphrase-fd 3 passwd 3< <(printf '%s\n%s\n' "${PW[m1]}" "$NEWPW") >/dev/null 2>&1 ||
	fail "passwd"
PW[m1]=$NEWPW
vg "$M" sync --json | jq -e '.received_now == 2 and .received == 5' >/dev/null || fail "third honour"
vg "$M" lock >/dev/null || fail "lock after the rotation"
vg "$M" --passphrase-fd 3 unlock 3<<<"$NEWPW" >/dev/null || fail "the new passphrase does not open the rotated vault"
expect_refusal 1 "wrong passphrase" vg "$M" --passphrase-fd 3 unlock 3<<<"vault passphrase of m1"
note_key "$M"
cut -d' ' -f1 "$T/m1.keys" | tr '\n' ' ' | grep -qx '0 1 2 ' || fail "generations: $(cut -d' ' -f1 "$T/m1.keys")"
cp -a "$M" "$T/after2"
[ -z "$(scan "$T/after2" "$T/all.ids")" ] || fail "a delivered key still opens"
# Ciphertext is never deleted.
[ "$(sqlite3 "$M/data/store.db" 'SELECT count(*) FROM entries')" = 5 ] || fail "entries were deleted"
echo "ok: receipts written, verified with stock minisign, honoured; delivered keys gone from db and WAL"
