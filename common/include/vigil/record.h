/*
 * Case records: the body of each entry type (common/FORMAT.md, "Case records"), modelled on
 * the HURIDOCS Events Standard Formats, and the import of field spreadsheets (one row per
 * event, rows sharing case_ref are one case).
 *
 * Bodies are jansson objects; every string they hold is case data, so nothing here ever
 * puts a field value into an error message.
 */
#ifndef VIGIL_RECORD_H
#define VIGIL_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "vigil/csv.h"
#include "vigil/entry.h"

#define VG_RECORD_TEXT_MAX  4096  /* one field */
#define VG_RECORD_NOTES_MAX 65536 /* free-text notes */
#define VG_RECORD_NAMES_MAX 16	  /* other names of a person */

/*
 * Check body against the schema of its type: only known members, of the right types,
 * within the caps; required members present; dates "YYYY", "YYYY-MM" or "YYYY-MM-DD" that
 * exist. VG_EFORMAT with a message naming the member, never its value.
 */
int vg_record_check(enum vg_entry_type type, const json_t *body)
    __attribute__((warn_unused_result));

/*
 * Order two partial dates ("YYYY", "YYYY-MM", "YYYY-MM-DD", or NULL/"" for unknown):
 * earlier first; a less precise date sorts before the more precise dates it contains
 * ("2016" < "2016-10" < "2016-10-06"); unknown last. Returns <0, 0, >0.
 */
int vg_record_date_cmp(const char *a, const char *b);

/* Whether s is a date "YYYY", "YYYY-MM" or "YYYY-MM-DD" that exists, year 1000-9999. */
bool vg_record_date_valid(const char *s);

/* One case of an import: its opening body and the bodies of its events, in file order. */
struct vg_import_case {
	json_t *open;	 /* body of the "open" entry */
	json_t **events; /* bodies of "event" entries */
	size_t nevents;
	size_t line; /* line of its first row */
};

struct vg_import {
	struct vg_import_case *cases;
	size_t ncases;
	size_t nevents;
	/* Every bad row, by line (field values never quoted). */
	struct vg_csv_error errors[VG_CSV_ERRORS_MAX];
	size_t nerrors;
};

/*
 * Turn a parsed spreadsheet (header row first, the columns of packaging/demo/monitor-a.csv
 * in any order; unknown columns refused) into cases. The whole file is checked before
 * anything is returned: with any bad row (missing person, country or event, a bad date, a
 * field over its cap, rows of one case_ref that disagree on person or country, a CSV
 * error) the result is VG_EFORMAT, *out holds only the errors, and no case is returned.
 * *out is set unless VG_ENOMEM; free it with vg_import_free.
 */
int vg_import_from_csv(struct vg_import **out, const struct vg_csv *csv)
    __attribute__((warn_unused_result));
void vg_import_free(struct vg_import *imp);

#endif
