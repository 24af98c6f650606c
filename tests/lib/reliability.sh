# Sourced by the reliability tests (issue 14) after common.sh: one summary line per
# category, the same shape everywhere, so packaging/test.sh can collect them:
#
#   reliability: <category>: <cases tried> tried, <failures> failed, <seconds> s
#
# rel_begin CATEGORY starts a category's clock and its count (REL_TRIED, which the test
# raises); rel_end prints its line. A test that fails (fail) while a category is open
# prints that category's line with 1 failure first, so a failed run is quoted too.

# How many crash rounds a test runs per category: VIGIL_CRASH_ROUNDS, else 200 in the
# plain run and 50 in a sanitized build (each round is 2 to 3 times slower there, and its
# point is memory errors on the recovery paths, which fewer rounds reach as well).
rel_rounds() {
	if [ -n "${VIGIL_CRASH_ROUNDS:-}" ]; then
		echo "$VIGIL_CRASH_ROUNDS"
	elif [ -n "${VIGIL_SANITIZED:-}" ]; then
		echo 50
	else
		echo 200
	fi
}

REL_CAT=
REL_TRIED=0
REL_START=
rel_begin() {
	REL_CAT=$1
	REL_TRIED=0
	REL_START=$EPOCHREALTIME
}

# rel_line CATEGORY TRIED FAILED START
rel_line() {
	local s
	s=$(awk -v a="$4" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	echo "reliability: $1: $2 tried, $3 failed, $s s"
}

rel_end() {
	[ -n "$REL_CAT" ] || return 0
	rel_line "$REL_CAT" "$REL_TRIED" 0 "$REL_START"
	REL_CAT=
}

fail() {
	# Only the test's own shell reports (not a writer running in a subshell).
	if [ -n "$REL_CAT" ] && [ "$BASHPID" = "$$" ]; then
		rel_line "$REL_CAT" "$REL_TRIED" 1 "$REL_START"
	fi
	echo "FAIL: $*" >&2
	exit 1
}
