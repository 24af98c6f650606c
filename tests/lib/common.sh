# Sourced by tests/cli/*.sh. Strict mode, a private temporary directory removed on exit,
# and prerequisites that skip (exit 77) on a developer's machine but fail under CI=true.
set -euo pipefail

: "${VIGIL_BUILD_DIR:?run through ctest}"
: "${VIGIL_SOURCE_DIR:?run through ctest}"
export LC_ALL=C.UTF-8

T=$(mktemp -d "${TMPDIR:-/tmp}/vigil-cli-XXXXXX")
trap 'rm -rf "$T"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	if [ "${CI:-}" = true ]; then
		echo "FAIL: prerequisite missing under CI=true: $*" >&2
		exit 1
	fi
	echo "SKIP: $*" >&2
	exit 77
}

require_tool() {
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || skip "'$t' is not installed (packaging/install-deps.sh installs it)"
	done
}

require_shared() {
	[ -d "${VIGIL_SHARED_DIR:-}" ] || skip "../shared is not beside the checkout"
}

# expect_fail DESCRIPTION COMMAND...: the command must exit non-zero.
expect_fail() {
	local what=$1
	shift
	if "$@" >"$T/.out" 2>&1; then
		fail "$what: succeeded but must be refused"
	fi
}
