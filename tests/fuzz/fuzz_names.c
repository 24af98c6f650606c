/*
 * Fuzzes the name normaliser, which takes hostile UTF-8 from records: never crashes, refuses
 * what is not valid text, and what it returns is a key (words sorted, one space apart, no
 * more than twice the input plus one). Then the duplicate finder over the input's lines as
 * names of cases in one country (raw bytes, so invalid UTF-8 reaches it too): it either
 * refuses or returns pairs of distinct ids in order.
 */
#include <stdio.h>
#include <string.h>

#include "vigil/error.h"
#include "vigil/names.h"
#include "vigil/vigil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_key(const struct vg_buf *b, size_t size)
{
	const char *s = (const char *)b->ptr, *prev = NULL;
	size_t prev_len = 0;

	if (b->len > 2 * size + 1 || (b->len > 0 && (s[0] == ' ' || s[b->len - 1] == ' ')))
		__builtin_trap();
	for (size_t i = 0; i <= b->len;) {
		size_t j = i;
		while (j < b->len && s[j] != ' ')
			j++;
		if (b->len > 0 && j == i)
			__builtin_trap(); /* an empty word: two spaces */
		if (prev != NULL) {
			size_t m = prev_len < j - i ? prev_len : j - i;
			int c = memcmp(prev, s + i, m);
			if (c > 0 || (c == 0 && prev_len > j - i))
				__builtin_trap(); /* not sorted */
		}
		prev = s + i;
		prev_len = j - i;
		i = j + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct vg_buf b = VG_BUF_INIT;
	json_t *cases = NULL, *dups = NULL;
	int rc;

	if (!ready) {
		if (vg_init() < 0)
			return 0;
		ready = 1;
	}
	rc = vg_name_key(&b, (const char *)data, size);
	if (rc == 0)
		check_key(&b, size);
	else if ((rc != VG_EFORMAT && rc != VG_ELIMIT) || b.len != 0)
		__builtin_trap();
	vg_buf_release(&b);

	/* Every line a case; the first 10 bytes of a line after a tab are its date. */
	cases = json_array();
	for (size_t i = 0, n = 0; i < size && n < 64; n++) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		size_t end = nl != NULL ? (size_t)(nl - data) : size, name_end = end;
		const uint8_t *tab = memchr(data + i, '\t', end - i);
		char id[8], date[11] = "";
		json_t *events = json_array();

		if (tab != NULL) {
			size_t dl = end - (size_t)(tab - data) - 1;
			name_end = (size_t)(tab - data);
			memcpy(date, tab + 1, dl < 10 ? dl : 10);
			date[dl < 10 ? dl : 10] = '\0';
			json_array_append_new(events,
					      json_pack("{s:s%}", "date", date, strnlen(date, 10)));
		}
		snprintf(id, sizeof(id), "%02zx", n);
		json_array_append_new(
		    cases, json_pack("{s:s,s:o,s:s,s:o}", "id", id, "name",
				     json_stringn_nocheck((const char *)data + i, name_end - i),
				     "country", "X", "events", events));
		i = end + 1;
	}
	rc = vg_names_duplicates(&dups, cases);
	if (rc == 0) {
		for (size_t i = 0; i < json_array_size(dups); i++) {
			const json_t *ids = json_object_get(json_array_get(dups, i), "cases");
			const char *a = json_string_value(json_array_get(ids, 0)),
				   *c = json_string_value(json_array_get(ids, 1));
			if (a == NULL || c == NULL || strcmp(a, c) >= 0)
				__builtin_trap();
		}
	} else if (dups != NULL) {
		__builtin_trap();
	}
	json_decref(dups);
	json_decref(cases);
	return 0;
}
