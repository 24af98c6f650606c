#!/usr/bin/env bash
# The network helper (vigil-net) holds the transport credential and nothing else of the
# device's secrets, and cannot be read by its own uid. Needs root (to run a daemon as uid
# 65534 with setpriv, and to read another process's memory as an attacker with ptrace
# rights would). A monitor's daemon runs as uid 65534 and syncs over ssh to a local sshd
# whose authorized_keys makes its login stall after authentication, so the helper that
# holds the connection stays alive with the key in use; then:
# (a) the helper runs as uid 65534 yet its /proc/<pid>/status and mem are root's (not
#     dumpable) and uid 65534 cannot read its memory or environment, while a `sleep` of
#     the same uid keeps its own (the control); NoNewPrivs is 1; its core limit is 0; its
#     environment is empty but for a HOME that names no directory (the control sleep's
#     environment reads non-empty with the same reader);
# (b) tests/tools/vg_memscan.py reads every writable page of the helper and finds none of
#     the vault passphrase, the vault key, the age identity and the minisign secret key
#     (printed by tests/tools/vg_vault_secrets from the vault); the positive controls: the
#     same reader finds the ssh key's Ed25519 seed (or the credential as the vault keeps it)
#     in the helper, and the identity secret in the unlocked daemon's memory.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
[ "$(id -u)" = 0 ] || skip "needs root (to act as uid 65534 with setpriv and read /proc/<pid>/mem)"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
require_tool git sqlite3 jq setpriv stat
. "$VIGIL_SOURCE_DIR/tests/lib/syncorg.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/netserv.sh"
require_sshd

SECRETS=$VIGIL_BUILD_DIR/tests/vg_vault_secrets
MEMSCAN=$VIGIL_SOURCE_DIR/tests/tools/vg_memscan.py
[ -x "$SECRETS" ] || fail "vg_vault_secrets is not built"
NET=$(find "$VIGIL_BUILD_DIR" -maxdepth 3 -type f -name vigil-net -perm -u+x | head -n 1)
[ -n "$NET" ] || fail "vigil-net is not built in $VIGIL_BUILD_DIR"

NOBODY=65534
# uid 65534 must reach the home and the programs: copies in a world-readable directory
# (the build directory may sit under a private one), side by side as installed.
chmod 0755 "$T"
mkdir -m 0755 "$T/bin"
cp "$VIGIL" "$VIGILD" "$NET" "$T/bin/"
mkdir -m 0700 "$T/nobody"
chown "$NOBODY:$NOBODY" "$T/nobody"
AS_NOBODY=(setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups env HOME="$T/nobody")

# ---- an organisation over ssh; the monitor's home then belongs to uid 65534 ----
start_sshd
ssh_user_key office
ssh_user_key m1
ssh_authorize office
ssh_authorize m1
REPO=$T/srv/vigil.git
URL=$(ssh_url "$REPO")
CONF[m1]=$'[sync]\ninterval = 0\ntimeout = 10'
net_org_init "$REPO" office m1
C=${H[office]}
M=${H[m1]}
vgn "$C" --passphrase-fd 3 remote set "$URL" --pin "$SSHD_PIN" --credential "$NS/office" \
	3<<<"${PW[office]}" >/dev/null || fail "remote set"
kkn "$C" publish >/dev/null || fail "publish"
net_join m1 "$URL" --pin "$SSHD_PIN" --credential "$NS/m1"
stop_daemon "$M"
chmod 0755 "$(dirname "$M")"
chown -R "$NOBODY:$NOBODY" "$M"
"${AS_NOBODY[@]}" "$T/bin/vigil" --home "$M" --passphrase-fd 3 unlock 3<<<"${PW[m1]}" </dev/null >/dev/null ||
	fail "unlock as uid $NOBODY"
DPID=$(lock_pid "$M")
grep -Eq "^Uid:[[:space:]]+$NOBODY[[:space:]]" "/proc/$DPID/status" || fail "the daemon does not run as uid $NOBODY"

# ---- the monitor's login now stalls after authentication ----
: >"$SSHD_AUTH"
ssh_authorize office
ssh_authorize m1 "$(ssh_stall_command)"
"${AS_NOBODY[@]}" setsid -w "$T/bin/vigil" --home "$M" sync </dev/null >"$T/sync.out" 2>"$T/sync.err" &
sync_pid=$!
is_stalled() { grep -q "stalled: git-upload-pack" "$NS/stall.log" 2>/dev/null; }
wait_for is_stalled
# The helper: the vigil-net below the daemon that holds the connection to sshd.
conns=$(awk -v port="$(printf '%04X' "$SSHD_PORT")" 'NR > 1 && $4 == "01" {
	split($3, r, ":"); if (r[2] == port) print $10 }' /proc/net/tcp)
[ -n "$conns" ] || fail "no connection to sshd during the stalled sync"
HP=
for p in $(netserv_tree "$DPID"); do
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" = vigil-net ] || continue
	for l in $(readlink /proc/"$p"/fd/* 2>/dev/null); do
		for i in $conns; do
			[ "$l" = "socket:[$i]" ] && HP=$p
		done
	done
done
[ -n "$HP" ] || fail "no vigil-net below the daemon $DPID holds the connection to sshd"
for l in $(readlink /proc/"$DPID"/fd/* 2>/dev/null); do
	for i in $conns; do
		[ "$l" != "socket:[$i]" ] || fail "the daemon itself holds the connection to sshd"
	done
done

# ---- (a) seen from outside and from its own uid ----
grep -Eq "^Uid:[[:space:]]+$NOBODY[[:space:]]+$NOBODY[[:space:]]" "/proc/$HP/status" ||
	fail "the helper does not run as uid $NOBODY: $(grep Uid "/proc/$HP/status")"
[ "$(stat -c %u "/proc/$HP/status")" = 0 ] || fail "the helper is dumpable: /proc/$HP/status owned by $(stat -c %u "/proc/$HP/status")"
[ "$(stat -c %u "/proc/$HP/mem")" = 0 ] || fail "/proc/$HP/mem of the helper is not root's"
! "${AS_NOBODY[@]}" dd if="/proc/$HP/environ" of=/dev/null bs=1 count=1 2>/dev/null ||
	fail "uid $NOBODY can read the helper's environment"
! "${AS_NOBODY[@]}" sh -c 'exec 3<"$1"' _ "/proc/$HP/mem" 2>/dev/null ||
	fail "uid $NOBODY can open the helper's memory"
# Control: a plain process of the same uid keeps its own /proc entries, readable by it.
"${AS_NOBODY[@]}" sleep 30 &
sp=$!
is_sleep() { [ "$(cat "/proc/$sp/comm" 2>/dev/null)" = sleep ]; }
wait_for is_sleep
[ "$(stat -c %u "/proc/$sp/status")" = $NOBODY ] || fail "control: /proc/$sp/status is not owned by $NOBODY"
"${AS_NOBODY[@]}" dd if="/proc/$sp/environ" of=/dev/null bs=1 count=1 2>/dev/null ||
	fail "control: uid $NOBODY cannot read its own sleep's environment"
"${AS_NOBODY[@]}" sh -c 'exec 3<"$1"' _ "/proc/$sp/mem" ||
	fail "control: uid $NOBODY cannot open its own sleep's memory"
[ "$(tr '\0' '\n' <"/proc/$sp/environ" | wc -l)" -ge 1 ] || fail "control: the sleep's environment reads empty"
kill "$sp"
wait "$sp" 2>/dev/null || true
grep -Eq '^NoNewPrivs:[[:space:]]+1$' "/proc/$HP/status" || fail "the helper lacks NoNewPrivs: $(grep NoNewPrivs "/proc/$HP/status")"
grep -Eq '^Max core file size +0 +0 ' "/proc/$HP/limits" ||
	fail "the helper's core limit is not 0: $(grep core "/proc/$HP/limits")"
# Its environment is empty but for HOME naming no directory (so libgit2 reads no user's
# git configuration).
tr '\0' '\n' <"/proc/$HP/environ" >"$T/helper.env"
while IFS= read -r var; do
	case $var in
	HOME=*) [ ! -e "${var#HOME=}" ] || fail "the helper's HOME exists: $var" ;;
	*) fail "the helper's environment holds more than HOME: $(tr '\n' ' ' <"$T/helper.env")" ;;
	esac
done <"$T/helper.env"

# ---- (b) its memory, read as root ----
"$SECRETS" --home "$M" <<<"${PW[m1]}" >"$T/secrets" || fail "vg_vault_secrets"
grep -E '^(passphrase|vault_key|age_identity|minisign_seed|minisign_sk) ' "$T/secrets" >"$T/device.needles"
[ "$(wc -l <"$T/device.needles")" = 5 ] || fail "vg_vault_secrets printed: $(cut -d' ' -f1 "$T/secrets")"
# The transport key's Ed25519 seed, from the OpenSSH key file (OpenSSH's PROTOCOL.key).
python3 - "$NS/m1" >"$T/cred.needles" <<'EOF' || fail "reading the ssh key's seed"
import base64, struct, sys
lines = open(sys.argv[1]).read().split("\n")
b = base64.b64decode("".join(l for l in lines if l and not l.startswith("-----")))
assert b.startswith(b"openssh-key-v1\0")
p = len(b"openssh-key-v1\0")
def s():
    global p
    n = struct.unpack(">I", b[p:p + 4])[0]
    p += 4 + n
    return b[p - n:p]
cipher, kdf, kdfopt = s(), s(), s()
assert cipher == b"none", "encrypted key"
p += 4          # number of keys
s()             # public key blob
priv = s()
q = 8           # two check integers
def t():
    global q
    n = struct.unpack(">I", priv[q:q + 4])[0]
    q += 4 + n
    return priv[q - n:q]
assert t() == b"ssh-ed25519"
t()             # public key
sk = t()        # seed (32) || public key (32)
pub = base64.b64decode(open(sys.argv[1] + ".pub").read().split()[1])
assert pub.endswith(sk[32:]), "the seed's public half is not the key's"
print("ssh_seed", sk[:32].hex())
EOF
grep '^credential ' "$T/secrets" | awk 'length($2) >= 16' >>"$T/cred.needles" || true
cat "$T/device.needles" "$T/cred.needles" >"$T/all.needles"
python3 "$MEMSCAN" "$HP" "$T/all.needles" >"$T/helper.json" || fail "reading the helper's memory: $(cat "$T/helper.json")"
jq -e '.bytes > 0 and .regions > 0' "$T/helper.json" >/dev/null || fail "nothing read: $(cat "$T/helper.json")"
for k in passphrase vault_key age_identity minisign_seed minisign_sk; do
	jq -e --arg k "$k" '.found[$k] == null' "$T/helper.json" >/dev/null ||
		fail "the helper's memory holds the $k: $(jq -c --arg k "$k" '.found[$k]' "$T/helper.json")"
done
jq -e '.found.ssh_seed != null or .found.credential != null' "$T/helper.json" >/dev/null ||
	fail "positive control: the transport key is not found in the helper's memory: $(cat "$T/helper.json")"
echo "figure: helper memory read: $(jq '.bytes' "$T/helper.json") bytes in $(jq '.regions' "$T/helper.json") writable regions; found: $(jq -c '.found | keys' "$T/helper.json")"
python3 "$MEMSCAN" "$DPID" "$T/device.needles" >"$T/daemon.json" || fail "reading the daemon's memory"
jq -e '.found.age_identity != null or .found.minisign_sk != null or .found.minisign_seed != null' \
	"$T/daemon.json" >/dev/null ||
	fail "positive control: the identity secret is not found in the unlocked daemon: $(cat "$T/daemon.json")"
echo "figure: daemon memory: found $(jq -c '.found | keys' "$T/daemon.json")"

# ---- the stalled sync ends at its cap; the helper is gone ----
wait_child "$sync_pid"
[ "$child_rc" = 1 ] || fail "the stalled sync exited $child_rc: $(cat "$T/sync.out" "$T/sync.err")"
grep -qi "sync stopped: the remote did not finish within 10 s" "$T/sync.err" || fail "stall error: $(cat "$T/sync.err")"
! pid_alive "$HP" || fail "the helper $HP outlived the capped sync"
echo "ok: the network helper is not dumpable, holds the transport key and none of the device's secrets (environment: at most a HOME that does not exist)"
