/*
 * Fuzzes the CSV reader: never crashes, and what it accepts satisfies the index's
 * invariants (fields inside the text, NUL-terminated, valid line numbers).
 */
#include <string.h>

#include "vigil/csv.h"
#include "vigil/vigil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct vg_csv *c = NULL;
	size_t lines = 1;

	if (!ready) {
		if (vg_init() < 0)
			return 0;
		ready = 1;
	}
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	int rc = vg_csv_parse(&c, data, size);
	if (c == NULL)
		return 0;
	if ((rc != 0) != (c->nerrors > 0))
		__builtin_trap();
	for (size_t r = 0; r < c->nrows; r++) {
		if (c->rows[r].line < 1 || c->rows[r].line > lines || c->rows[r].nfields < 1 ||
		    c->rows[r].nfields > VG_CSV_FIELDS_MAX)
			__builtin_trap();
		for (size_t f = 0; f < c->rows[r].nfields; f++) {
			const char *s = vg_csv_field(c, r, f);
			size_t off = (size_t)(s - (const char *)c->text.ptr);
			if (off >= c->text.len || memchr(s, '\0', c->text.len - off) == NULL)
				__builtin_trap();
		}
	}
	vg_csv_free(c);
	return 0;
}
