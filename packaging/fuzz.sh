#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang, replays every seed corpus, then fuzzes each
# parser for an equal share of the budget on a scratch copy of its corpus. A crash fails the
# run and leaves the input under build-fuzz/artifacts/ to be minimised and kept in
# tests/fuzz/corpus/<parser>/ as a regression input. Prints one summary line per target
# (tests/lib/reliability.sh's shape): "reliability: fuzz-<parser>: <inputs run> tried,
# <0|1> failed, <seconds> s", the inputs being the corpus replayed plus the executions.
#
#   packaging/fuzz.sh [TOTAL-SECONDS]
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
budget=${1:-300}
dir=$top/build-fuzz
CC=clang cmake -S "$top" -B "$dir" -DVIGIL_FUZZ=ON -DVIGIL_TEST_KDF=ON -DVIGIL_WERROR=ON \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$dir" -j "$(nproc)" >"$dir/build.log" 2>&1 || {
	cat "$dir/build.log"
	exit 1
}

mapfile -t targets < <(find "$dir/tests" -maxdepth 1 -type f -name 'fuzz_*' -perm -u+x | sort)
if [ ${#targets[@]} -eq 0 ]; then
	echo "fuzz: no harnesses built" >&2
	exit 1
fi
share=$((budget / ${#targets[@]}))
[ $share -ge 10 ] || share=10
mkdir -p "$dir/artifacts"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
rc=0
for bin in "${targets[@]}"; do
	name=$(basename "$bin")
	parser=${name#fuzz_}
	corpus=$top/tests/fuzz/corpus/$parser
	scratch=$(mktemp -d)
	rm -f "$dir/$parser.fuzz.log"
	cp -r "$corpus"/. "$scratch"/
	seeds=$(find "$corpus" -type f | wc -l)
	echo "==> fuzz $parser: replay $seeds inputs, then ${share}s"
	start=$(date +%s)
	bad=0
	if ! "$bin" -runs=0 "$corpus" >"$dir/$parser.replay.log" 2>&1; then
		tail -n 40 "$dir/$parser.replay.log"
		echo "fuzz: $parser fails on its own corpus" >&2
		rc=1 bad=1
	elif ! "$bin" -max_total_time="$share" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$dir/artifacts/$parser-" -print_final_stats=1 \
		"$scratch" >"$dir/$parser.fuzz.log" 2>&1; then
		tail -n 60 "$dir/$parser.fuzz.log"
		echo "fuzz: $parser crashed; input kept in $dir/artifacts" >&2
		rc=1 bad=1
	else
		grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$dir/$parser.fuzz.log" |
			tail -n 2 | sed "s/^/   $parser: /"
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/$parser.fuzz.log" 2>/dev/null | tail -n 1)
	echo "reliability: fuzz-$parser: $((seeds + ${execs:-0})) tried, $bad failed, $(($(date +%s) - start)) s"
	rm -rf "$scratch"
done
exit $rc
