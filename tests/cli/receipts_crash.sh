#!/usr/bin/env bash
# A monitor's daemon killed with SIGKILL at random moments while it honours a receipt
# (FORMAT.md 17.7, 17.8: keys destroyed in one transaction, vault key rotated through
# vault.key.new, WAL truncated). Each round starts from the same copy of a monitor home
# (60 delivered entries a coordinator's receipt covers, 5 undelivered) and its remote,
# runs `vigil sync` and kills the daemon after a random delay within the time a whole sync
# takes. Then git fsck --strict is clean on the local repository and the remote, and, as
# the next unlock sees it (recovery applied): every file key still kept
# opens with the vault key (no undelivered entry made unreadable), and either none or all
# 60 delivered keys are gone (never half). The next unlock and sync finish the job: all 60
# gone, 5 kept, no vault.key.new, vault and store at the same generation.
#
# Time budget (CI, test KDF, 2 cores): rel_rounds rounds (200 plain, about 80 s; 50
# sanitized, where each round is 2 to 3 times slower); VIGIL_CRASH_ROUNDS=N (or
# VIGIL_RECEIPT_CRASH_ROUNDS=N for this test alone) for a manual soak.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/reliability.sh"
require_tool git jq

rounds=${VIGIL_RECEIPT_CRASH_ROUNDS:-$(rel_rounds)}
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
kill_daemon() {
	local pid
	pid=$(lock_pid "$1")
	if [ -n "$pid" ] && pid_alive "$pid" && grep -q vigild "/proc/$pid/cmdline" 2>/dev/null; then
		kill -9 "$pid" 2>/dev/null || true
		wait_gone "$pid"
	fi
}
check() { "$RT" check --home "$M" <<<"$MPW"; }
field() { sed -n "s/.*\\b$1=\\([0-9]*\\).*/\\1/p" <<<"$2"; }

new_home C office
new_home M m1
MPW='vault passphrase of m1'
vg "$C" --passphrase-fd 3 init --name office 3<<<"office pw" >/dev/null || fail "init office"
vg "$M" --passphrase-fd 3 init --name m1 3<<<"$MPW" >/dev/null || fail "init m1"
REMOTE=$T/usb/vigil.git
mkdir -p "$T/usb" "$T/offline"
git init -q --bare "$REMOTE"
kk "$C" --passphrase-fd 3 org init --name "Example Watch" --org-key "$T/offline/org.key" \
	--recovery "$T/offline/recovery.age" 3< <(printf '%s\n%s\n' "$ORGPW" "$RECPW") >/dev/null ||
	fail "org init"
kk "$C" --passphrase-fd 3 enroll --role monitor --yes "$(cat "$M/data/identity.pub")" 3<<<"$ORGPW" \
	>/dev/null || fail "enroll"
vg "$C" --passphrase-fd 3 remote set "$REMOTE" 3<<<"office pw" >/dev/null || fail "remote set"
kk "$C" publish >/dev/null || fail "publish"
kk "$C" --passphrase-fd 3 invite m1 --remote "$REMOTE" -o "$T/m1.inv" 3<<<"$ORGPW" >/dev/null || fail "invite"
vg "$M" --passphrase-fd 3 join "$T/m1.inv" --yes 3<<<"$MPW" >/dev/null || fail "join"
"$FEED" append --home "$M" --count 60 <<<"$MPW" >/dev/null || fail "entries"
vg "$M" sync >/dev/null || fail "sync m1"
vg "$C" sync --json | jq -e '.receipts_written == 1' >/dev/null || fail "no receipt"
"$FEED" append --home "$M" --count 5 <<<"$MPW" >/dev/null || fail "undelivered entries"
vg "$M" shutdown >/dev/null 2>&1 || true
vg "$C" shutdown >/dev/null 2>&1 || true
kill_daemon "$M"
cp -a "$M" "$T/snap-home"
cp -a "$T/usb" "$T/snap-usb"
restore() {
	kill_daemon "$M"
	rm -rf "$M" "$T/usb"
	cp -a "$T/snap-home" "$M"
	cp -a "$T/snap-usb" "$T/usb"
}
out=$(check)
[ "$(field kept "$out")" = 65 ] && [ "$(field received "$out")" = 0 ] || fail "snapshot: $out"

# How long an uninterrupted sync takes here, to spread the kills over it.
vg "$M" --passphrase-fd 3 unlock 3<<<"$MPW" >/dev/null || fail "unlock"
start=$(date +%s%N)
vg "$M" sync --json | jq -e '.received_now == 60' >/dev/null || fail "an uninterrupted sync"
span=$((($(date +%s%N) - start) / 1000000 + 20))
out=$(check)
[ "$(field kept "$out")" = 5 ] && [ "$(field received "$out")" = 60 ] || fail "uninterrupted: $out"

halves=0
rel_begin crash-receipt
for ((r = 1; r <= rounds; r++)); do
	restore
	vg "$M" --passphrase-fd 3 unlock 3<<<"$MPW" >/dev/null || fail "round $r: unlock"
	vg "$M" sync >/dev/null 2>&1 &
	spid=$!
	sleep "$(awk -v s="$span" -v r="$RANDOM" 'BEGIN { printf "%.3f", s * r / 32768 / 1000 }')"
	kill_daemon "$M"
	wait "$spid" 2>/dev/null || true
	out=$(check) || fail "round $r: check: $out"
	kept=$(field kept "$out")
	received=$(field received "$out")
	[ "$(field bad "$out")" = 0 ] || fail "round $r: a kept key does not open: $out"
	[ $((kept + received)) = 65 ] || fail "round $r: $out"
	[ "$received" = 0 ] || [ "$received" = 60 ] || fail "round $r: half the keys destroyed: $out"
	[ "$(field generation "$out")" = "$(field store_generation "$out")" ] ||
		fail "round $r: vault and store disagree after recovery: $out"
	((received == 60)) && halves=$((halves + 1))
	for g in "$M/data/repo.git" "$REMOTE"; do
		git --git-dir="$g" fsck --strict >"$T/fsck" 2>&1 || fail "round $r: git fsck --strict $g: $(cat "$T/fsck")"
	done
	# A push killed while it held the remote's ref lock leaves a stale .lock on the path
	# remote (as with stock git); that is the sync's business, not this test's.
	find "$T/usb" -name '*.lock' -delete
	# The next unlock and sync finish what the killed one began.
	vg "$M" --passphrase-fd 3 unlock 3<<<"$MPW" >/dev/null || fail "round $r: unlock after the kill"
	vg "$M" sync >"$T/after.out" 2>&1 || fail "round $r: sync after the kill: $(cat "$T/after.out")"
	kill_daemon "$M"
	out=$(check)
	[ "$(field kept "$out")" = 5 ] && [ "$(field received "$out")" = 60 ] &&
		[ "$(field rotate_due "$out")" = 0 ] && [ "$(field new "$out")" = 0 ] &&
		[ "$(field bad "$out")" = 0 ] || fail "round $r: not finished: $out"
	REL_TRIED=$r
done
# Control: kills landed on both sides of the keys' destruction (else this proved little).
[ "$halves" -gt 0 ] && [ "$halves" -lt "$rounds" ] || fail "$halves of $rounds kills came after the keys went"
rel_end
echo "ok: $rounds rounds killed while honouring a receipt ($halves after the keys went), never half done"
