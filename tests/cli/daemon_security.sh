#!/usr/bin/env bash
# Socket security and hardening, seen from outside and from another uid (needs root to
# create files for uid 65534 and to drop to it with setpriv):
# - another uid is refused at the socket file (permission denied at connect), and, with the
#   directory and socket loosened, by the daemon's SO_PEERCRED check (its reply and log say so);
# - the daemon refuses to start on a symlinked run directory, one owned by another uid, a
#   group- or world-accessible one, a foreign file at the socket path, and a socket path too
#   long for sun_path;
# - the daemon is not dumpable: the kernel makes root the owner of its /proc/<pid> files
#   (a plain process of the same uid as a control keeps its own);
# - with a sufficient RLIMIT_MEMLOCK its keys are locked in memory; with 0 status warns.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
[ "$(id -u)" = 0 ] || skip "needs root (to act as uid 65534 with setpriv)"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
require_tool setpriv prlimit socat stat

NOBODY=65534
PW='security test passphrase'
# uid 65534 must reach its homes and the binaries: copies in a world-readable directory
# (the build directory may sit under a private one).
chmod 0755 "$T"
mkdir -m 0755 "$T/bin"
cp "$VIGIL" "$VIGILD" "$T/bin/"
VIGIL=$T/bin/vigil
VIGILD=$T/bin/vigild
mkdir -m 0700 "$T/nobody"
chown "$NOBODY:$NOBODY" "$T/nobody"

AS_NOBODY=(setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups env HOME="$T/nobody")
as_nobody() {
	"${AS_NOBODY[@]}" "$@"
}

# ---- another uid is refused at the socket file ----
new_home H root-home
chmod 0755 "$H"
vg "$H" --passphrase-fd 3 init 3<<<"$PW" >/dev/null || fail "init"
sock=$H/run/vigild.sock
[ "$(stat -c %a "$H/run")" = 700 ] || fail "run directory is not 0700"
rc=0
as_nobody socat -t 2 - "UNIX-CONNECT:$sock" <<<'{"cmd":"status"}' >"$T/n1" 2>"$T/n1.err" || rc=$?
[ $rc -ne 0 ] || fail "uid $NOBODY connected to a socket in a 0700 directory"
grep -q 'Permission denied' "$T/n1.err" || fail "not refused at the socket file: $(cat "$T/n1.err")"
[ ! -s "$T/n1" ] || fail "uid $NOBODY got an answer: $(cat "$T/n1")"
# vigil itself refuses a socket directory its user does not own, before connecting.
expect_refusal 1 "socket directory '$H/run' is owned by uid 0, not by uid $NOBODY" \
	as_nobody "$VIGIL" --home "$H" status

# ---- loosened permissions: the SO_PEERCRED check refuses ----
vg "$H" lock >/dev/null || fail "lock"
chmod 0755 "$H/run"
chmod 0777 "$sock"
as_nobody socat -t 2 - "UNIX-CONNECT:$sock" <<<'{"cmd":"status"}' >"$T/n2" 2>"$T/n2.err" || true
jq -e '.type == "reply" and .ok == false and .code == "perm" and
	(.error | test("uid 65534 may not use the daemon of uid 0 \\(SO_PEERCRED\\)"))' "$T/n2" >/dev/null ||
	fail "not refused by SO_PEERCRED: $(cat "$T/n2" "$T/n2.err")"
grep -q 'refused a connection from uid 65534: not uid 0 (SO_PEERCRED)' "$H/data/vigild.log" ||
	fail "no SO_PEERCRED log line"
# Nothing the other uid sends is read: not even an unlock with the right passphrase.
b64=$(printf '%s' "$PW" | base64 -w0)
as_nobody socat -t 2 - "UNIX-CONNECT:$sock" <<<"{\"cmd\":\"unlock\",\"passphrase\":\"$b64\"}" \
	>"$T/n3" 2>/dev/null || true
jq -e '.code == "perm"' "$T/n3" >/dev/null || fail "unlock from uid $NOBODY: $(cat "$T/n3")"
# The owner is still served, and the vault stayed locked.
chmod 0700 "$H/run"
[ "$(vg "$H" status --json | jq .locked)" = true ] || fail "uid $NOBODY unlocked the vault"
stop_daemon "$H"

# ---- the daemon refuses unsafe run directories and socket paths ----
refuse_start() { # refuse_start HOME PATTERN: both vigild and vigil (which starts it) refuse
	expect_refusal 1 "$2" timeout 20 "$VIGILD" --home "$1" --foreground
	expect_refusal 1 "$2" vg "$1" status
	[ ! -S "$1/run/vigild.sock" ] || fail "a socket was created in $1/run"
}
new_home H symlink
mkdir -m 0700 "$T/elsewhere"
ln -s "$T/elsewhere" "$H/run"
refuse_start "$H" "socket directory '$H/run' is a symlink"
[ -z "$(ls -A "$T/elsewhere")" ] || fail "something was created through the symlink"
new_home H foreign-owner
mkdir -m 0700 "$H/run"
chown $NOBODY "$H/run"
refuse_start "$H" "socket directory '$H/run' is owned by uid $NOBODY, not by uid 0"
new_home H group-writable
mkdir -m 0770 "$H/run"
refuse_start "$H" "socket directory '$H/run' is accessible by group or others \(mode 0770\)"
chmod 0755 "$H/run"
refuse_start "$H" "accessible by group or others \(mode 0755\)"
new_home H regular-file
touch "$H/run"
refuse_start "$H" "socket directory '$H/run' is not a directory"
# Something other than our own stale socket at the socket path.
new_home H planted-symlink
mkdir -m 0700 "$H/run"
ln -s /tmp/x "$H/run/vigild.sock"
expect_refusal 1 "'$H/run/vigild.sock' exists and is not a socket of uid 0 \(a symlink" \
	timeout 20 "$VIGILD" --home "$H" --foreground
[ -L "$H/run/vigild.sock" ] || fail "the planted symlink was removed"
new_home H planted-socket
mkdir -m 0700 "$H/run"
socat UNIX-LISTEN:"$H/run/vigild.sock",unlink-close=0 /dev/null &
lp=$!
wait_for test -S "$H/run/vigild.sock"
kill "$lp" 2>/dev/null || true
wait "$lp" 2>/dev/null || true
chown $NOBODY "$H/run/vigild.sock"
expect_refusal 1 "exists and is not a socket of uid 0 \(a socket, owner uid $NOBODY\)" \
	timeout 20 "$VIGILD" --home "$H" --foreground
[ -S "$H/run/vigild.sock" ] || fail "the planted socket was removed"
new_home H planted-file
mkdir -m 0700 "$H/run"
echo x >"$H/run/vigild.sock"
expect_refusal 1 "exists and is not a socket of uid 0 \(not a socket" timeout 20 "$VIGILD" --home "$H" --foreground
# A socket path longer than sun_path holds: a clear error from both programs.
long=$T/$(printf 'x%.0s' $(seq 1 120))
daemon_homes+=("$long")
expect_refusal 1 "socket path '.*/vigild.sock' is too long \([0-9]+ bytes, at most 107\)" \
	timeout 20 "$VIGILD" --home "$long" --foreground
expect_refusal 1 "is too long .*use a shorter --home" vg "$long" status

# ---- hardening seen from outside, and memory locking, as uid 65534 ----
N1=$T/nobody/locked
N2=$T/nobody/unlimited-swap
daemon_homes+=("$N1" "$N2")
# Enough RLIMIT_MEMLOCK for the keys' pages (sodium_malloc locks each): 4 MiB, or the
# hard limit when that is lower (raising it needs CAP_SYS_RESOURCE, which root may lack).
hard=$(prlimit --memlock --output HARD --noheadings | tr -d ' ')
lim=4194304
[ "$hard" = unlimited ] || [ "$hard" -ge $lim ] || lim=$hard
[ "$lim" -ge 262144 ] || skip "RLIMIT_MEMLOCK hard limit $hard is too low to test memory locking"
prlimit --memlock=$lim:$lim "${AS_NOBODY[@]}" "$VIGIL" --home "$N1" --passphrase-fd 3 init \
	3<<<"$PW" >/dev/null || fail "init as uid $NOBODY"
as_nobody "$VIGIL" --home "$N1" status --json >"$T/s1" 2>"$T/s1.err" || fail "status as uid $NOBODY"
pid=$(jq -r .pid "$T/s1")
grep -Eq "^Uid:[[:space:]]+$NOBODY[[:space:]]" "/proc/$pid/status" || fail "the daemon does not run as uid $NOBODY"
# Non-dumpable (PR_SET_DUMPABLE 0): the kernel gives its /proc entries to root.
[ "$(stat -c %u "/proc/$pid/status")" = 0 ] || fail "vigild is dumpable: /proc/$pid/status owned by $(stat -c %u "/proc/$pid/status")"
[ "$(stat -c %u "/proc/$pid/mem")" = 0 ] || fail "/proc/$pid/mem is not root's"
# Control: a plain process run the same way keeps its own /proc entries.
"${AS_NOBODY[@]}" sleep 30 &
sp=$!
is_sleep() { [ "$(cat "/proc/$sp/comm" 2>/dev/null)" = sleep ]; }
wait_for is_sleep
[ "$(stat -c %u "/proc/$sp/status")" = $NOBODY ] || fail "control: /proc/$sp/status is not owned by $NOBODY"
kill "$sp"
wait "$sp" 2>/dev/null || true
# Core dumps off too.
grep -Eq '^Max core file size +0 +0 ' "/proc/$pid/limits" || fail "RLIMIT_CORE is not 0: $(grep core "/proc/$pid/limits")"
# Keys locked in memory, no warning. AddressSanitizer and ThreadSanitizer turn mlock into
# a no-op, so a sanitized build can only show the warning (truthfully).
if grep -Eq '^VIGIL_(SANITIZE|TSAN):BOOL=ON' "$VIGIL_BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
	echo "note: sanitized build: mlock is a no-op under the sanitizers, locking not checked"
	jq -e '.memlock.ok == false and .memlock.warning != null' "$T/s1" >/dev/null ||
		fail "a sanitized build cannot lock memory, yet status says it did: $(cat "$T/s1")"
else
	jq -e ".locked == false and .memlock.locked_kib > 0 and
		.memlock.locked_kib >= .memlock.needed_kib and .memlock.ok == true and
		.memlock.warning == null and .memlock.limit_kib == $((lim / 1024))" "$T/s1" >/dev/null ||
		fail "keys not locked with a $((lim / 1024)) KiB limit: $(cat "$T/s1")"
	! grep -q warning "$T/s1.err" || fail "a warning with a sufficient limit: $(cat "$T/s1.err")"
	grep -Eq '^VmLck:[[:space:]]+[1-9]' "/proc/$pid/status" || fail "no locked memory in /proc/$pid/status"
fi
# RLIMIT_MEMLOCK 0: libsodium's mlock fails silently; status says so.
prlimit --memlock=0:0 "${AS_NOBODY[@]}" "$VIGIL" --home "$N2" --passphrase-fd 3 init 3<<<"$PW" >/dev/null ||
	fail "init as uid $NOBODY with memlock 0"
as_nobody "$VIGIL" --home "$N2" status --json >"$T/s2" 2>"$T/s2.err" || fail "status (memlock 0)"
jq -e '.locked == false and .memlock.locked_kib == 0 and .memlock.limit_kib == 0 and
	.memlock.ok == false and (.memlock.warning |
	test("secret keys are not locked in memory \\(memlock limit 0 KiB\\): they may be swapped to disk"))' \
	"$T/s2" >/dev/null || fail "no memlock warning with limit 0: $(cat "$T/s2")"
grep -q '^vigil: warning: secret keys are not locked in memory (memlock limit 0 KiB)' "$T/s2.err" ||
	fail "no warning on stderr: $(cat "$T/s2.err")"
as_nobody "$VIGIL" --home "$N2" status >"$T/s3" 2>&1 || fail "human status (memlock 0)"
grep -q 'warning: secret keys are not locked in memory' "$T/s3" || fail "no warning in human status"
# Locked, nothing secret is held: no warning.
as_nobody "$VIGIL" --home "$N2" lock >/dev/null
as_nobody "$VIGIL" --home "$N2" status --json >"$T/s4" 2>"$T/s4.err"
jq -e '.locked == true and .memlock.warning == null' "$T/s4" >/dev/null || fail "warning while locked"
for h in "$N1" "$N2"; do
	p=$(as_nobody "$VIGIL" --home "$h" status --json | jq -r .pid)
	as_nobody "$VIGIL" --home "$h" shutdown >/dev/null || fail "shutdown as uid $NOBODY"
	wait_gone "$p"
done

echo "ok: socket refused to other uids (file mode, SO_PEERCRED), unsafe run dirs refused, non-dumpable, memory locked"
