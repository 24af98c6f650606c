#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs the dependencies, builds with -Werror and
# the test KDF profile, runs every test through ctest, then again under AddressSanitizer
# and UndefinedBehaviorSanitizer, the unit, daemon and audit tests under ThreadSanitizer,
# then replays every fuzz corpus under libFuzzer and fuzzes
# each parser for its share of the budget, and finally builds the Debian package and
# checks it (installed into a scratch root; with CI=true as root, also installed with
# dpkg, used and removed), and runs the end-to-end demo, which checks its own results.
# Ends with the reliability figures: every "reliability: <category>: ..." line the tests
# printed (crash rounds, fault sweeps, allocation failures, hostile input, fuzz targets),
# per suite. Exits non-zero when anything fails.
#
#   packaging/test.sh [--no-sanitize] [--no-fuzz] [--no-package] [--no-demo]
#   packaging/test.sh --soak   the reliability tests only, long (plain build; see README)
#   VIGIL_FUZZ_SECONDS=N   total fuzzing budget in seconds (default 300)
#   VIGIL_CRASH_ROUNDS=N   crash rounds per category (default 200, 50 sanitized; soak 2000)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sanitize=1
fuzz=1
package=1
demo=1
soak=0
for a in "$@"; do
	case $a in
	--soak) soak=1 ;;
	--no-sanitize) sanitize=0 ;;
	--no-fuzz) fuzz=0 ;;
	--no-package) package=0 ;;
	--no-demo) demo=0 ;;
	-h | --help)
		sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "test.sh: unknown option '$a'" >&2
		exit 2
		;;
	esac
done

bash packaging/install-deps.sh

jobs=$(nproc)
# The tests the ThreadSanitizer build runs: unit suites and the daemon's own tests.
TSAN_TESTS='^unit/|daemon_|audit'
passed=0
failed=0
status=0
# The reliability figures of every suite, printed together at the end.
figures=$(mktemp)
trap 'rm -f "$figures" "$figures.fuzz"' EXIT

# collect NAME FILE: the summary lines of FILE, prefixed with the suite.
collect() {
	grep -ah '^reliability: ' "$2" 2>/dev/null | sed "s/^/$1: /" >>"$figures" || true
}
report_figures() {
	echo "==> reliability figures (category: cases tried, failures, seconds)"
	if [ -s "$figures" ]; then
		cat "$figures"
	else
		echo "(no reliability test reported)"
	fi
}

# run_suite NAME BUILD-DIR CMAKE-ARGS...
run_suite() {
	local name=$1 dir=$2 log
	shift 2
	echo "==> $name: configure and build in $dir"
	cmake -S "$top" -B "$dir" -DVIGIL_WERROR=ON -DVIGIL_TEST_KDF=ON "$@" >/dev/null
	cmake --build "$dir" -j "$jobs" >"$dir/build.log" 2>&1 || {
		cat "$dir/build.log"
		echo "test.sh: $name build failed" >&2
		exit 1
	}
	echo "==> $name: ctest ${ctest_select[*]}"
	log="$dir/ctest.log"
	set +e
	(cd "$dir" && ctest --output-on-failure -j "$jobs" "${ctest_select[@]}") 2>&1 | tee "$log"
	local rc=${PIPESTATUS[0]}
	set -e
	local line
	line=$(grep -E 'tests passed, [0-9]+ tests? failed out of' "$log" | tail -n 1 || true)
	if [[ $line =~ ([0-9]+)\ tests?\ failed\ out\ of\ ([0-9]+) ]]; then
		failed=$((failed + BASH_REMATCH[1]))
		passed=$((passed + BASH_REMATCH[2] - BASH_REMATCH[1]))
	else
		failed=$((failed + 1))
	fi
	[ "$rc" -eq 0 ] || status=1
	# ctest keeps every test's output, passed or not, in LastTest.log.
	collect "$name" "$dir/Testing/Temporary/LastTest.log"
}

# A manual soak: the reliability tests of the plain build, run directly (no ctest
# timeout), with 10 times the crash rounds, every fault and allocation point.
if [ $soak -eq 1 ]; then
	export VIGIL_CRASH_ROUNDS=${VIGIL_CRASH_ROUNDS:-2000}
	export VIGIL_FAULT_POINTS=${VIGIL_FAULT_POINTS:-1000000}
	export VIGIL_OOM_POINTS=${VIGIL_OOM_POINTS:-1000000}
	export VIGIL_SOURCE_DIR=$top VIGIL_BUILD_DIR=$top/build
	export VIGIL_SHARED_DIR=$(cd "$top/.." && pwd)/shared
	cmake -S "$top" -B "$top/build" -DVIGIL_WERROR=ON -DVIGIL_TEST_KDF=ON >/dev/null
	cmake --build "$top/build" -j "$jobs" >/dev/null
	log=$top/build/soak.log
	: >"$log"
	for t in build/tests/test_oom build/tests/test_oom_lib tests/cli/cases_crash.sh \
		tests/cli/sync_kill.sh tests/cli/receipts_crash.sh tests/cli/crash_panic.sh \
		tests/cli/faults_sweep.sh; do
		echo "==> soak: $t"
		case $t in
		*.sh) run=(bash "$top/$t") ;;
		*) run=("$top/$t") ;;
		esac
		if "${run[@]}" 2>&1 | tee -a "$log"; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
			status=1
		fi
	done
	collect soak "$log"
	report_figures
	echo "vigil soak: $passed passed, $failed failed"
	exit $status
fi

ctest_select=()
run_suite plain "$top/build"
if [ $sanitize -eq 1 ]; then
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	# libgit2's own leaks on its allocation-failure paths, and nothing else (the file says
	# which); exported too for what ctest's environment does not reach.
	export LSAN_OPTIONS=suppressions=$top/tests/lsan.supp:print_suppressions=0
	run_suite sanitized "$top/build-sanitize" -DVIGIL_SANITIZE=ON
	# ThreadSanitizer over what runs threads (the audit's workers) and the daemon's tests.
	export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
	ctest_select=(-R "$TSAN_TESTS")
	run_suite threads "$top/build-tsan" -DVIGIL_TSAN=ON
	ctest_select=()
fi
if [ $fuzz -eq 1 ]; then
	set +e
	bash packaging/fuzz.sh "${VIGIL_FUZZ_SECONDS:-300}" 2>&1 | tee "$figures.fuzz"
	rc=${PIPESTATUS[0]}
	set -e
	collect fuzz "$figures.fuzz"
	rm -f "$figures.fuzz"
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		status=1
	fi
fi

if [ $package -eq 1 ]; then
	echo "==> package: build the Debian package and check it"
	dpkg_check=()
	[ "${CI:-}" = true ] && [ "$(id -u)" -eq 0 ] && dpkg_check=(--dpkg)
	if deb=$(bash packaging/deb.sh "$top/build-deb") &&
		bash packaging/check-package.sh "${dpkg_check[@]}" "$deb"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		status=1
	fi
fi

if [ $demo -eq 1 ]; then
	echo "==> demo: packaging/demo.sh"
	if bash packaging/demo.sh; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		status=1
	fi
fi

report_figures
echo "vigil: $passed passed, $failed failed"
exit $status
