#!/usr/bin/env bash
# Checks a built Debian package (packaging/deb.sh prints its path):
#   - installed into a scratch root with dpkg-deb: vigil, vigild and vigil-keys run
#     --version and --help; every man page renders with `man -l` without a warning; the
#     bash completion loads and completes commands; the systemd user units name the
#     installed vigild and the service scores at most 2.5 with systemd-analyze;
#   - with --dpkg (as root, on a machine where installing is fine: CI): dpkg -i, then
#     `vigil init` and `vigil status` work from the installed programs, then dpkg -r
#     removes them and leaves the user's data alone.
#
#   packaging/check-package.sh [--dpkg] PACKAGE.deb
set -euo pipefail

dpkg_too=0
if [ "${1:-}" = --dpkg ]; then
	dpkg_too=1
	shift
fi
deb=${1:?usage: check-package.sh [--dpkg] PACKAGE.deb}
deb=$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")
fail() {
	echo "check-package: FAIL: $*" >&2
	exit 1
}
work=$(mktemp -d "${TMPDIR:-/tmp}/vigil-pkg-XXXXXX")
cleanup() {
	[ -n "${VIGIL_HOME_DIR:-}" ] && /usr/bin/vigil --home "$VIGIL_HOME_DIR" shutdown >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

root=$work/root
dpkg-deb -x "$deb" "$root"
for f in usr/bin/vigil usr/bin/vigild usr/bin/vigil-keys usr/lib/systemd/user/vigild.service \
	usr/lib/systemd/user/vigild.socket usr/share/bash-completion/completions/vigil \
	usr/share/bash-completion/completions/vigil-keys usr/share/doc/vigil/FORMAT.md \
	usr/share/doc/vigil/vigil.conf.example usr/share/man/man1/vigil.1.gz \
	usr/share/man/man1/vigil-keys.1.gz usr/share/man/man5/vigil.conf.5.gz \
	usr/share/man/man8/vigild.8.gz usr/libexec/vigil/vigil-audit usr/libexec/vigil/vigil-net \
	usr/share/vigil/audit-with-stock-tools.sh; do
	[ -e "$root/$f" ] || fail "the package lacks /$f"
done
"$root/usr/libexec/vigil/vigil-audit" --help | grep -q 'vigil audit' || fail "vigil-audit --help"
version=$(dpkg-deb -f "$deb" Version)
for p in vigil vigild vigil-keys; do
	out=$("$root/usr/bin/$p" --version) || fail "$p --version"
	[ "$out" = "$p $version" ] || fail "$p --version says '$out', the package is $version"
	"$root/usr/bin/$p" --help >/dev/null || fail "$p --help"
done
echo "check-package: binaries run --version ($version) and --help"

for page in "$root"/usr/share/man/man*/*.gz; do
	warn=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$page" 2>&1 >/dev/null) ||
		fail "man -l $(basename "$page") failed: $warn"
	[ -z "$warn" ] || fail "man -l $(basename "$page") warns: $warn"
	MANWIDTH=80 man -l "$page" 2>/dev/null | grep -q 'NAME' || fail "$(basename "$page") renders empty"
done
echo "check-package: man pages render without warnings"

got=$(PATH=$root/usr/bin:$PATH bash -c '
	. "$1"
	COMP_WORDS=(vigil in); COMP_CWORD=1; _vigil; echo "${COMPREPLY[*]}"
	COMP_WORDS=(vigil-keys org ""); COMP_CWORD=2; _vigil; echo "${COMPREPLY[*]}"' _ \
	"$root/usr/share/bash-completion/completions/vigil")
grep -q '^init$' <<<"$got" || fail "completion of 'vigil in' gave: $got"
grep -q '^init show$' <<<"$got" || fail "completion of 'vigil-keys org' gave: $got"
echo "check-package: bash completion loads and completes"

grep -q '^ExecStart=/usr/bin/vigild --foreground$' "$root/usr/lib/systemd/user/vigild.service" ||
	fail "the service does not start /usr/bin/vigild"
rt=$work/rt
mkdir -m 0700 "$rt"
score=$(XDG_RUNTIME_DIR=$rt systemd-analyze security --offline=true --user \
	"$root/usr/lib/systemd/user/vigild.service" 2>&1 |
	sed -n 's/.*Overall exposure level for vigild.service: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || fail "systemd-analyze gave no score"
awk -v s="$score" 'BEGIN { exit !(s <= 2.5) }' || fail "vigild.service scores $score, above 2.5"
echo "check-package: systemd-analyze security scores vigild.service $score (at most 2.5)"

if [ $dpkg_too -eq 1 ]; then
	[ "$(id -u)" -eq 0 ] || fail "--dpkg needs root"
	if dpkg-query -W vigil >/dev/null 2>&1; then
		fail "a vigil package is installed already; not touching it"
	fi
	dpkg -i "$deb" >/dev/null || fail "dpkg -i"
	VIGIL_HOME_DIR=$work/home
	/usr/bin/vigil --home "$VIGIL_HOME_DIR" --passphrase-fd 3 init --name pkgtest \
		3<<<"a passphrase for the package test" >/dev/null </dev/null || fail "vigil init from the package"
	/usr/bin/vigil --home "$VIGIL_HOME_DIR" status --json </dev/null | grep -q '"locked":false' ||
		fail "vigil status from the package"
	/usr/bin/vigil --home "$VIGIL_HOME_DIR" shutdown >/dev/null </dev/null || fail "vigil shutdown"
	dpkg -r vigil >/dev/null || fail "dpkg -r"
	[ ! -e /usr/bin/vigil ] && [ ! -e /usr/bin/vigild ] || fail "dpkg -r left the programs"
	[ -s "$VIGIL_HOME_DIR/data/vault.key" ] || fail "dpkg -r touched the user's data"
	echo "check-package: dpkg -i, vigil init, dpkg -r (user data kept)"
fi
echo "check-package: ok"
