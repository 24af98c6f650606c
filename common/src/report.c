#include <stdlib.h>
#include <string.h>

#include "report_int.h"
#include "vigil/error.h"
#include "vigil/record.h"
#include "vigil/report.h"

static const char *const case_texts[] = {"name",    "role",  "country", "status", "sentence",
					 "charges", "notes", "ref",	NULL};
static const char *const event_texts[] = {"date",    "type",	"place",    "authority",
					  "charges", "status",	"sentence", "monitor",
					  "notes",   "counsel", NULL};
static const char *const source_texts[] = {"type", "description", "reliability", NULL};

int vg_report_format_parse(enum vg_report_format *out, const char *name)
{
	static const struct {
		const char *name;
		enum vg_report_format f;
	} formats[] = {{"md", VG_REPORT_MD},
		       {"html", VG_REPORT_HTML},
		       {"csv", VG_REPORT_CSV},
		       {"json", VG_REPORT_JSON}};

	for (size_t i = 0; name != NULL && i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strcmp(name, formats[i].name) == 0) {
			*out = formats[i].f;
			return 0;
		}
	return vg_error_set(VG_EINVAL, "unknown report format '%s' (md, html, csv or json)",
			    name != NULL ? name : "");
}

const char *vg_report__str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL && s[0] != '\0' ? s : NULL;
}

bool vg_report__confidential(const json_t *source)
{
	const json_t *c = json_object_get(source, "confidential");

	return c == NULL || !json_is_false(c);
}

const json_t *vg_report__source(const struct vg_report__doc *d, const json_t *event)
{
	const json_t *s = json_object_get(event, "source");

	if (!json_is_object(s))
		return NULL;
	if (vg_report__confidential(s) && !d->opts->include_confidential)
		return NULL;
	return s;
}

int vg_report__put_count(struct vg_buf *out, size_t n, const char *one, const char *many)
{
	return vg_buf_printf(out, "%zu %s", n, n == 1 ? one : many);
}

int vg_report__put_text(struct vg_buf *out, const char *s, bool keep_breaks,
			int (*esc)(struct vg_buf *out, char c))
{
	const unsigned char *p = (const unsigned char *)s;
	int rc = 0;

	while (*p != '\0' && rc == 0) {
		/* U+202A..U+202E and U+2066..U+2069: reorder the text around them; dropped. */
		if (p[0] == 0xe2 && ((p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae) ||
				     (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9))) {
			p += 3;
			continue;
		}
		/* U+2028, U+2029: line and paragraph separators. */
		if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
			rc = vg_buf_putc(out, keep_breaks ? '\n' : ' ');
			p += 3;
			continue;
		}
		/* U+0080..U+009F: C1 controls. */
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			rc = vg_buf_putc(out, ' ');
			p += 2;
			continue;
		}
		if (*p < 0x20 || *p == 0x7f) {
			bool brk = *p == '\n' || (*p == '\r' && p[1] != '\n');
			if (*p == '\r' && p[1] == '\n')
				p++; /* CRLF is one break */
			rc = vg_buf_putc(out, keep_breaks && (brk || *p == '\n') ? '\n' : ' ');
			p++;
			continue;
		}
		if (*p < 0x80 && esc != NULL)
			rc = esc(out, (char)*p);
		else
			rc = vg_buf_putc(out, *p);
		p++;
	}
	return rc;
}

/* ---- input ---- */

static int check_texts(const json_t *obj, const char *const *keys, const char *id, const char *what)
{
	for (size_t i = 0; keys[i] != NULL; i++) {
		const json_t *v = json_object_get(obj, keys[i]);
		if (v == NULL || json_is_null(v))
			continue;
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
			return vg_error_set(VG_EFORMAT, "case '%s': %s'%s' is not text", id, what,
					    keys[i]);
	}
	return 0;
}

static int check_list(const json_t *obj, const char *key, const char *id)
{
	const json_t *v = json_object_get(obj, key), *e;
	size_t i;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return vg_error_set(VG_EFORMAT, "case '%s': '%s' is not a list", id, key);
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e) || json_string_length(e) == 0 ||
		    strlen(json_string_value(e)) != json_string_length(e))
			return vg_error_set(VG_EFORMAT,
					    "case '%s': '%s' holds something other "
					    "than text",
					    id, key);
	}
	return 0;
}

static int check_case(const json_t *c, size_t index)
{
	const json_t *id = json_object_get(c, "id"), *events, *ev;
	const char *ids;
	size_t i;
	int rc;

	if (!json_is_object(c))
		return vg_error_set(VG_EFORMAT, "case %zu is not an object", index + 1);
	if (!json_is_string(id) || json_string_length(id) == 0 ||
	    strlen(json_string_value(id)) != json_string_length(id))
		return vg_error_set(VG_EFORMAT, "case %zu has no id", index + 1);
	ids = json_string_value(id);
	if ((rc = check_texts(c, case_texts, ids, "")) < 0)
		return rc;
	if (vg_report__str(c, "name") == NULL)
		return vg_error_set(VG_EFORMAT, "case '%s' has no name", ids);
	if ((rc = check_list(c, "other_names", ids)) < 0 || (rc = check_list(c, "linked", ids)) < 0)
		return rc;
	events = json_object_get(c, "events");
	if (events != NULL && !json_is_null(events) && !json_is_array(events))
		return vg_error_set(VG_EFORMAT, "case '%s': 'events' is not a list", ids);
	json_array_foreach(events, i, ev)
	{
		const json_t *src = json_object_get(ev, "source"), *conf;
		const char *date;
		if (!json_is_object(ev))
			return vg_error_set(VG_EFORMAT, "case '%s': event %zu is not an object",
					    ids, i + 1);
		if ((rc = check_texts(ev, event_texts, ids, "an event's ")) < 0)
			return rc;
		date = vg_report__str(ev, "date");
		if (date != NULL && !vg_record_date_valid(date))
			return vg_error_set(VG_EFORMAT, "case '%s': event %zu has a bad date", ids,
					    i + 1);
		if (src == NULL || json_is_null(src))
			continue;
		conf = json_object_get(src, "confidential");
		if (!json_is_object(src) || (conf != NULL && !json_is_boolean(conf)))
			return vg_error_set(VG_EFORMAT, "case '%s': event %zu has a bad source",
					    ids, i + 1);
		if ((rc = check_texts(src, source_texts, ids, "a source's ")) < 0)
			return rc;
	}
	return 0;
}

static int cmp_case(const void *a, const void *b)
{
	const struct vg_report__case *x = a, *y = b;

	if ((x->country == NULL) != (y->country == NULL))
		return x->country == NULL ? 1 : -1;
	if (x->country != NULL) {
		int c = strcmp(x->country, y->country);
		if (c != 0)
			return c;
	}
	return x->index < y->index ? -1 : x->index > y->index;
}

bool vg_report__country_starts(const struct vg_report__doc *d, size_t i)
{
	const char *a, *b;

	if (i == 0)
		return true;
	a = d->cases[i - 1].country;
	b = d->cases[i].country;
	return (a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0);
}

static int doc_load(struct vg_report__doc *d, const json_t *cases,
		    const struct vg_report_options *opts)
{
	size_t i;
	const json_t *c;
	int rc;

	memset(d, 0, sizeof(*d));
	d->opts = opts;
	if (!json_is_array(cases))
		return vg_error_set(VG_EFORMAT, "cases are not a list");
	d->cases = calloc(json_array_size(cases) + 1, sizeof(*d->cases));
	if (d->cases == NULL)
		return vg_error_set(VG_ENOMEM, "out of memory");
	json_array_foreach(cases, i, c)
	{
		const json_t *events = json_object_get(c, "events"), *ev;
		size_t k;
		if ((rc = check_case(c, i)) < 0)
			return rc;
		d->cases[i] = (struct vg_report__case){c, vg_report__str(c, "country"), i};
		d->nevents += json_array_size(events);
		json_array_foreach(events, k, ev)
		{
			const json_t *src = json_object_get(ev, "source");
			if (json_is_object(src) && vg_report__source(d, ev) == NULL)
				d->nomitted++;
		}
	}
	d->ncases = json_array_size(cases);
	if (d->ncases > 0)
		qsort(d->cases, d->ncases, sizeof(*d->cases), cmp_case);
	for (i = 0; i < d->ncases; i++)
		d->ncountries += vg_report__country_starts(d, i);
	return 0;
}

/* ---- Markdown ---- */

static int md_esc(struct vg_buf *out, char c)
{
	/* CommonMark allows a backslash before any ASCII punctuation. */
	if (strchr("\\`*_[]<>&|~#", c) != NULL && c != '\0') {
		int rc = vg_buf_putc(out, '\\');
		if (rc < 0)
			return rc;
	}
	return vg_buf_putc(out, (uint8_t)c);
}

static int md_text(struct vg_buf *out, const char *s)
{
	return vg_report__put_text(out, s, false, md_esc);
}

bool vg_report__ends_sentence(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && strchr(".!?", s[n - 1]) != NULL;
}

int vg_report__field(struct vg_buf *out, bool *first, const char *label, const char *value,
		     const struct vg_report__style *st)
{
	int rc;

	if (value == NULL)
		return 0;
	rc = vg_buf_printf(out, "%s%s: ", *first ? "" : " ", label);
	*first = false;
	if (rc == 0)
		rc = st->text(out, value);
	if (rc == 0 && !vg_report__ends_sentence(value))
		rc = vg_buf_putc(out, '.');
	return rc;
}

static int source_text(struct vg_buf *out, bool *first, const json_t *src,
		       const struct vg_report__style *st)
{
	const char *desc = vg_report__str(src, "description"), *type = vg_report__str(src, "type"),
		   *rel = vg_report__str(src, "reliability");
	int rc;

	if (desc == NULL && type == NULL && rel == NULL)
		return 0;
	rc = vg_buf_printf(out, "%sSource: ", *first ? "" : " ");
	*first = false;
	if (rc == 0 && vg_report__confidential(src))
		rc = vg_buf_printf(out, "%s ", st->confidential);
	if (rc == 0)
		rc = st->text(out, desc != NULL ? desc : type);
	if (rc == 0 && desc != NULL && type != NULL) {
		rc = vg_buf_puts(out, " (");
		if (rc == 0)
			rc = st->text(out, type);
		if (rc == 0)
			rc = vg_buf_putc(out, ')');
	}
	if (rc == 0 && rel != NULL) {
		rc = vg_buf_puts(out, ", reliability: ");
		if (rc == 0)
			rc = st->text(out, rel);
	}
	return rc < 0 ? rc : vg_buf_putc(out, '.');
}

int vg_report__event_fields(struct vg_buf *out, bool *first, const json_t *ev, const json_t *src,
			    const struct vg_report__style *st)
{
	static const char *const before[][2] = {
	    {"Place", "place"},	  {"Authority", "authority"}, {"Charges", "charges"},
	    {"Status", "status"}, {"Sentence", "sentence"},   {"Counsel", "counsel"},
	};
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < sizeof(before) / sizeof(before[0]); i++)
		rc = vg_report__field(out, first, before[i][0], vg_report__str(ev, before[i][1]),
				      st);
	if (rc == 0 && src != NULL)
		rc = source_text(out, first, src, st);
	if (rc == 0)
		rc = vg_report__field(out, first, "Notes", vg_report__str(ev, "notes"), st);
	return rc;
}

int vg_report__person_fields(struct vg_buf *out, bool *first, const json_t *c,
			     const struct vg_report__style *st)
{
	static const char *const fields[][2] = {
	    {"Role", "role"},	    {"Status", "status"}, {"Sentence", "sentence"},
	    {"Charges", "charges"}, {"Notes", "notes"},
	};
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < sizeof(fields) / sizeof(fields[0]); i++)
		rc =
		    vg_report__field(out, first, fields[i][0], vg_report__str(c, fields[i][1]), st);
	return rc;
}

static const struct vg_report__style md_style = {md_text, "(confidential)"};

static int md_list(struct vg_buf *out, const json_t *list, const char *sep)
{
	size_t i;
	const json_t *v;
	int rc = 0;

	json_array_foreach(list, i, v)
	{
		if (i > 0)
			rc = vg_buf_puts(out, sep);
		if (rc == 0)
			rc = md_text(out, json_string_value(v));
		if (rc < 0)
			break;
	}
	return rc;
}

static int md_event(struct vg_buf *out, const struct vg_report__doc *d, const json_t *ev)
{
	const char *date = vg_report__str(ev, "date"), *type = vg_report__str(ev, "type"),
		   *monitor = vg_report__str(ev, "monitor");
	const json_t *src = vg_report__source(d, ev);
	bool first = false;
	int rc = vg_buf_puts(out, "- ");

	if (rc == 0)
		rc = date != NULL ? md_text(out, date) : vg_buf_puts(out, "Date unknown");
	if (rc == 0)
		rc = vg_buf_puts(out, ": ");
	if (rc == 0)
		rc = type != NULL ? md_text(out, type) : vg_buf_puts(out, "event");
	if (rc == 0 && !(type != NULL && vg_report__ends_sentence(type)))
		rc = vg_buf_putc(out, '.');
	if (rc == 0)
		rc = vg_report__event_fields(out, &first, ev, src, &md_style);
	if (rc == 0 && monitor != NULL) {
		rc = vg_buf_puts(out, " Reported by ");
		if (rc == 0)
			rc = md_text(out, monitor);
		if (rc == 0 && !vg_report__ends_sentence(monitor))
			rc = vg_buf_putc(out, '.');
	}
	return rc < 0 ? rc : vg_buf_putc(out, '\n');
}

static int md_case(struct vg_buf *out, const struct vg_report__doc *d, const json_t *c)
{
	const json_t *others = json_object_get(c, "other_names"),
		     *linked = json_object_get(c, "linked"), *events = json_object_get(c, "events"),
		     *ev;
	bool first = true;
	size_t i;
	int rc = vg_buf_puts(out, "### ");

	if (rc == 0)
		rc = md_text(out, vg_report__str(c, "name"));
	if (rc == 0 && json_array_size(others) > 0) {
		rc = vg_buf_puts(out, " (");
		if (rc == 0)
			rc = md_list(out, others, ", ");
		if (rc == 0)
			rc = vg_buf_putc(out, ')');
	}
	if (rc == 0)
		rc = vg_buf_puts(out, "\n\n");
	if (rc == 0)
		rc = vg_report__person_fields(out, &first, c, &md_style);
	if (rc == 0)
		rc = vg_buf_printf(out, "%s%s ", first ? "" : " ",
				   json_array_size(linked) > 0 ? "Cases:" : "Case:");
	if (rc == 0)
		rc = md_text(out, vg_report__str(c, "id"));
	if (rc == 0 && json_array_size(linked) > 0) {
		rc = vg_buf_puts(out, ", ");
		if (rc == 0)
			rc = md_list(out, linked, ", ");
	}
	if (rc == 0)
		rc = vg_buf_puts(out, json_array_size(events) > 0 ? ".\n\n" : ".\n");
	json_array_foreach(events, i, ev)
	{
		if (rc == 0)
			rc = md_event(out, d, ev);
	}
	return rc;
}

static int md_summary(struct vg_buf *out, const struct vg_report__doc *d)
{
	int rc = vg_report__put_count(out, d->ncases, "person", "people");

	if (rc == 0)
		rc = vg_buf_puts(out, " in ");
	if (rc == 0)
		rc = vg_report__put_count(out, d->ncountries, "country", "countries");
	if (rc == 0)
		rc = vg_buf_puts(out, ", ");
	if (rc == 0)
		rc = vg_report__put_count(out, d->nevents, "event", "events");
	if (rc == 0)
		rc = vg_buf_putc(out, '.');
	if (rc == 0 && d->nomitted > 0) {
		rc = vg_buf_putc(out, ' ');
		if (rc == 0)
			rc = vg_report__put_count(out, d->nomitted, "source", "sources");
		if (rc == 0)
			rc = vg_buf_printf(out, " marked confidential %s left out.",
					   d->nomitted == 1 ? "is" : "are");
	}
	return rc;
}

static int write_md(struct vg_buf *out, const struct vg_report__doc *d)
{
	const char *title = d->opts->title != NULL ? d->opts->title : "Cases of concern";
	int rc = vg_buf_puts(out, "# ");

	if (rc == 0)
		rc = md_text(out, title);
	if (rc == 0)
		rc = vg_buf_puts(out, "\n\n");
	if (rc == 0 && d->opts->generated != NULL) {
		rc = vg_buf_puts(out, "Generated ");
		if (rc == 0)
			rc = md_text(out, d->opts->generated);
		if (rc == 0)
			rc = vg_buf_puts(out, ". ");
	}
	if (rc == 0)
		rc = md_summary(out, d);
	if (rc == 0)
		rc = vg_buf_puts(out, "\n");
	for (size_t i = 0; i < d->ncases && rc == 0; i++) {
		const char *country = d->cases[i].country;
		if (vg_report__country_starts(d, i)) {
			rc = vg_buf_puts(out, "\n## ");
			if (rc == 0)
				rc = country != NULL ? md_text(out, country)
						     : vg_buf_puts(out, "Country unknown");
			if (rc == 0)
				rc = vg_buf_puts(out, "\n");
		}
		if (rc == 0)
			rc = vg_buf_puts(out, "\n");
		if (rc == 0)
			rc = md_case(out, d, d->cases[i].obj);
	}
	return rc;
}

/* ---- JSON ---- */

static int json_put(const char *buffer, size_t size, void *data)
{
	return vg_buf_put(data, buffer, size) < 0 ? -1 : 0;
}

/* A copy of case c with the sources the options leave out removed. */
static json_t *json_case(const struct vg_report__doc *d, const json_t *c)
{
	json_t *copy = json_deep_copy(c), *events, *ev;
	size_t i;

	if (copy == NULL)
		return NULL;
	events = json_object_get(copy, "events");
	json_array_foreach(events, i, ev)
	{
		if (json_is_object(json_object_get(ev, "source")) &&
		    vg_report__source(d, ev) == NULL)
			json_object_del(ev, "source");
	}
	return copy;
}

static int write_json(struct vg_buf *out, const struct vg_report__doc *d)
{
	json_t *root = json_object(), *countries = json_array(), *group = NULL, *cases = NULL;
	int rc = 0;

	if (root == NULL || countries == NULL ||
	    json_object_set_new(root, "countries", json_incref(countries)) < 0 ||
	    json_object_set_new(root, "include_confidential",
				json_boolean(d->opts->include_confidential)) < 0) {
		rc = vg_error_set(VG_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < d->ncases; i++) {
		const char *country = d->cases[i].country;
		json_t *copy;
		if (vg_report__country_starts(d, i)) {
			cases = json_array();
			group = json_pack("{s:o?,s:o}", "country",
					  country != NULL ? json_string(country) : NULL, "cases",
					  cases);
			if (cases == NULL || group == NULL ||
			    json_array_append_new(countries, group) < 0) {
				rc = vg_error_set(VG_ENOMEM, "out of memory");
				goto done;
			}
		}
		copy = json_case(d, d->cases[i].obj);
		if (copy == NULL || json_array_append_new(cases, copy) < 0) {
			rc = vg_error_set(VG_ENOMEM, "out of memory");
			goto done;
		}
	}
	if (json_dump_callback(root, json_put, out, JSON_SORT_KEYS | JSON_INDENT(2)) < 0 ||
	    vg_buf_putc(out, '\n') < 0)
		rc = vg_error_set(VG_ENOMEM, "out of memory");
done:
	json_decref(countries);
	json_decref(root);
	return rc;
}

int vg_report_write(struct vg_buf *out, const json_t *cases, enum vg_report_format format,
		    const struct vg_report_options *opts)
{
	static const struct vg_report_options defaults = VG_REPORT_OPTIONS_INIT;
	struct vg_report__doc d;
	size_t start = out->len;
	int rc;

	if (opts == NULL)
		opts = &defaults;
	if (opts->version != VG_REPORT_OPTIONS_VERSION)
		return vg_error_set(VG_EINVAL, "report options of version %u, expected %d",
				    opts->version, VG_REPORT_OPTIONS_VERSION);
	rc = doc_load(&d, cases, opts);
	if (rc == 0) {
		switch (format) {
		case VG_REPORT_MD:
			rc = write_md(out, &d);
			break;
		case VG_REPORT_HTML:
			rc = vg_report__html(out, &d);
			break;
		case VG_REPORT_CSV:
			rc = vg_report__csv(out, &d);
			break;
		case VG_REPORT_JSON:
			rc = write_json(out, &d);
			break;
		default:
			rc = vg_error_set(VG_EINVAL, "unknown report format %d", (int)format);
		}
	}
	free(d.cases);
	if (rc < 0)
		vg_buf_truncate(out, start);
	return rc;
}
