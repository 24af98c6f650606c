#!/usr/bin/env bash
# The device commands end to end with the real binaries in temporary homes: init (daemon
# started on demand, left unlocked), id, lock (a request that needs keys refused without a
# passphrase, unlocked and retried with one), unlock (always checked), passwd (an old copy
# of vault.key still opens with the old passphrase in another home), shutdown; kill -9 and
# a clean restart; SIGTERM, SIGUSR1, a second vigild refused, auto-lock from vigil.conf,
# a bad vigil.conf reported with its line number, usage errors.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"

PW='correct horse battery staple'
PW2='a different, longer passphrase: ünïcödé'
new_home H alice

jq_is() { # jq_is JSON FILTER VALUE
	[ "$(jq -c "$2" <<<"$1")" = "$3" ] || fail "status: $2 is $(jq -c "$2" <<<"$1"), want $3"
}

# ---- before init: no daemon, no vault ----
[ ! -e "$H/run/vigild.sock" ] || fail "a socket before anything ran"
expect_refusal 1 "no identity in .*run 'vigil init' first" vg "$H" id
expect_refusal 1 "no vault in .*run 'vigil init' first" vg "$H" --passphrase-fd 3 unlock 3<<<"$PW"
st=$(vg "$H" status --json) || fail "status before init"
jq_is "$st" .initialized false
jq_is "$st" .locked true
stop_daemon "$H"
[ ! -e "$H/run/vigild.sock" ] || fail "shutdown left the socket"

# ---- init: starts the daemon on demand and leaves it unlocked ----
vg "$H" --passphrase-fd 3 init --name alice 3<<<"$PW" >"$T/init.out" || fail "init failed"
id_line=$(sed -n 1p "$T/init.out")
fp_line=$(sed -n 2p "$T/init.out")
[[ $id_line =~ ^vigil-id:alice:RW[A-Za-z0-9+/]{54}:age1[a-z0-9]{58}$ ]] || fail "identity line '$id_line'"
[[ $fp_line =~ ^fingerprint:\ [0-9]{5}\ [0-9]{5}\ [0-9]{5}\ [0-9]{5}\ [0-9]{5}$ ]] || fail "fingerprint line '$fp_line'"
[ -S "$H/run/vigild.sock" ] || fail "no daemon socket after init"
[ "$(cat "$H/data/identity.pub")" = "$id_line" ] || fail "identity.pub differs from what init printed"
[ "$(stat -c %a "$H/data/vault.key")" = 600 ] || fail "vault.key is not 0600"
[ "$(stat -c %a "$H/data/identity.pub")" = 644 ] || fail "identity.pub is not 0644"
[ "$(stat -c %a "$H/data/vigild.log")" = 600 ] || fail "vigild.log is not 0600"
[ "$(stat -c %a "$H/run")" = 700 ] || fail "run directory is not 0700"
[ $(("0$(stat -c %a "$H/run/vigild.sock")" & 077)) -eq 0 ] || fail "socket is group/other accessible"
head -c 8 "$H/data/vault.key" | grep -q VIGILKEY || fail "vault.key is not a sealed key file"
! grep -aq "$PW" "$H/data/vault.key" "$H/data/vigild.log" || fail "passphrase in a file"
st=$(vg "$H" status --json) || fail "status after init"
for f in '.initialized true' '.locked false' '.role null' '.remote null' '.pending 0' \
	'.delivered 0' '.last_sync null' '.alarms []' '.autolock 600' \
	'(.memlock|has("locked_kib") and has("limit_kib") and has("ok") and has("warning")) true'; do
	jq_is "$st" "${f% *}" "${f##* }"
done
pid1=$(jq -r .pid <<<"$st")
[ "$(lock_pid "$H")" = "$pid1" ] || fail "lock file does not name the daemon"
# Human form.
vg "$H" status >"$T/status.txt" || fail "status (human)"
grep -q '^vault: *unlocked' "$T/status.txt" || fail "human status: $(cat "$T/status.txt")"
expect_refusal 1 "a vault already exists" vg "$H" --passphrase-fd 3 init 3<<<"$PW"

# ---- id: the same identity, from identity.pub; --verify proves the vault holds it ----
j=$(vg "$H" id --json) || fail "id --json"
jq_is "$j" .identity "\"$id_line\""
jq_is "$j" .fingerprint "\"${fp_line#fingerprint: }\""
vg "$H" id --verify >"$T/verify.out" || fail "id --verify while unlocked"
grep -q '^verified:' "$T/verify.out" || fail "id --verify said: $(cat "$T/verify.out")"

# ---- lock: requests that need keys are refused without a passphrase source ----
vg "$H" lock >/dev/null || fail "lock"
jq_is "$(vg "$H" status --json)" .locked true
expect_refusal 1 '^vigil: vault is locked$' vg "$H" id --verify
expect_refusal 1 'vault is locked' vg "$H" --passphrase-fd 3 id --verify 3</dev/null
jq_is "$(vg "$H" status --json)" .locked true
vg "$H" id >/dev/null || fail "id must work while locked"
# A wrong passphrase on the descriptor: refused, still locked.
expect_refusal 1 'wrong passphrase' vg "$H" --passphrase-fd 3 id --verify 3<<<"not it"
jq_is "$(vg "$H" status --json)" .locked true
# With the passphrase on a descriptor, the client unlocks and retries.
vg "$H" id --verify --passphrase-fd 3 3<<<"$PW" >/dev/null || fail "id --verify with a passphrase"
jq_is "$(vg "$H" status --json)" .locked false

# ---- unlock: always checks the passphrase ----
vg "$H" lock >/dev/null
expect_refusal 1 'wrong passphrase' vg "$H" --passphrase-fd 3 unlock 3<<<"wrong"
jq_is "$(vg "$H" status --json)" .locked true
vg "$H" --passphrase-fd 3 unlock 3<<<"$PW" >/dev/null || fail "unlock"
jq_is "$(vg "$H" status --json)" .locked false
expect_refusal 1 'wrong passphrase' vg "$H" --passphrase-fd 3 unlock 3<<<"wrong"
vg "$H" --passphrase-fd 3 unlock --json 3<<<"$PW" >"$T/u.json" || fail "unlock while unlocked"
jq_is "$(cat "$T/u.json")" .locked false
# No passphrase source at all: a usage problem, said clearly.
expect_refusal 2 'no terminal' vg "$H" unlock

# ---- identity.pub is put right on unlock ----
echo "vigil-id:mallory:RWQAAAAAAAAAAAAA" >"$H/data/identity.pub"
vg "$H" --passphrase-fd 3 unlock 3<<<"$PW" >/dev/null || fail "unlock"
[ "$(cat "$H/data/identity.pub")" = "$id_line" ] || fail "identity.pub was not rewritten on unlock"
grep -q 'identity.pub did not match the vault: rewritten' "$H/data/vigild.log" || fail "no log line"

# ---- passwd: reseals; an old copy still opens with the old passphrase ----
cp "$H/data/vault.key" "$T/vault.key.before-passwd"
expect_refusal 1 'wrong passphrase' vg "$H" --passphrase-fd 3 passwd 3< <(printf '%s\n%s\n' nope "$PW2")
cmp -s "$H/data/vault.key" "$T/vault.key.before-passwd" || fail "a refused passwd changed vault.key"
vg "$H" --passphrase-fd 3 passwd 3< <(printf '%s\n%s\n' "$PW" "$PW2") >/dev/null 2>"$T/passwd.err" ||
	fail "passwd: $(cat "$T/passwd.err")"
grep -q 'still open with the old passphrase' "$T/passwd.err" || fail "passwd does not warn about old copies"
! cmp -s "$H/data/vault.key" "$T/vault.key.before-passwd" || fail "passwd did not change vault.key"
[ "$(stat -c %a "$H/data/vault.key")" = 600 ] || fail "resealed vault.key is not 0600"
ls "$H/data" | grep -q tmp && fail "passwd left a temporary file"
vg "$H" lock >/dev/null
expect_refusal 1 'wrong passphrase' vg "$H" --passphrase-fd 3 unlock 3<<<"$PW"
vg "$H" --passphrase-fd 3 unlock 3<<<"$PW2" >/dev/null || fail "new passphrase refused"
vg "$H" id --verify >/dev/null || fail "keys changed with the passphrase"
# README's claim: the copy taken before passwd opens with the OLD passphrase elsewhere,
# and holds the same keys.
new_home H2 copy
mkdir -p "$H2/data"
cp "$T/vault.key.before-passwd" "$H2/data/vault.key"
expect_refusal 1 'wrong passphrase' vg "$H2" --passphrase-fd 3 unlock 3<<<"$PW2"
vg "$H2" --passphrase-fd 3 unlock 3<<<"$PW" >/dev/null || fail "the old copy does not open with the old passphrase"
[ "$(vg "$H2" id | head -n 1)" = "$id_line" ] || fail "the old copy holds other keys"
vg "$H2" id --verify >/dev/null || fail "id --verify in the copy's home"
stop_daemon "$H2"

# ---- SIGUSR1 locks at once ----
jq_is "$(vg "$H" status --json)" .locked false
kill -USR1 "$pid1"
locked() { [ "$(vg "$H" status --json | jq .locked)" = true ]; }
wait_for locked
grep -q 'locked (SIGUSR1)' "$H/data/vigild.log" || fail "no log line for SIGUSR1"

# ---- a second vigild for the same home is refused ----
expect_refusal 1 'another vigild is already running' timeout 20 "$VIGILD" --home "$H" --foreground
expect_refusal 1 'another vigild is already running' timeout 20 "$VIGILD" --home "$H"
[ "$(daemon_pid "$H")" = "$pid1" ] || fail "the first daemon was replaced"

# ---- kill -9: the next command starts a new daemon cleanly ----
vg "$H" --passphrase-fd 3 unlock 3<<<"$PW2" >/dev/null
kill -9 "$pid1"
wait_gone "$pid1"
[ -S "$H/run/vigild.sock" ] || fail "expected a stale socket after kill -9"
st=$(vg "$H" status --json) || fail "status after kill -9"
pid2=$(jq -r .pid <<<"$st")
[ "$pid2" != "$pid1" ] || fail "no new daemon after kill -9"
jq_is "$st" .locked true # the keys died with the process
grep -q 'removed the socket of a daemon that died' "$H/data/vigild.log" || fail "stale socket not noted"
vg "$H" --passphrase-fd 3 unlock 3<<<"$PW2" >/dev/null || fail "unlock after restart"

# ---- shutdown: locks and stops; commands that need no daemon do not start one ----
vg "$H" shutdown >"$T/sd.out" || fail "shutdown"
grep -q 'stopped' "$T/sd.out" || fail "shutdown said: $(cat "$T/sd.out")"
wait_gone "$pid2"
[ ! -e "$H/run/vigild.sock" ] || fail "shutdown left the socket"
grep -q 'locked (stopping)' "$H/data/vigild.log" || fail "shutdown did not lock first"
vg "$H" shutdown | grep -q 'not running' || fail "second shutdown"
vg "$H" lock >/dev/null || fail "lock with no daemon"
vg "$H" id >/dev/null || fail "id with no daemon"
[ ! -e "$H/run/vigild.sock" ] || fail "lock, shutdown or id started a daemon"

# ---- SIGTERM: lock, remove the socket, exit 0 ----
"$VIGILD" --home "$H" --foreground 2>"$T/fg.log" &
fgpid=$!
sock_up() { [ -S "$H/run/vigild.sock" ]; }
wait_for sock_up
[ "$(daemon_pid "$H")" = "$fgpid" ] || fail "the foreground daemon does not answer"
vg "$H" --passphrase-fd 3 unlock 3<<<"$PW2" >/dev/null || fail "unlock (foreground daemon)"
kill -TERM "$fgpid"
wait_child "$fgpid"
rc=$child_rc
[ $rc -eq 0 ] || fail "vigild exited $rc on SIGTERM: $(cat "$T/fg.log")"
[ ! -e "$H/run/vigild.sock" ] || fail "SIGTERM left the socket"
grep -q 'stopping (SIGTERM)' "$T/fg.log" || fail "no SIGTERM log line: $(cat "$T/fg.log")"
grep -q 'locked (stopping)' "$T/fg.log" || fail "SIGTERM did not lock"
! grep -Eq 'Sanitizer|runtime error' "$T/fg.log" || fail "sanitizer report: $(cat "$T/fg.log")"

# ---- auto-lock after the configured idle time ----
printf '[agent]\n; seconds\nautolock = 1\n' >"$H/config/vigil.conf"
vg "$H" --passphrase-fd 3 unlock 3<<<"$PW2" >/dev/null || fail "unlock (autolock)"
st=$(vg "$H" status --json)
jq_is "$st" .autolock 1
jq_is "$st" .locked false
wait_for locked
grep -q 'locked (idle for 1 s)' "$H/data/vigild.log" || fail "no auto-lock log line"
# autolock = 0 disables it.
stop_daemon "$H"
printf '[agent]\nautolock = 0\n' >"$H/config/vigil.conf"
vg "$H" --passphrase-fd 3 unlock 3<<<"$PW2" >/dev/null
sleep 1.5
jq_is "$(vg "$H" status --json)" .locked false
stop_daemon "$H"

# ---- a bad vigil.conf stops the daemon from starting, with the line number ----
printf '[agent]\nautolock = 1\nfoo = 2\n' >"$H/config/vigil.conf"
expect_refusal 1 "vigil.conf' line 3: unknown key 'foo' in \[agent\]" vg "$H" status
expect_refusal 1 "vigil.conf' line 3: unknown key 'foo'" timeout 20 "$VIGILD" --home "$H" --foreground
printf '[agent]\nautolock = soon\n' >"$H/config/vigil.conf"
expect_refusal 1 "vigil.conf' line 2: bad value for 'autolock'" vg "$H" status
[ ! -e "$H/run/vigild.sock" ] || fail "a daemon started with a bad config"
rm "$H/config/vigil.conf"

# ---- on a terminal: prompts without echo, a new passphrase typed twice ----
require_tool script
new_home H3 tty
tty_start "$T/tty1" "$VIGIL" --home "$H3" init --name tty-user
tty_type 'New passphrase for the vault: ' 'typed secret one'
tty_type 'Repeat the passphrase: ' 'typed secret two'
tty_end
[ "$child_rc" = 1 ] || fail "mismatched passphrases accepted ($child_rc): $(cat "$T/tty1")"
grep -q 'the passphrases do not match' "$T/tty1" || fail "no mismatch message: $(cat "$T/tty1")"
[ ! -e "$H3/data/vault.key" ] || fail "a vault was created after a mismatch"
tty_start "$T/tty2" "$VIGIL" --home "$H3" init --name tty-user
tty_type 'New passphrase for the vault: ' 'typed secret one'
tty_type 'Repeat the passphrase: ' 'typed secret one'
tty_end
[ "$child_rc" = 0 ] || fail "init on a terminal ($child_rc): $(cat "$T/tty2")"
grep -q '^vigil-id:tty-user:' "$T/tty2" || fail "no identity: $(cat "$T/tty2")"
vg "$H3" lock >/dev/null
# A request that needs keys asks on the terminal, then goes on.
tty_start "$T/tty3" "$VIGIL" --home "$H3" id --verify
tty_type 'Passphrase to unlock the vault: ' 'typed secret one'
tty_end
[ "$child_rc" = 0 ] || fail "id --verify on a terminal ($child_rc): $(cat "$T/tty3")"
grep -q '^verified:' "$T/tty3" || fail "not verified: $(cat "$T/tty3")"
! grep -q 'typed secret' "$T/tty1" "$T/tty2" "$T/tty3" || fail "a passphrase was echoed"
stop_daemon "$H3"

# ---- usage errors exit 2 ----
expect_refusal 2 "'frobnicate' is not a vigil command" vg "$H" frobnicate
expect_refusal 2 "not an option of 'vigil status'" vg "$H" status --bogus
expect_refusal 2 'pseudonym' vg "$H" --passphrase-fd 3 init --name 'Not Valid' 3<<<"$PW"
expect_refusal 2 'needs a value' vg "$H" init --name
expect_refusal 2 'passphrase-fd' vg "$H" status --passphrase-fd x
expect_refusal 2 'unknown argument' timeout 20 "$VIGILD" --home "$H" --bogus
vg "$H" --help >/dev/null || fail "vigil --help"
vg "$H" passwd --help | grep -q 'still open with the old' || fail "passwd --help does not warn about old copies"
"$VIGILD" --help >/dev/null || fail "vigild --help"
[ ! -e "$H/run/vigild.sock" ] || fail "usage errors started a daemon"

echo "ok: lifecycle, passphrases, passwd, signals, restart, single instance, auto-lock, config"
