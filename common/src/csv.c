#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vigil/csv.h"
#include "vigil/error.h"

/* Written by hand: no packaged C library parses CSV into guarded memory with line numbers. */

struct parser {
	const uint8_t *p, *end;
	size_t line;
	struct vg_csv *c;
	size_t fields_cap, rows_cap;
};

static void add_error(struct vg_csv *c, size_t line, const char *msg)
{
	if (c->nerrors < VG_CSV_ERRORS_MAX) {
		c->errors[c->nerrors].line = line;
		snprintf(c->errors[c->nerrors].msg, sizeof(c->errors[0].msg), "%s", msg);
	}
	c->nerrors++;
}

/* Length of a valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t utf8_len(const uint8_t *p, size_t n)
{
	unsigned c = p[0], cp, min;
	size_t k;

	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0)
		k = 2, cp = c & 0x1f, min = 0x80;
	else if ((c & 0xf0) == 0xe0)
		k = 3, cp = c & 0x0f, min = 0x800;
	else if ((c & 0xf8) == 0xf0)
		k = 4, cp = c & 0x07, min = 0x10000;
	else
		return 0;
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	void *n;
	size_t c = *cap ? *cap : 16;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	if (c > SIZE_MAX / elem || (n = realloc(*arr, c * elem)) == NULL)
		return vg_error_set(VG_ENOMEM, "cannot allocate memory for the CSV index");
	*arr = n;
	*cap = c;
	return 0;
}

/* Skip to just after the next LF (the rest of a bad record's line). */
static void skip_line(struct parser *ps)
{
	while (ps->p < ps->end && *ps->p != '\n')
		ps->p++;
	if (ps->p < ps->end) {
		ps->p++;
		ps->line++;
	}
}

/*
 * One record starting at ps->p. Returns 0 and appends a row, 1 for a bad record (reported,
 * skipped), 2 for an error that ends parsing (reported), or a negative code.
 */
static int parse_record(struct parser *ps)
{
	struct vg_csv *c = ps->c;
	size_t start_line = ps->line, text0 = c->text.len, fields0 = c->nfields_all;
	const uint8_t *rec_start = ps->p;
	int rc;

	for (;;) {
		int quoted = 0;

		if (c->nfields_all - fields0 >= VG_CSV_FIELDS_MAX) {
			add_error(c, start_line, "more than 64 fields");
			goto bad;
		}
		if ((rc = grow((void **)&c->fields, &ps->fields_cap, c->nfields_all + 1,
			       sizeof(size_t))) < 0)
			return rc;
		c->fields[c->nfields_all++] = c->text.len;
		if (ps->p < ps->end && *ps->p == '"') {
			quoted = 1;
			ps->p++;
		}
		for (;;) {
			size_t k;

			if ((size_t)(ps->p - rec_start) > VG_CSV_RECORD_MAX) {
				add_error(c, start_line, "record longer than 64 KiB");
				goto bad;
			}
			if (ps->p >= ps->end) {
				if (quoted) {
					add_error(c, start_line, "quoted field never closed");
					return 2;
				}
				break;
			}
			if (*ps->p == '\0') {
				add_error(c, ps->line, "NUL byte");
				goto bad;
			}
			if (quoted && *ps->p == '"') {
				if (ps->p + 1 < ps->end && ps->p[1] == '"') {
					if ((rc = vg_buf_putc(&c->text, '"')) < 0)
						return rc;
					ps->p += 2;
					continue;
				}
				ps->p++;
				quoted = 0;
				if (ps->p < ps->end && *ps->p != ',' && *ps->p != '\n' &&
				    !(*ps->p == '\r' && ps->p + 1 < ps->end && ps->p[1] == '\n')) {
					add_error(c, ps->line, "text after a closing quote");
					goto bad;
				}
				break;
			}
			if (!quoted &&
			    (*ps->p == ',' || *ps->p == '\n' ||
			     (*ps->p == '\r' && ps->p + 1 < ps->end && ps->p[1] == '\n')))
				break;
			if (!quoted && *ps->p == '"') {
				add_error(c, ps->line, "quote inside an unquoted field");
				goto bad;
			}
			if (!quoted && *ps->p == '\r') {
				add_error(c, ps->line, "carriage return inside an unquoted field");
				goto bad;
			}
			k = utf8_len(ps->p, (size_t)(ps->end - ps->p));
			if (k == 0) {
				add_error(c, ps->line, "invalid UTF-8");
				goto bad;
			}
			if (*ps->p == '\n')
				ps->line++;
			if ((rc = vg_buf_put(&c->text, ps->p, k)) < 0)
				return rc;
			ps->p += k;
		}
		if ((rc = vg_buf_putc(&c->text, '\0')) < 0)
			return rc;
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		break;
	}
	/* End of record: LF, CRLF or end of input. */
	if (ps->p < ps->end && *ps->p == '\r')
		ps->p++;
	if (ps->p < ps->end && *ps->p == '\n') {
		ps->p++;
		ps->line++;
	}
	if (c->nrows >= VG_CSV_ROWS_MAX) {
		add_error(c, start_line, "more than 100000 records");
		return 2;
	}
	if ((rc = grow((void **)&c->rows, &ps->rows_cap, c->nrows + 1, sizeof(*c->rows))) < 0)
		return rc;
	c->rows[c->nrows++] = (struct vg_csv_row){start_line, c->nfields_all - fields0, fields0};
	return 0;
bad:
	vg_buf_truncate(&c->text, text0);
	c->nfields_all = fields0;
	skip_line(ps);
	return 1;
}

int vg_csv_parse(struct vg_csv **out, const uint8_t *data, size_t len)
{
	struct vg_csv *c;
	struct parser ps;
	int rc = 0;

	*out = NULL;
	if (len > VG_CSV_FILE_MAX)
		return vg_error_set(VG_ELIMIT, "CSV file larger than %d MiB",
				    VG_CSV_FILE_MAX / (1024 * 1024));
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return vg_error_set(VG_ENOMEM, "cannot allocate memory for CSV");
	vg_buf_init_secure(&c->text);
	ps = (struct parser){data, data + len, 1, c, 0, 0};
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		ps.p += 3;
	while (ps.p < ps.end) {
		rc = parse_record(&ps);
		if (rc < 0) {
			vg_csv_free(c);
			return rc;
		}
		if (rc == 2)
			break;
	}
	*out = c;
	if (c->nerrors > 0)
		return vg_error_set(VG_EFORMAT, "CSV has %zu bad record%s (first on line %zu)",
				    c->nerrors, c->nerrors == 1 ? "" : "s", c->errors[0].line);
	return 0;
}

void vg_csv_free(struct vg_csv *c)
{
	if (c == NULL)
		return;
	vg_buf_release(&c->text);
	free(c->fields);
	free(c->rows);
	free(c);
}

const char *vg_csv_field(const struct vg_csv *c, size_t row, size_t col)
{
	if (row >= c->nrows || col >= c->rows[row].nfields)
		return NULL;
	return (const char *)c->text.ptr + c->fields[c->rows[row].first + col];
}
