#!/usr/bin/env bash
# A full disk gives a clear error and an intact store. The home lives on a small tmpfs
# (root mounts it; otherwise the test re-runs itself in a user and mount namespace);
# a filler file leaves a little room, then an import larger than that room must fail with
# a one-line message saying the disk is full, with nothing imported, and the store must
# pass vg_store_check with exactly the entries it had. With the filler gone, the same
# import succeeds, and every case reads back.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"

if [ "$(id -u)" -ne 0 ]; then
	if [ -z "${VIGIL_DISKFULL_NS:-}" ] && command -v unshare >/dev/null &&
		unshare -rm true 2>/dev/null; then
		export VIGIL_DISKFULL_NS=1
		exec unshare -rm bash "$0" "$@"
	fi
	skip "mounting a small tmpfs needs root or user namespaces"
fi

. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/casehome.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/reliability.sh"
rel_begin diskfull

mnt=$T/small
mkdir -p "$mnt"
mount -t tmpfs -o size=6m,mode=0700 tmpfs "$mnt" || skip "cannot mount a tmpfs"
trap 'stop_all_daemons; umount -l "$mnt" 2>/dev/null; rm -rf "$T"' EXIT

new_home H small/home
cases_home "$H" diskfull
new_case "$H" '{"person":{"name":"Disk Full Person","country":"Uzbekistan"}}' >/dev/null

# 400 events, about 600 KB of entries (1 KiB padded plaintext each, signatures, WAL).
csv=$T/big.csv
{
	echo 'case_ref,person,country,event,date,place,status,notes'
	for i in $(seq 1 400); do
		echo "D$((i % 40)),Disk Person $((i % 40)),Tajikistan,detention,2015-$(printf %02d $((i % 12 + 1))),Place $i,detained,a note long enough to take some room in the store $i"
	done
} >"$csv"

before=$("$STORE_CHECK" --home "$H") || fail "store not intact before: $before"

# Leave about 150 KiB free.
free_kib=$(df -k --output=avail "$mnt" | tail -n 1)
dd if=/dev/zero of="$mnt/filler" bs=1K count=$((free_kib - 150)) status=none 2>/dev/null || true

expect_refusal 1 '(disk|device) (is )?full|[Nn]o space left' vgs "$H" import "$csv"
[ "$(wc -l <"$T/.err")" -le 2 ] || fail "more than a line or two of error: $(cat "$T/.err")"

# The daemon may have died or not; either way, with it stopped, the store is intact and
# holds exactly what it held before.
stop_all_daemons
after=$("$STORE_CHECK" --home "$H") || fail "store not intact after the full disk: $after"
[ "$after" = "$before" ] || fail "store changed: '$before' then '$after'"

rm -f "$mnt/filler"
vgs "$H" import "$csv" >/dev/null || fail "the import fails once there is room"
n=$(vgs "$H" case list --json | jq '.cases | length')
[ "$n" -eq 41 ] || fail "$n cases after the import, want 41"
"$STORE_CHECK" --home "$H" >/dev/null || fail "store not intact after the second import"
REL_TRIED=1
rel_end
echo "ok: full disk refused with a clear error, store intact, import works with room"
