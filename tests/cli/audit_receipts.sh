#!/usr/bin/env bash
# Receipts in the auditor's two tools (FORMAT.md 17.6, 18.2 pass 7), on the repository of
# tests/lib/audit_repo.sh: forged receipts (a monitor's, a broken chain, an entry nobody
# wrote), every receipt of a branch's history (older receipts forged, a receipt covering less
# than the one before), and a receipts branch rolled back or deleted between two audits with
# a state. Both tools report the same findings and exit alike.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/hostile_repo.sh"
require_tool git sqlite3 jq minisign b2sum
. "$VIGIL_SOURCE_DIR/tests/lib/audit_repo.sh"

# ---- forged receipts: signed by a monitor; a coordinator's naming an entry nobody wrote ----
forge m1 1 --member "$A1:3:$E13"
mapfile -t marks < <(printf '%s\n' "$A1:3:$E13" "$A2:2:$NOBODY" | sort) # ascending by id
forge office 2 --prev "$NOBODY" --member "${marks[0]}" --member "${marks[1]}"
audit forged 1
has "fail receipt-signer m1 1 refs/heads/receipts/$A1" "fail receipt-entry m2 2 $CR" \
	"fail receipt-chain office 2 $CR" "fail receipt-monotone m2 2 $CR"
only receipt-signer receipt-entry receipt-chain receipt-monotone
hr_git "$REMOTE" update-ref -d "refs/heads/receipts/$A1"
restore
audit receipts-restored 0

# ---- every receipt of the history, not only the newest ----
H1=$(git --git-dir="$REMOTE" show "$CR:receipt.json" | b2sum -l 256 | cut -d' ' -f1)
mapfile -t good < <(printf '%s\n' "$A1:3:$E13" "$A2:2:$E22" | sort)
# Older receipts forged, and a newest one covering less, on a history whose newest receipt
# alone would audit clean: the first signed by a monitor, the second (the coordinator's
# key) naming an entry nobody wrote, the third faithful, the fourth back to m1's second
# entry with m2 dropped.
ROOT=1 ON=office forge m1 1 --member "$A1:3:$E13"
HF=$(b2sum -l 256 "$T/rc-m1-1/receipt.json" | cut -d' ' -f1)
forge office 2 --prev "$HF" --member "$A2:1:$NOBODY"
HF=$(b2sum -l 256 "$T/rc-office-2/receipt.json" | cut -d' ' -f1)
forge office 3 --prev "$HF" --member "${good[0]}" --member "${good[1]}"
HF=$(b2sum -l 256 "$T/rc-office-3/receipt.json" | cut -d' ' -f1)
forge office 4 --prev "$HF" --member "$A1:2:$E12"
audit older-forged 1
has "fail receipt office 1 $CR" "fail receipt-entry m2 1 $CR" \
	"fail receipt-monotone m1 3 $CR" "fail receipt-monotone m2 2 $CR"
only receipt receipt-entry receipt-monotone
restore
# A receipts branch rolled back between two audits with a state: only the second sees it,
# and every later one until the host serves the history again.
forge office 2 --prev "$H1" --member "${good[0]}" --member "${good[1]}"
TWO=$(hr_save "$REMOTE" "$CR")
audit receipts-state 0 .r
grep -q "^receipts $(author_of "$C") $TWO\$" "$T/state.vigil.r" || fail "no receipts head in the state: $(cat "$T/state.vigil.r")"
cmp -s "$T/state.vigil.r" "$T/state.stock.r" || fail "the tools wrote different states:"$'\n'"$(diff "$T/state.vigil.r" "$T/state.stock.r")"
restore # receipt 1 again: a rollback
audit receipts-rolled-back 1 .r
has "fail rollback office - $CR"
only rollback
# Deleted too: still reported (the state kept the verified head), until the host mends it.
hr_git "$REMOTE" update-ref -d "$CR"
audit receipts-gone 1 .r
has "fail rollback office - $CR"
only rollback
hr_set "$REMOTE" "$CR" "$TWO"
audit receipts-mended 0 .r
only none
restore

echo "ok: receipts forged (monitor-signed, broken chain, unheld entry), older receipts forged, a receipt covering less, a receipts branch rolled back and deleted with state; both tools agree"
