/*
 * Fuzzes the case record checker on JSON bodies and the spreadsheet import on CSV text.
 * The first byte picks the entry type (or, when it is 0xff, the import); the rest is input.
 */
#include <string.h>

#include "vigil/csv.h"
#include "vigil/record.h"
#include "vigil/vigil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	json_error_t jerr;

	if (!ready) {
		if (vg_init() < 0)
			return 0;
		ready = 1;
	}
	if (size < 1)
		return 0;
	if (data[0] == 0xff) {
		struct vg_csv *csv = NULL;
		struct vg_import *imp = NULL;
		int rc = vg_csv_parse(&csv, data + 1, size - 1);
		(void)rc;
		if (csv == NULL)
			return 0;
		if (vg_import_from_csv(&imp, csv) == 0) {
			/* Whatever an import returns passes the schema it was built for. */
			for (size_t i = 0; i < imp->ncases; i++) {
				if (vg_record_check(VG_ENTRY_OPEN, imp->cases[i].open) != 0)
					__builtin_trap();
				for (size_t j = 0; j < imp->cases[i].nevents; j++)
					if (vg_record_check(VG_ENTRY_EVENT,
							    imp->cases[i].events[j]) != 0)
						__builtin_trap();
			}
		} else if (imp != NULL && imp->ncases != 0) {
			__builtin_trap(); /* a refused file returns no case */
		}
		vg_import_free(imp);
		vg_csv_free(csv);
		return 0;
	}
	json_t *v = json_loadb((const char *)data + 1, size - 1, 0, &jerr);
	if (v != NULL) {
		int rc = vg_record_check((enum vg_entry_type)(data[0] % 6), v);
		(void)rc;
		json_decref(v);
	}
	return 0;
}
