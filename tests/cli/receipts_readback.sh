#!/usr/bin/env bash
# Read-back switched off (FORMAT.md 17.9): a monitor's entries written while the roster's
# policy had `readback` true are also encrypted to its own age identity, so a receipt that
# destroys their file keys is not enough. The first sync under a version with `readback`
# false replaces the device's age identity (resealing the vault), and then, with a copy of
# the monitor's home and the right passphrase, neither the age identities the copy yields
# nor any wrapped key under a vault key the home ever held opens a read-back entry (the
# same scan of a copy taken before the switch opens them all: the positive control). New
# entries still sync, the coordinator reads them; read-back switched on again seals entries
# to the roster's old recipient (which opens nothing left on the device, which still reads
# them through its file keys) and off again rotates nothing; both audit tools find the
# repository clean. Then the daemon is killed with SIGKILL at random moments of that sync: the vault
# always opens with an identity (the old one, or the new one), and the next unlock and
# sync finish the rotation.
#
# VIGIL_READBACK_CRASH_ROUNDS sets the number of kill rounds (default 12: about 15 s).
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
require_tool git minisign sqlite3 jq age age-keygen b2sum

rounds=${VIGIL_READBACK_CRASH_ROUNDS:-12}
KEYS=$VIGIL_BUILD_DIR/keys/vigil-keys
FEED=$VIGIL_BUILD_DIR/tests/vg_feed_tool
RT=$VIGIL_BUILD_DIR/tests/vg_receipt_tool
STOCK=$VIGIL_SOURCE_DIR/packaging/audit-with-stock-tools.sh
[ -x "$KEYS" ] && [ -x "$FEED" ] && [ -x "$RT" ] || fail "vigil-keys or a test tool is not built"
ORGPW='organisation key: a long passphrase'
RECPW='recovery: another long passphrase'
MPW='vault passphrase of m1'
export GIT_CONFIG_NOSYSTEM=1

kk() {
	local h=$1
	shift
	setsid -w "$KEYS" --home "$h" "$@" </dev/null
}
kill_daemon() {
	local pid
	pid=$(lock_pid "$1")
	if [ -n "$pid" ] && pid_alive "$pid" && grep -q vigild "/proc/$pid/cmdline" 2>/dev/null; then
		kill -9 "$pid" 2>/dev/null || true
		wait_gone "$pid"
	fi
}
author_of() {
	cut -d: -f3 "$1/data/identity.pub" | base64 -d | tail -c 32 | b2sum -l 256 | cut -d' ' -f1
}
field() { sed -n "s/.*\\b$1=\\([0-9]*\\).*/\\1/p" <<<"$2"; }
note_key() { "$RT" key --home "$1" <<<"$MPW" >>"$T/m1.keys" || fail "vault key of $1"; }
# identities HOME OUT: every age identity the home's vault files yield to the passphrase.
identities() { "$RT" age --home "$1" <<<"$MPW" >"$2" || fail "age identities of $1"; }
# opens IDENTITIES DIR: the entries (DIR/<id>.age) that any of the identities decrypts.
opens() {
	local f
	for f in "$2"/*.age; do
		if age -d -i "$1" -o /dev/null "$f" 2>/dev/null; then basename "$f" .age; fi
	done | sort
}
# scan HOME-COPY IDS-FILE: ids whose wrapped file key opens anywhere in the copy.
scan() {
	local files=()
	for f in "$1"/data/store.db "$1"/data/store.db-wal "$1"/data/vault.key*; do
		[ -e "$f" ] && files+=("$f")
	done
	"$RT" scan "$T/m1.keys" "$2" "${files[@]}" | sort
}

new_home C office
new_home M m1
vg "$C" --passphrase-fd 3 init --name office 3<<<"office pw" >/dev/null || fail "init office"
vg "$M" --passphrase-fd 3 init --name m1 3<<<"$MPW" >/dev/null || fail "init m1"
REMOTE=$T/usb/vigil.git
mkdir -p "$T/usb" "$T/offline"
git init -q --bare "$REMOTE"
kk "$C" --passphrase-fd 3 org init --name "Example Watch" --readback --org-key "$T/offline/org.key" \
	--recovery "$T/offline/recovery.age" 3< <(printf '%s\n%s\n' "$ORGPW" "$RECPW") >/dev/null ||
	fail "org init"
kk "$C" --passphrase-fd 3 enroll --role monitor --yes "$(cat "$M/data/identity.pub")" 3<<<"$ORGPW" \
	>/dev/null || fail "enroll"
vg "$C" --passphrase-fd 3 remote set "$REMOTE" 3<<<"office pw" >/dev/null || fail "remote set"
kk "$C" publish >/dev/null || fail "publish"
kk "$C" --passphrase-fd 3 invite m1 --remote "$REMOTE" -o "$T/m1.inv" 3<<<"$ORGPW" >/dev/null || fail "invite"
vg "$M" --passphrase-fd 3 join "$T/m1.inv" --yes 3<<<"$MPW" >/dev/null || fail "join"
ORG=$(kk "$C" org show --json | jq -r .public_key)
A1=$(author_of "$M")
OLDPUB=$(cat "$M/data/identity.pub")

# ---- three cases written under read-back: encrypted to the coordinator, recovery and m1 ----
"$FEED" append --home "$M" --count 3 <<<"$MPW" >/dev/null || fail "entries"
note_key "$M"
vg "$M" sync --json | jq -e '.pushed == 3' >/dev/null || fail "first sync of m1"
vg "$C" sync --json | jq -e '.receipts_written == 1' >/dev/null || fail "no receipt"
vg "$M" sync --json >"$T/s.json" || fail "m1 sync under read-back"
jq -e '.receipts_honoured == 1 and .received_now == 0 and .identity_rotated == false' "$T/s.json" \
	>/dev/null || fail "read-back destroyed something: $(cat "$T/s.json")"
mkdir "$T/rb" "$T/new"
sqlite3 "$M/data/store.db" "SELECT writefile('$T/rb/' || lower(hex(id)) || '.age', age) FROM entries" >/dev/null
ls "$T/rb" | sed 's/\.age$//' | sort >"$T/rb.ids"
[ "$(wc -l <"$T/rb.ids")" = 3 ] || fail "m1 does not hold 3 entries"

# ---- positive control: a copy before the switch opens all three both ways ----
cp -a "$M" "$T/before"
identities "$T/before" "$T/id.before"
[ "$(wc -l <"$T/id.before")" = 1 ] || fail "identities before: $(wc -l <"$T/id.before")"
[ "$(age-keygen -y "$T/id.before")" = "$(cut -d: -f4 <<<"$OLDPUB")" ] ||
	fail "the vault's identity is not the one enrolled"
opens "$T/id.before" "$T/rb" >"$T/o.before"
cmp -s "$T/o.before" "$T/rb.ids" || fail "positive control: the identity opens $(cat "$T/o.before")"
[ "$(scan "$T/before" "$T/rb.ids" | wc -l)" = 3 ] || fail "positive control: the scan misses kept keys"

# ---- read-back switched off: the next sync replaces the identity ----
kk "$C" --passphrase-fd 3 policy --write-only 3<<<"$ORGPW" >/dev/null || fail "policy --write-only"
kk "$C" publish >/dev/null || fail "publish the policy"
vg "$M" shutdown >/dev/null 2>&1 || true
kill_daemon "$M"
cp -a "$M" "$T/snap-home"
cp -a "$T/usb" "$T/snap-usb"
vg "$M" --passphrase-fd 3 unlock 3<<<"$MPW" >/dev/null || fail "unlock"
start=$(date +%s%N)
vg "$M" sync --json >"$T/s.json" || fail "sync after the switch: $(cat "$T/s.json")"
span=$((($(date +%s%N) - start) / 1000000 + 20))
jq -e '.identity_rotated and .received_now == 3 and .alarms == []' "$T/s.json" >/dev/null ||
	fail "no rotation: $(cat "$T/s.json")"
# Delivered file keys were only ever wrapped under generation 0: the destruction came before
# both rotations (generations 1 and 2), which rewrapped only kept keys.
note_key "$M"
cut -d' ' -f1 "$T/m1.keys" | tr '\n' ' ' | grep -qx '0 2 ' || fail "generations: $(cut -d' ' -f1 "$T/m1.keys")"
[ ! -e "$M/data/vault.key.new" ] || fail "vault.key.new left behind"
cp -a "$M" "$T/after"
identities "$T/after" "$T/id.after"
[ "$(wc -l <"$T/id.after")" = 1 ] || fail "identities after: $(cat "$T/id.after" | wc -l)"
cmp -s "$T/id.before" "$T/id.after" && fail "the age identity did not change"
[ -z "$(opens "$T/id.after" "$T/rb")" ] || fail "a read-back entry still opens: $(opens "$T/id.after" "$T/rb")"
[ -z "$(scan "$T/after" "$T/rb.ids")" ] || fail "a read-back entry's file key still opens"
grep -rqF "$(head -c 40 "$T/id.before")" "$T/after" && fail "the old identity's text is in the home"
# The public identity names the new recipient; the key that signs is the same.
NEWPUB=$(cat "$M/data/identity.pub")
[ "$(cut -d: -f4 <<<"$NEWPUB")" = "$(age-keygen -y "$T/id.after")" ] || fail "identity.pub: $NEWPUB"
[ "$(cut -d: -f1-3 <<<"$NEWPUB")" = "$(cut -d: -f1-3 <<<"$OLDPUB")" ] || fail "the signing key changed"
vg "$M" id --verify >/dev/null || fail "vigil id --verify after the rotation"
# Locked and unlocked: the rotated vault opens with the same passphrase.
vg "$M" lock >/dev/null || fail "lock"
vg "$M" --passphrase-fd 3 unlock 3<<<"$MPW" >/dev/null || fail "unlock the rotated vault"

# ---- new entries sync; the coordinator reads them; nothing rotates again ----
"$FEED" append --home "$M" --count 2 <<<"$MPW" >/dev/null || fail "new entries"
vg "$M" sync --json | jq -e '.pushed == 2 and .identity_rotated == false' >/dev/null || fail "sync new entries"
sqlite3 "$M/data/store.db" "SELECT writefile('$T/new/' || lower(hex(id)) || '.age', age) FROM entries WHERE seq > 3" >/dev/null
[ -z "$(opens "$T/id.after" "$T/new")" ] || fail "write-only entries are encrypted to the monitor"
vg "$C" sync --json >"$T/c.json" || fail "coordinator sync"
jq -e '.receipts_written == 1 and .accepted == 2 and .alarms == []' "$T/c.json" >/dev/null ||
	fail "the coordinator: $(cat "$T/c.json")"
git --git-dir="$REMOTE" show "receipts/$(author_of "$C"):receipt.json" |
	jq -e --arg a "$A1" '.members[] | select(.id == $a) | .seq == 5' >/dev/null ||
	fail "the coordinator's receipt does not cover the new entries"
vg "$M" sync --json | jq -e '.received_now == 2 and .identity_rotated == false' >/dev/null ||
	fail "the new entries' receipt"

# ---- read-back on again, then off: entries go to the roster's old recipient, which the
# device no longer holds (it reads them through its file keys), and nothing rotates again ----
kk "$C" --passphrase-fd 3 policy --readback 3<<<"$ORGPW" >/dev/null || fail "policy --readback"
kk "$C" publish >/dev/null || fail "publish read-back"
vg "$M" sync --json | jq -e '.identity_rotated == false' >/dev/null || fail "taking read-back again"
"$FEED" append --home "$M" --count 1 <<<"$MPW" >/dev/null || fail "an entry under read-back again"
vg "$M" sync --json | jq -e '.pushed == 1 and .identity_rotated == false' >/dev/null || fail "sync under read-back again"
mkdir "$T/rb2"
sqlite3 "$M/data/store.db" "SELECT writefile('$T/rb2/' || lower(hex(id)) || '.age', age) FROM entries WHERE seq = 6" >/dev/null
[ -z "$(opens "$T/id.after" "$T/rb2")" ] || fail "the rotated identity opens an entry sealed to the roster's recipient"
[ -n "$(opens "$T/id.before" "$T/rb2")" ] || fail "read-back again: the entry is not sealed to the roster's (old) recipient"
vg "$M" case list --json | jq -e '[.cases[] | select(.name != null)] | length == 1' >/dev/null ||
	fail "the device cannot read its undelivered entry: $(vg "$M" case list --json)"
kk "$C" --passphrase-fd 3 policy --write-only 3<<<"$ORGPW" >/dev/null || fail "policy --write-only again"
kk "$C" publish >/dev/null || fail "publish write-only again"
vg "$M" sync --json | jq -e '.identity_rotated == false' >/dev/null || fail "rotated again"
identities "$M" "$T/id.again"
cmp -s "$T/id.again" "$T/id.after" || fail "the identity changed again"

# ---- the auditor: both tools find nothing wrong ----
vg "$C" audit --remote "$REMOTE" --org "$ORG" >"$T/a.vigil" || fail "vigil audit: $(cat "$T/a.vigil")"
bash "$STOCK" "$REMOTE" "$ORG" >"$T/a.stock" 2>&1 || fail "stock audit: $(cat "$T/a.stock")"
for t in vigil stock; do
	grep -E '^fail ' "$T/a.$t" && fail "audit ($t) has failures"
done

# ---- kill -9 during the rotating sync: old or new, never without an identity ----
vg "$M" shutdown >/dev/null 2>&1 || true
kill_daemon "$M"
restore() {
	kill_daemon "$M"
	rm -rf "$M" "$T/usb"
	cp -a "$T/snap-home" "$M"
	cp -a "$T/snap-usb" "$T/usb"
}
olds=0
for ((r = 1; r <= rounds; r++)); do
	restore
	vg "$M" --passphrase-fd 3 unlock 3<<<"$MPW" >/dev/null || fail "round $r: unlock"
	vg "$M" sync >/dev/null 2>&1 &
	spid=$!
	sleep "$(awk -v s="$span" -v r="$RANDOM" 'BEGIN { printf "%.3f", s * r / 32768 / 1000 }')"
	kill_daemon "$M"
	wait "$spid" 2>/dev/null || true
	# As the next unlock sees it (recovery applied): one vault, at the store's generation.
	out=$("$RT" check --home "$M" <<<"$MPW") || fail "round $r: check: $out"
	[ "$(field bad "$out")" = 0 ] && [ "$(field new "$out")" = 0 ] &&
		[ "$(field generation "$out")" = "$(field store_generation "$out")" ] ||
		fail "round $r: $out"
	identities "$M" "$T/id.r"
	[ "$(wc -l <"$T/id.r")" = 1 ] && age-keygen -y "$T/id.r" >/dev/null 2>&1 ||
		fail "round $r: no usable identity"
	cmp -s "$T/id.r" "$T/id.before" && olds=$((olds + 1))
	find "$T/usb" -name '*.lock' -delete
	vg "$M" --passphrase-fd 3 unlock 3<<<"$MPW" >/dev/null || fail "round $r: unlock after the kill"
	vg "$M" sync >"$T/after.out" 2>&1 || fail "round $r: sync after the kill: $(cat "$T/after.out")"
	kill_daemon "$M"
	identities "$M" "$T/id.r"
	[ "$(wc -l <"$T/id.r")" = 1 ] || fail "round $r: a vault.key.new left"
	cmp -s "$T/id.r" "$T/id.before" && fail "round $r: the identity was not rotated by the next sync"
	[ -z "$(opens "$T/id.r" "$T/rb")" ] || fail "round $r: a read-back entry opens"
	[ "$(cut -d: -f4 "$M/data/identity.pub")" = "$(age-keygen -y "$T/id.r")" ] ||
		fail "round $r: identity.pub names another recipient"
done
echo "ok: read-back entries unreadable after the switch (identity and file keys), new entries delivered and read, audit clean; $rounds kill rounds ($olds left the old identity), always recovered"
