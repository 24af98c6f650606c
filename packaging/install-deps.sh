#!/usr/bin/env bash
# Installs every package vigil needs to build, test and fuzz, from Debian 12's archive.
# Safe to run again: apt-get skips what is already installed.
set -euo pipefail

packages=(
	# build
	build-essential cmake pkg-config
	libsodium-dev libgit2-dev libsqlite3-dev libjansson-dev libinih-dev zlib1g-dev
	libsystemd-dev
	# tests
	libcmocka-dev age minisign git jq strace util-linux bsdutils coreutils sqlite3
	# network transport tests (tests/cli/sync_ssh.sh, sync_https.sh, sync_stall.sh,
	# net_helper_secrecy.sh): a throw-away sshd on a loopback port and stock ssh to check it;
	# the TLS git server, CONNECT proxy and memory reader in tests/tools/*.py (stdlib only);
	# self-signed certificates and their pins. In a container (no systemd, or Docker's
	# policy-rc.d) installing openssh-server starts no sshd; on a machine booted with systemd
	# it enables ssh.service on port 22, which the tests neither need nor touch.
	openssh-server openssh-client python3 openssl
	# daemon tests: raw socket requests, systemd's socket-activation tester
	socat systemd
	# auto-lock on suspend and session lock: a private bus for a mock logind
	dbus-daemon
	# the HTML report in a headless browser (tests/cli/report_html.sh)
	chromium
	# the Debian package and its checks (CPack's shlibdeps, man -l, completion)
	dpkg-dev file man-db groff-base bash-completion
	# fuzzing (libFuzzer ships in clang's runtime package)
	clang libclang-rt-14-dev clang-format
)

if [ "$(id -u)" -eq 0 ]; then
	sudo=()
elif command -v sudo >/dev/null 2>&1; then
	sudo=(sudo)
else
	echo "install-deps: run as root or install sudo" >&2
	exit 1
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#packages[@]} packages present"
	exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
