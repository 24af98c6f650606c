#!/usr/bin/env bash
# The network helper as the daemon keeps it (vigil/net.h): a vigil-net waits from the
# daemon's start, before any unlock; it is a fresh program (its own executable, not a fork
# of the daemon), with no new privileges, only its three standard descriptors and HOME alone
# in its environment, holding nothing it was not given (it was given nothing yet); a sync
# takes it and a fresh one waits afterwards; shutdown leaves none behind. Transfers through
# it against real servers are sync_ssh.sh / sync_https.sh / sync_stall.sh.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
require_tool git jq

# helper_of PID: the vigil-net children of the daemon PID (one per line).
helper_of() {
	local c
	for c in $(cat "/proc/$1/task/$1/children" 2>/dev/null); do
		[ "$(cat "/proc/$c/comm" 2>/dev/null)" = vigil-net ] && echo "$c"
	done
	return 0
}
# wait_helper PID: the one waiting helper of daemon PID (waits up to 5 s for it).
wait_helper() {
	local i h
	for ((i = 0; i < 100; i++)); do
		h=$(helper_of "$1")
		if [ -n "$h" ] && [ "$(wc -l <<<"$h")" = 1 ]; then
			echo "$h"
			return 0
		fi
		sleep 0.05
	done
	fail "daemon $1 has no single waiting vigil-net: '$h'"
}

new_home H m
PW='vault passphrase of m'
vg "$H" --passphrase-fd 3 init --name m 3<<<"$PW" >/dev/null || fail "init"
vg "$H" lock >/dev/null || fail "lock"
D=$(daemon_pid "$H")
vg "$H" status --json | jq -e '.locked == true' >/dev/null || fail "the daemon is not locked"

# ---- started before unlock ----
N=$(wait_helper "$D")
[ "$(readlink "/proc/$N/exe")" = "$(readlink -f "$VIGIL_BUILD_DIR/agent/vigil-net")" ] ||
	fail "the helper is not the vigil-net program: $(readlink "/proc/$N/exe")"
[ "$(awk '/^PPid:/ {print $2}' "/proc/$N/status")" = "$D" ] || fail "the helper is not the daemon's child"
# Positive control for the checks below: the daemon itself has more.
[ "$(ls "/proc/$D/fd" | wc -l)" -gt 3 ] || fail "control: the daemon should hold more than 3 fds"
grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$N/status" || fail "the helper may gain privileges"
fds=$(ls "/proc/$N/fd" | sort -n | tr '\n' ' ')
[ "$fds" = "0 1 2 " ] || fail "the helper holds descriptors beyond its three: $fds"
[ "$(readlink "/proc/$N/fd/1")" = /dev/null ] || fail "the helper's stdout is not /dev/null"
readlink "/proc/$N/fd/0" | grep -q '^socket:' || fail "the helper's stdin is not its socket"
env=$(tr '\0' '\n' <"/proc/$N/environ")
[ "$env" = "HOME=/nonexistent/vigil-net" ] || fail "the helper's environment: $env"
# Not dumpable: the kernel hands its /proc files to root (for a non-root user, another
# owner than the user's; as root the owner is root either way: only checked unprivileged).
if [ "$(id -u)" != 0 ]; then
	[ "$(stat -c %u "/proc/$N/mem")" = 0 ] || fail "the helper is dumpable"
fi

# ---- a sync takes it; a fresh one waits after ----
REMOTE=$T/usb/vigil.git
mkdir -p "$T/usb"
git init -q --bare "$REMOTE"
vg "$H" --passphrase-fd 3 remote set "$REMOTE" 3<<<"$PW" >/dev/null || fail "remote set"
vg "$H" --passphrase-fd 3 unlock 3<<<"$PW" >/dev/null || fail "unlock"
vg "$H" sync >/dev/null 2>&1 || true # not joined: refused, but it took the helper
N2=$(wait_helper "$D")
[ "$N2" != "$N" ] || fail "the same helper waits after a sync ($N)"
pid_alive "$N" && fail "the helper a sync took still runs ($N)"

# ---- remote set: network remotes need their pin; what is kept is shown by kind ----
ssh-keygen -q -t ed25519 -N '' -f "$T/k" 2>/dev/null || skip "ssh-keygen (openssh-client) is not installed"
PIN=$(ssh-keygen -lf "$T/k.pub" | cut -d' ' -f2)
rs() { vg "$H" --passphrase-fd 3 remote set "$@" 3<<<"$PW"; }
expect_refusal 2 "host-key pin" rs ssh://git@127.0.0.1:9/srv/v.git --credential "$T/k"
expect_refusal 2 "an ssh remote needs a credential" rs ssh://git@127.0.0.1:9/srv/v.git --pin "$PIN"
expect_refusal 2 "ssh host key fingerprint" rs https://127.0.0.1:9/v.git --pin "$PIN"
expect_refusal 2 "usage" rs ssh://git@127.0.0.1:9/srv/v.git --pin "$PIN" --no-pin
rs ssh://git@127.0.0.1:9/srv/v.git --pin "$PIN" --credential "$T/k" >"$T/set.out" || fail "remote set ssh"
grep -qx "pin: $PIN (changed)" "$T/set.out" || fail "remote set output: $(cat "$T/set.out")"
grep -qx "credential: ssh ed25519 key (changed)" "$T/set.out" || fail "remote set output: $(cat "$T/set.out")"
# The same host, another path: the pin is kept.
rs ssh://git@127.0.0.1:9/srv/w.git --json >"$T/set.json" || fail "remote set, same host"
jq -e --arg p "$PIN" '.pin == $p and .credential == "ssh-ed25519" and .changed == ["remote"]' \
	"$T/set.json" >/dev/null || fail "remote set same host: $(cat "$T/set.json")"
# Another host needs its own pin.
expect_refusal 2 "new ssh host needs its host-key pin" rs ssh://git@127.0.0.2:9/srv/w.git
vg "$H" remote show --json | jq -e '.credential == "ssh-ed25519"' >/dev/null || fail "remote show"
! vg "$H" remote show --json | grep -q "OPENSSH" || fail "remote show prints the key"
# Back to a path: pin and credential dropped.
rs "$REMOTE" --json | jq -e '.pin == null and .credential == null' >/dev/null || fail "back to a path"

# ---- shutdown leaves no helper ----
stop_daemon "$H"
N3=$N2
pid_alive "$N3" && fail "a helper outlived the daemon ($N3)"
echo "ok: the network helper waits before unlock, is fresh per sync, holds three fds and HOME alone"
