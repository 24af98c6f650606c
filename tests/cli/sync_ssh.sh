#!/usr/bin/env bash
# Sync over ssh against a real OpenSSH sshd on 127.0.0.1 (started here, with a throw-away
# Ed25519 host key and an authorized_keys of Ed25519 user keys):
# - the coordinator's `vigil remote set` takes an ssh URL only with the host key's pin, and
#   refuses an RSA, an encrypted or a missing key and a malformed pin; it says what changed
#   and `remote show` names the pin and the key's kind, never the key;
# - `vigil-keys invite` refuses an RSA key and a missing pin; a monitor joins with an
#   invitation carrying remote, pin and key; entries go monitor -> coordinator (accepted),
#   the receipt and a new roster come back; sshd saw each device log in with its own key;
# - a push the server's pre-receive hook declines fails (exit 1, "rejected"/"declined"),
#   the entry stays pending, the server's branch does not move;
# - stock git clones the server's repository over ssh and `git fsck --strict` is clean;
# - no key leaves the vault: the key file's text is nowhere in the homes;
# - a changed host key is refused with the mismatch named (both fingerprints), quickly,
#   and nothing trusted moves (vault, roster, store, local refs, the server's branch); the
#   old key back, the same sync works; the coordinator takes a new pin with `remote set`;
# - a user key the server does not know fails after at most two publickey attempts in
#   sshd's log (at least one: the count is real), quickly, with "the server refused".
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
require_tool git sqlite3 jq ssh-keygen
. "$VIGIL_SOURCE_DIR/tests/lib/syncorg.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/netserv.sh"
require_sshd

start_sshd
PIN1=$SSHD_PIN
ssh_user_key office
ssh_user_key m1
ssh_user_key stranger # never authorized
ssh_user_key rsa rsa
ssh_user_key locked
ssh-keygen -q -p -N 'a key passphrase' -f "$NS/locked" >/dev/null || fail "ssh-keygen -p"
ssh_authorize office
ssh_authorize m1
ssh_authorize rsa # allowed by the server: the refusal must be vigil's own
fp() { ssh-keygen -lf "$NS/$1.pub" | awk '{print $2}'; }

REPO=$T/srv/vigil.git
URL=$(ssh_url "$REPO")
net_org_init "$REPO" office m1
C=${H[office]}
M=${H[m1]}

# ---- the coordinator's remote: bad input refused, then set; what changed ----
rs() { vgn "$C" --passphrase-fd 3 remote set "$@" 3<<<"${PW[office]}"; }
refused "an ssh remote without a pin" "pin" rs "$URL" --credential "$NS/office"
refused "an RSA key" "ed25519" rs "$URL" --pin "$PIN1" --credential "$NS/rsa"
refused "a passphrase-protected key" "passphrase|encrypted" rs "$URL" --pin "$PIN1" --credential "$NS/locked"
refused "a missing key file" "nonexistent" rs "$URL" --pin "$PIN1" --credential "$NS/nonexistent"
refused "a public key as the credential" "private|key" rs "$URL" --pin "$PIN1" --credential "$NS/office.pub"
refused "a malformed pin" "pin" rs "$URL" --pin "SHA256:not-a-fingerprint" --credential "$NS/office"
expect_fail "--pin with --no-pin" rs "$URL" --pin "$PIN1" --no-pin --credential "$NS/office"
[ -z "$(vg "$C" remote show 2>/dev/null | grep -F "$URL" || true)" ] || fail "a refused remote set changed the remote"

rs "$URL" --pin "$PIN1" --credential "$NS/office" --json >"$T/rs1.json" || fail "remote set: $(cat "$T/rs1.json")"
jq -e --arg u "$URL" --arg p "$PIN1" '.remote == $u and .pin == $p and .credential == "ssh-ed25519" and
	(.changed | index("remote") != null and index("pin") != null and index("credential") != null)' \
	"$T/rs1.json" >/dev/null || fail "remote set --json: $(cat "$T/rs1.json")"
rs "$URL" --pin "$PIN1" --credential "$NS/office" >"$T/rs2.out" || fail "remote set again"
grep -Eiq "pin.*unchanged" "$T/rs2.out" && ! grep -Eiq "\(changed\)" "$T/rs2.out" ||
	fail "the same remote set again is not all unchanged: $(cat "$T/rs2.out")"
vg "$C" remote show >"$T/show.out" || fail "remote show"
grep -qF "$URL" "$T/show.out" && grep -qF "$PIN1" "$T/show.out" && grep -qi "ssh-ed25519" "$T/show.out" ||
	fail "remote show lacks the URL, the pin or the key's kind: $(cat "$T/show.out")"
KEYTEXT=$(sed -n 2p "$NS/office") # a line of the private key's base64
! grep -qF "$KEYTEXT" "$T/show.out" "$T/rs1.json" "$T/rs2.out" || fail "remote show or set prints the key"

s=$(date +%s%N)
kkn "$C" publish >"$T/publish.out" 2>&1 || fail "publish over ssh: $(cat "$T/publish.out")"
echo "figure: publish over ssh took $(elapsed_ms "$s") ms"
git --git-dir="$REPO" cat-file -e roster:roster.json || fail "no roster on the ssh server"
grep -qF "Accepted publickey for $SSHD_USER from 127.0.0.1 port" "$SSHD_LOG" &&
	grep -qF "ED25519 $(fp office)" "$SSHD_LOG" || fail "sshd did not see the coordinator's key: $(cat "$SSHD_LOG")"

# ---- invitations: RSA and a missing pin refused; a monitor joins over ssh ----
inv() { kkn "$C" --passphrase-fd 3 invite m1 --remote "$URL" "$@" -o "$T/bad.inv" 3<<<"$ORGPW"; }
refused "an invitation with an RSA key" "ed25519" inv --pin "$PIN1" --credential "$NS/rsa"
refused "an ssh invitation without a pin" "pin" inv --credential "$NS/m1"
refused "an invitation with a malformed pin" "pin" inv --pin "SHA256:@@@" --credential "$NS/m1"
[ ! -e "$T/bad.inv" ] || fail "a refused invitation left a file"
net_join m1 "$URL" --pin "$PIN1" --credential "$NS/m1"
jq -e '.role == "monitor" and .roster >= 2' "$T/m1.join.json" >/dev/null ||
	fail "join over ssh: $(cat "$T/m1.join.json")"
grep -qF "ED25519 $(fp m1)" "$SSHD_LOG" || fail "sshd did not see the monitor's key"
vg "$M" remote show >"$T/mshow.out" || fail "monitor's remote show"
grep -qF "$PIN1" "$T/mshow.out" || fail "the monitor's remote show lacks the pin: $(cat "$T/mshow.out")"

# ---- entries both ways ----
entries "$M" 4
mark=$(wc -l <"$SSHD_LOG")
s=$(date +%s%N)
vgn "$M" sync --json >"$T/m1.json" || fail "monitor sync over ssh: $(cat "$T/m1.json")"
echo "figure: a monitor's sync over ssh (4 entries): $(elapsed_ms "$s") ms, $(tail -n +$((mark + 1)) "$SSHD_LOG" | grep -c '^Connection from') ssh connection(s)"
jq -e '.pushed == 4 and .pending == 0' "$T/m1.json" >/dev/null || fail "monitor sync: $(cat "$T/m1.json")"
[ "$(remote_entries "$REPO" "members/${A[m1]}" | wc -l)" = 4 ] || fail "the server has not 4 entries of m1"
vgn "$C" sync --json >"$T/c1.json" || fail "coordinator sync over ssh: $(cat "$T/c1.json")"
jq -e '.fetched == 4 and .accepted == 4 and .refused == 0 and .receipts_written == 1 and .alarms == []' \
	"$T/c1.json" >/dev/null || fail "coordinator sync: $(cat "$T/c1.json")"
while read -r id; do
	[ "$(sqlite3 "$C/data/store.db" "SELECT state FROM entries WHERE hex(id) = upper('$id')")" = 0 ] ||
		fail "entry $id is not accepted by the coordinator"
done <"$T/m1.ids"
kk "$C" --passphrase-fd 3 renew 3<<<"$ORGPW" >/dev/null || fail "renew"
kkn "$C" publish >/dev/null || fail "publish the renewed roster over ssh"
vgn "$M" sync --json >"$T/m2.json" || fail "monitor's second sync: $(cat "$T/m2.json")"
jq -e '.receipts_honoured == 1 and .received_now == 4 and .roster_taken == 1' "$T/m2.json" >/dev/null ||
	fail "receipt and roster back over ssh: $(cat "$T/m2.json")"
cmp -s "$C/data/roster/roster.json" "$M/data/roster/roster.json" || fail "the monitor's roster is not the new one"

# ---- stock git over ssh: a mirror clone, fsck --strict ----
stock_git_ssh office clone -q --mirror "$URL" "$T/mirror.git" || fail "stock git clone --mirror over ssh"
git --git-dir="$T/mirror.git" fsck --strict >"$T/fsck.out" 2>&1 || fail "git fsck --strict: $(cat "$T/fsck.out")"
[ "$(git --git-dir="$T/mirror.git" rev-parse "members/${A[m1]}")" = \
	"$(git --git-dir="$REPO" rev-parse "members/${A[m1]}")" ] || fail "the clone differs from the server"

# ---- no key leaves the vault ----
for k in office m1; do
	line=$(sed -n 2p "$NS/$k")
	! grep -rqF "$line" "$C" "$M" || fail "a line of $k's private key is in a file of a home"
	! grep -qF "$line" "$C/data/vigild.log" "$M/data/vigild.log" 2>/dev/null || fail "$k's key in a log"
done

# ---- a changed host key: refused, nothing trusted moves; the old key back works ----
snapshot() {
	local h=$1
	find "$h/data/vault.key" "$h/data/roster" -type f -print0 | sort -z | xargs -0 sha256sum
	# (the device's own branch is its feed, committed as a sync starts: not from the remote)
	git --git-dir="$h/data/repo.git" for-each-ref --format='%(refname) %(objectname)' |
		grep -v "^refs/heads/members/$(author_of "$h") "
	store_entries "$h" | sort
	git --git-dir="$REPO" for-each-ref --format='%(refname) %(objectname)'
}
entries "$M" 1
snapshot "$M" >"$T/before"
restart_sshd_new_key
PIN2=$SSHD_PIN
mark=$(wc -l <"$SSHD_LOG")
s=$(date +%s%N)
rc=0
vgn "$M" sync >"$T/hk.out" 2>"$T/hk.err" || rc=$?
ms=$(elapsed_ms "$s")
[ $rc = 1 ] || fail "sync against a changed host key exited $rc, want 1: $(cat "$T/hk.out" "$T/hk.err")"
grep -qiF "host key $PIN2 is not the pinned $PIN1" "$T/hk.err" ||
	fail "the host key mismatch is not named: $(cat "$T/hk.err")"
[ "$ms" -lt 15000 ] || fail "the host key refusal took $ms ms"
echo "figure: host key mismatch refused in $ms ms"
snapshot "$M" >"$T/after"
diff "$T/before" "$T/after" >&2 || fail "a refused host key changed trusted state"
vg "$M" status --json | jq -e '.pending == 1' >/dev/null || fail "the entry is not pending after the refusal"
# The host key is checked before any login: the server saw no key at all.
! tail -n +$((mark + 1)) "$SSHD_LOG" | grep -Eq "publickey" || fail "a key was offered to an unknown host key"

# ---- a user key the server does not know: at most two attempts, quickly ----
# (the coordinator takes the new host key's pin first: `remote set` says what changed)
rs "$URL" --pin "$PIN2" >"$T/rs3.out" || fail "remote set a new pin: $(cat "$T/rs3.out")"
grep -Eiq "pin.*\(changed\)" "$T/rs3.out" && grep -Eiq "credential.*\(unchanged\)" "$T/rs3.out" ||
	fail "a new pin: remote set does not say pin changed, credential unchanged: $(cat "$T/rs3.out")"
vgn "$C" sync --json >/dev/null || fail "the coordinator's sync with the new pin"
rs "$URL" --credential "$NS/stranger" --json >"$T/rs4.json" || fail "remote set another key"
jq -e '.changed == ["credential"] and .credential == "ssh-ed25519"' "$T/rs4.json" >/dev/null ||
	fail "another key: $(cat "$T/rs4.json")"
mark=$(wc -l <"$SSHD_LOG")
s=$(date +%s%N)
rc=0
vgn "$C" sync >"$T/uk.out" 2>"$T/uk.err" || rc=$?
ms=$(elapsed_ms "$s")
[ $rc = 1 ] || fail "sync with an unknown key exited $rc, want 1: $(cat "$T/uk.out" "$T/uk.err")"
grep -qi "the server refused this device's ssh key" "$T/uk.err" || fail "unknown key: $(cat "$T/uk.err")"
tail -n +$((mark + 1)) "$SSHD_LOG" >"$T/uk.log"
n=$(grep -cF "Failed publickey for $SSHD_USER from 127.0.0.1 port" "$T/uk.log" || true)
[ "$n" -ge 1 ] || fail "no failed publickey attempt in sshd's log (the count would prove nothing): $(cat "$T/uk.log")"
[ "$n" -le 2 ] || fail "$n publickey attempts with an unknown key, want at most 2: $(cat "$T/uk.log")"
grep -F "Failed publickey" "$T/uk.log" | grep -qvF "ED25519 $(fp stranger)" && fail "another key was tried: $(cat "$T/uk.log")"
! grep -qF "Accepted publickey" "$T/uk.log" || fail "sshd accepted a login with the unknown key"
[ "$ms" -lt 10000 ] || fail "the unknown key's refusal took $ms ms"
echo "figure: unknown user key refused after $n publickey attempt(s), $(grep -c '^Connection from' "$T/uk.log") connection(s), in $ms ms"
rs "$URL" --credential "$NS/office" >/dev/null || fail "remote set the right key back"
vgn "$C" sync --json >/dev/null || fail "the coordinator's sync with its key back"

# The monitor still pins the first host key: with it back, the pending entry goes.
restart_sshd_prev_key
vgn "$M" sync --json >"$T/m3.json" || fail "monitor sync with the old host key back: $(cat "$T/m3.json")"
jq -e '.pushed == 1 and .pending == 0' "$T/m3.json" >/dev/null || fail "after the old key: $(cat "$T/m3.json")"
# ---- a push the server declines (its pre-receive hook) is a failure, not a delivery ----
printf '#!/bin/sh\necho "declined by the test hook" >&2\nexit 1\n' >"$REPO/hooks/pre-receive"
chmod 0755 "$REPO/hooks/pre-receive"
before=$(git --git-dir="$REPO" rev-parse "members/${A[m1]}")
entries "$M" 1
rc=0
vgn "$M" sync --json >"$T/dec.json" 2>"$T/dec.err" || rc=$?
[ $rc = 1 ] || fail "a declined push exited $rc, want 1: $(cat "$T/dec.json" "$T/dec.err")"
grep -Eiq "reject|declin" "$T/dec.err" || fail "a declined push: the error does not say so: $(cat "$T/dec.err")"
[ "$(git --git-dir="$REPO" rev-parse "members/${A[m1]}")" = "$before" ] || fail "the declined push moved the branch"
vg "$M" status --json | jq -e '.pending == 1' >/dev/null || fail "a declined entry is not pending: $(vg "$M" status --json)"
rm "$REPO/hooks/pre-receive"
vgn "$M" sync --json | jq -e '.pushed == 1 and .pending == 0' >/dev/null || fail "the push after the hook is gone"

echo "ok: ssh remotes: pins, Ed25519 keys from the invitation, both ways, stock git, host key and user key refusals"
