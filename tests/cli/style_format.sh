#!/usr/bin/env bash
# Every C file in the tree is formatted by the repository's .clang-format.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
require_tool clang-format
cd "$VIGIL_SOURCE_DIR"
mapfile -t files < <(find common agent keys tests -name '*.[ch]' 2>/dev/null | sort)
[ ${#files[@]} -gt 0 ] || fail "no C files found"
bad=()
for f in "${files[@]}"; do
	[ -f "$f" ] || continue
	clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
[ ${#bad[@]} -eq 0 ] || fail "not clang-formatted (run clang-format -i): ${bad[*]}"
echo "ok: ${#files[@]} files formatted"
