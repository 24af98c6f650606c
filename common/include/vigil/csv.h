/*
 * RFC 4180 CSV as spreadsheets export it, parsed in memory for `vigil import`.
 *
 * UTF-8 only (a byte-order mark at the very start is skipped); fields separated by commas,
 * optionally quoted with '"' where '""' is a quote; records end with LF or CRLF; quoted
 * fields may hold commas, quotes and line breaks. Field bytes are kept in guarded memory,
 * since they are case data. Caps, checked as the parser goes: VG_CSV_FILE_MAX bytes in
 * all, VG_CSV_RECORD_MAX bytes per record, VG_CSV_FIELDS_MAX fields per record,
 * VG_CSV_ROWS_MAX records.
 *
 * Bad records (a NUL byte, invalid UTF-8, text after a closing quote, a bare quote in an
 * unquoted field, an overlong record) are reported with the line where they start, and
 * parsing goes on with the next line so that every bad row of a file can be listed at
 * once; an unterminated quote ends parsing. Messages never quote the file's content.
 */
#ifndef VIGIL_CSV_H
#define VIGIL_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/buf.h"

#define VG_CSV_FILE_MAX	  (16 * 1024 * 1024)
#define VG_CSV_RECORD_MAX (64 * 1024)
#define VG_CSV_FIELDS_MAX 64
#define VG_CSV_ROWS_MAX	  100000
#define VG_CSV_ERRORS_MAX 100

struct vg_csv_error {
	size_t line;
	char msg[96];
};

struct vg_csv_row {
	size_t line; /* 1-based line on which the record starts */
	size_t nfields;
	size_t first; /* index of its first field in fields[] */
};

struct vg_csv {
	struct vg_buf text; /* secure; every field's bytes, each followed by a NUL */
	size_t *fields;	    /* offsets into text, one per field */
	size_t nfields_all;
	struct vg_csv_row *rows;
	size_t nrows;
	struct vg_csv_error errors[VG_CSV_ERRORS_MAX];
	size_t nerrors; /* may exceed VG_CSV_ERRORS_MAX; only the first are kept */
};

/*
 * Parse data. On success (0) or a file with bad records (VG_EFORMAT) *out is set and
 * must be freed; with VG_EFORMAT its errors list the bad lines and its rows hold the good
 * ones. VG_ELIMIT for a file over VG_CSV_FILE_MAX (nothing parsed, *out NULL), VG_ENOMEM.
 */
int vg_csv_parse(struct vg_csv **out, const uint8_t *data, size_t len)
    __attribute__((warn_unused_result));
void vg_csv_free(struct vg_csv *c);

/* Field col of row, NUL-terminated; NULL when the row has fewer fields. */
const char *vg_csv_field(const struct vg_csv *c, size_t row, size_t col);

#endif
