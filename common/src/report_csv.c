#include <string.h>

#include "report_int.h"
#include "vigil/error.h"

enum col {
	C_REF,
	C_PERSON,
	C_ALIASES,
	C_ROLE,
	C_COUNTRY,
	C_EVENT,
	C_DATE,
	C_PLACE,
	C_AUTHORITY,
	C_CHARGES,
	C_STATUS,
	C_SENTENCE,
	C_SOURCE,
	C_NOTES,
	C_CASE_ID,
	C_MONITOR,
	C_CASE_NOTES,
	C_COUNT
};

/* The fixture's columns (../shared/fixtures), then what a merged view adds. */
static const char *const header[C_COUNT] = {
    "case_ref", "person", "aliases",   "role",	  "country",	"event",
    "date",	"place",  "authority", "charges", "status",	"sentence",
    "source",	"notes",  "case_id",   "monitor", "case_notes",
};

/*
 * Whether a spreadsheet could take cell s for a formula: it begins, after spaces and
 * invisible format characters, with = + - @ (or their full-width forms), or with a tab, CR
 * or LF (OWASP, "CSV Injection").
 */
static bool formula_like(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (*p == '\t' || *p == '\r' || *p == '\n')
		return true;
	for (;;) {
		if (*p == ' ') {
			p++;
		} else if (p[0] == 0xe2 && ((p[1] == 0x80 && p[2] >= 0x8b && p[2] <= 0x8f) ||
					    (p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae) ||
					    (p[1] == 0x81 && p[2] >= 0xa0 && p[2] <= 0xaf))) {
			p += 3; /* U+200B..U+200F, U+202A..U+202E, U+2060..U+206F */
		} else if (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
			p += 3; /* U+FEFF */
		} else {
			break;
		}
	}
	if (strchr("=+-@\t\r\n", *p) != NULL && *p != '\0')
		return true;
	/* U+FF1D ＝, U+FF0B ＋, U+FF0D －, U+FF20 ＠ */
	return p[0] == 0xef && ((p[1] == 0xbc && (p[2] == 0x9d || p[2] == 0x8b || p[2] == 0x8d)) ||
				(p[1] == 0xbc && p[2] == 0xa0));
}

/* One cell: neutralised, quoted when it holds a comma, quote or line break. */
static int cell(struct vg_buf *out, const char *s, bool last)
{
	struct vg_buf tmp = VG_BUF_INIT;
	int rc = 0;

	if (s != NULL) {
		if (formula_like(s))
			rc = vg_buf_putc(&tmp, '\'');
		if (rc == 0)
			rc = vg_report__put_text(&tmp, s, true, NULL);
	}
	if (rc == 0 && tmp.len > 0 && strpbrk((const char *)tmp.ptr, ",\"\r\n") != NULL) {
		rc = vg_buf_putc(out, '"');
		for (size_t i = 0; i < tmp.len && rc == 0; i++) {
			if (tmp.ptr[i] == '\n')
				rc = vg_buf_putc(out, '\r'); /* CRLF inside cells too */
			if (rc == 0 && tmp.ptr[i] == '"')
				rc = vg_buf_putc(out, '"');
			if (rc == 0)
				rc = vg_buf_putc(out, tmp.ptr[i]);
		}
		if (rc == 0)
			rc = vg_buf_putc(out, '"');
	} else if (rc == 0 && tmp.len > 0) {
		rc = vg_buf_put(out, tmp.ptr, tmp.len);
	}
	vg_buf_release(&tmp);
	if (rc == 0)
		rc = last ? vg_buf_puts(out, "\r\n") : vg_buf_putc(out, ',');
	return rc;
}

/* Strings of a list joined by "; " into b (emptied first); NULL when the list is empty. */
static int joined(const char **out, struct vg_buf *b, const json_t *l)
{
	size_t i;
	const json_t *v;
	int rc = 0;

	vg_buf_clear(b);
	*out = NULL;
	json_array_foreach(l, i, v)
	{
		if (i > 0)
			rc = vg_buf_puts(b, "; ");
		if (rc == 0)
			rc = vg_buf_puts(b, json_string_value(v));
		if (rc < 0)
			return rc;
	}
	if (b->len > 0)
		*out = (const char *)b->ptr;
	return 0;
}

/* The source cell: its description (else its type), marked when confidential. */
static int source_text(const char **out, struct vg_buf *b, const json_t *src)
{
	const char *s = vg_report__str(src, "description");
	int rc = 0;

	vg_buf_clear(b);
	*out = NULL;
	if (s == NULL)
		s = vg_report__str(src, "type");
	if (s == NULL)
		return 0;
	if (vg_report__confidential(src))
		rc = vg_buf_puts(b, "(confidential) ");
	if (rc == 0)
		rc = vg_buf_puts(b, s);
	if (rc == 0)
		*out = (const char *)b->ptr;
	return rc;
}

int vg_report__csv(struct vg_buf *out, const struct vg_report__doc *d)
{
	struct vg_buf aliases = VG_BUF_INIT, src = VG_BUF_INIT;
	int rc = vg_buf_puts(out, "\xef\xbb\xbf"); /* UTF-8 byte-order mark */

	for (size_t k = 0; k < C_COUNT && rc == 0; k++)
		rc = cell(out, header[k], k + 1 == C_COUNT);
	for (size_t i = 0; i < d->ncases && rc == 0; i++) {
		const json_t *c = d->cases[i].obj, *events = json_object_get(c, "events");
		size_t n = json_array_size(events);
		const char *row[C_COUNT];

		rc = joined(&row[C_ALIASES], &aliases, json_object_get(c, "other_names"));
		row[C_REF] = vg_report__str(c, "ref");
		row[C_PERSON] = vg_report__str(c, "name");
		row[C_ROLE] = vg_report__str(c, "role");
		row[C_COUNTRY] = vg_report__str(c, "country");
		row[C_CASE_ID] = vg_report__str(c, "id");
		row[C_CASE_NOTES] = vg_report__str(c, "notes");
		/* A case without events still has its row, with the case's latest status. */
		for (size_t e = 0; e < (n > 0 ? n : 1) && rc == 0; e++) {
			const json_t *ev = json_array_get(events, e);
			row[C_EVENT] = vg_report__str(ev, "type");
			row[C_DATE] = vg_report__str(ev, "date");
			row[C_PLACE] = vg_report__str(ev, "place");
			row[C_AUTHORITY] = vg_report__str(ev, "authority");
			row[C_CHARGES] = vg_report__str(n > 0 ? ev : c, "charges");
			row[C_STATUS] = vg_report__str(n > 0 ? ev : c, "status");
			row[C_SENTENCE] = vg_report__str(n > 0 ? ev : c, "sentence");
			row[C_NOTES] = vg_report__str(ev, "notes");
			row[C_MONITOR] = vg_report__str(ev, "monitor");
			rc = source_text(&row[C_SOURCE], &src, vg_report__source(d, ev));
			for (size_t k = 0; k < C_COUNT && rc == 0; k++)
				rc = cell(out, row[k], k + 1 == C_COUNT);
		}
	}
	vg_buf_release(&aliases);
	vg_buf_release(&src);
	return rc;
}
