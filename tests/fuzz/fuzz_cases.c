/*
 * Fuzzes the case derivation. The first byte picks the input form:
 *   0x00: the case index's binary form (vg_case_item_decode), items derived and summarised;
 *   else: a JSON array of [type, id-byte, superseded id-bytes..., body] entries, items made
 *         from their bodies (vg_case_item_init), derived, viewed and summarised.
 * Properties: no crash; every index the state holds is in range; the view of a derived
 * state is built whenever every body is there.
 */
#include <string.h>

#include "vigil/cases.h"
#include "vigil/vigil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXI 64

static void check(const struct vg_case_item *items, size_t n, int bodies)
{
	static const uint8_t cid[VG_CASE_ID_BYTES];
	struct vg_case_state *st = NULL;
	json_t *v = NULL;

	if (vg_case_derive(&st, items, n) != 0)
		return;
	if (st->npersons > n || st->nevents > n || st->nwithdrawn > n ||
	    (st->opened && st->open >= n))
		__builtin_trap();
	for (size_t i = 0; i < st->nevents; i++)
		if (st->events[i].item >= n || st->events[i].root >= n)
			__builtin_trap();
	json_decref(vg_case_summary(cid, st, n));
	if (bodies && vg_case_view(&v, cid, items, n, st, 0, 0) != 0)
		__builtin_trap();
	json_decref(v);
	vg_case_state_free(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct vg_case_item items[MAXI];
	size_t n = 0;

	if (!ready) {
		if (vg_init() < 0)
			return 0;
		ready = 1;
	}
	if (size < 1)
		return 0;
	memset(items, 0, sizeof(items));
	if (data[0] == 0) {
		const uint8_t *p = data + 1;
		size_t left = size - 1;
		uint8_t cid[VG_CASE_ID_BYTES];
		while (left > 0 && n < MAXI) {
			if (vg_case_item_decode(&items[n], cid, &p, &left) != 0) {
				vg_case_item_release(&items[n]);
				break;
			}
			n++;
		}
		check(items, n, 0);
	} else {
		json_t *a =
		    json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, NULL);
		size_t i;
		json_t *e;
		json_array_foreach(a, i, e)
		{
			uint8_t id[VG_ID_BYTES] = {0};
			json_t *body = json_array_get(e, json_array_size(e) - 1);
			json_int_t t = json_integer_value(json_array_get(e, 0));
			if (n == MAXI || t < 0 || t > VG_ENTRY_UNLINK)
				break;
			id[0] = (uint8_t)json_integer_value(json_array_get(e, 1));
			id[1] = (uint8_t)i;
			if (vg_case_item_init(&items[n], id, (uint64_t)i, (enum vg_entry_type)t,
					      i % 2 == 1, body, true) != 0) {
				vg_case_item_release(&items[n]);
				continue;
			}
			n++;
		}
		json_decref(a);
		check(items, n, 1);
	}
	for (size_t i = 0; i < n; i++)
		vg_case_item_release(&items[i]);
	return 0;
}
