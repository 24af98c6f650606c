#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/error.h"
#include "vigil/id.h"
#include "vigil/record.h"

enum kind { K_TEXT, K_NOTES, K_YEAR, K_BOOL, K_DATE, K_NAMES, K_IDS, K_CASES, K_OBJECT };

struct member {
	const char *name;
	enum kind kind;
	int required;
	const struct member *sub; /* for K_OBJECT: its members, ending with a NULL name */
};

static const struct member person_schema[] = {
    {"name", K_TEXT, 1, NULL},	  {"other_names", K_NAMES, 0, NULL},
    {"sex", K_TEXT, 0, NULL},	  {"birth_year", K_YEAR, 0, NULL},
    {"role", K_TEXT, 0, NULL},	  {"affiliation", K_TEXT, 0, NULL},
    {"country", K_TEXT, 1, NULL}, {NULL, K_TEXT, 0, NULL},
};

static const struct member event_schema[] = {
    {"type", K_TEXT, 1, NULL},	    {"date", K_DATE, 0, NULL},	  {"place", K_TEXT, 0, NULL},
    {"authority", K_TEXT, 0, NULL}, {"charges", K_TEXT, 0, NULL}, {"status", K_TEXT, 0, NULL},
    {"sentence", K_TEXT, 0, NULL},  {"counsel", K_TEXT, 0, NULL}, {NULL, K_TEXT, 0, NULL},
};

static const struct member source_schema[] = {
    {"type", K_TEXT, 0, NULL},	      {"description", K_TEXT, 0, NULL},
    {"reliability", K_TEXT, 0, NULL}, {"confidential", K_BOOL, 1, NULL},
    {NULL, K_TEXT, 0, NULL},
};

static const struct member open_schema[] = {
    {"person", K_OBJECT, 1, person_schema},
    {"ref", K_TEXT, 0, NULL},
    {"notes", K_NOTES, 0, NULL},
    {NULL, K_TEXT, 0, NULL},
};

static const struct member event_body_schema[] = {
    {"event", K_OBJECT, 1, event_schema},
    {"source", K_OBJECT, 0, source_schema},
    {"notes", K_NOTES, 0, NULL},
    {NULL, K_TEXT, 0, NULL},
};

static const struct member correct_schema[] = {
    {"supersedes", K_IDS, 1, NULL},	  {"person", K_OBJECT, 0, person_schema},
    {"event", K_OBJECT, 0, event_schema}, {"source", K_OBJECT, 0, source_schema},
    {"notes", K_NOTES, 0, NULL},	  {NULL, K_TEXT, 0, NULL},
};

static const struct member redact_schema[] = {
    {"supersedes", K_IDS, 1, NULL},
    {"reason", K_NOTES, 0, NULL},
    {NULL, K_TEXT, 0, NULL},
};

static const struct member link_schema[] = {
    {"cases", K_CASES, 1, NULL},
    {NULL, K_TEXT, 0, NULL},
};

static int days_in_month(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

static int digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* "YYYY", "YYYY-MM" or "YYYY-MM-DD", a date that exists, year 1000-9999. */
static int date_ok(const char *s)
{
	size_t n = strlen(s);
	int y, m, d;

	if ((n != 4 && n != 7 && n != 10) || !digits(s, 4) || s[0] == '0')
		return 0;
	y = atoi(s);
	if (n == 4)
		return 1;
	if (s[4] != '-' || !digits(s + 5, 2))
		return 0;
	m = (s[5] - '0') * 10 + (s[6] - '0');
	if (m < 1 || m > 12)
		return 0;
	if (n == 7)
		return 1;
	if (s[7] != '-' || !digits(s + 8, 2))
		return 0;
	d = (s[8] - '0') * 10 + (s[9] - '0');
	return d >= 1 && d <= days_in_month(y, m);
}

static int text_ok(const json_t *v, size_t cap)
{
	return json_is_string(v) && json_string_length(v) >= 1 && json_string_length(v) <= cap;
}

static int check_value(const struct member *mb, const json_t *v, const char *path);

static int check_object(const struct member *schema, const json_t *obj, const char *path)
{
	const char *key;
	json_t *v;
	char sub[128];
	int rc;

	if (!json_is_object(obj))
		return vg_error_set(VG_EFORMAT, "%s must be an object", path);
	json_object_foreach((json_t *)obj, key, v)
	{
		const struct member *mb = schema;
		while (mb->name != NULL && strcmp(mb->name, key) != 0)
			mb++;
		if (mb->name == NULL)
			return vg_error_set(VG_EFORMAT, "%s has an unknown member", path);
		snprintf(sub, sizeof(sub), "%s.%s", path, mb->name);
		if ((rc = check_value(mb, v, sub)) < 0)
			return rc;
	}
	for (const struct member *mb = schema; mb->name != NULL; mb++)
		if (mb->required && json_object_get(obj, mb->name) == NULL)
			return vg_error_set(VG_EFORMAT, "%s.%s is required", path, mb->name);
	return 0;
}

static int id_list_ok(const json_t *v, size_t bytes, size_t min, size_t max)
{
	size_t i;
	json_t *item;
	uint8_t raw[VG_ID_BYTES];

	if (!json_is_array(v) || json_array_size(v) < min || json_array_size(v) > max)
		return 0;
	json_array_foreach(v, i, item)
	{
		if (!json_is_string(item) || vg_hex_decode(raw, bytes, json_string_value(item),
							   json_string_length(item)) < 0)
			return 0;
		for (size_t j = 0; j < i; j++)
			if (strcmp(json_string_value(json_array_get(v, j)),
				   json_string_value(item)) == 0)
				return 0;
	}
	return 1;
}

static int check_value(const struct member *mb, const json_t *v, const char *path)
{
	size_t i;
	json_t *item;

	switch (mb->kind) {
	case K_TEXT:
		if (!text_ok(v, VG_RECORD_TEXT_MAX))
			return vg_error_set(VG_EFORMAT, "%s must be text of 1 to %d bytes", path,
					    VG_RECORD_TEXT_MAX);
		return 0;
	case K_NOTES:
		if (!text_ok(v, VG_RECORD_NOTES_MAX))
			return vg_error_set(VG_EFORMAT, "%s must be text of 1 to %d bytes", path,
					    VG_RECORD_NOTES_MAX);
		return 0;
	case K_YEAR:
		if (!json_is_integer(v) || json_integer_value(v) < 1000 ||
		    json_integer_value(v) > 9999)
			return vg_error_set(VG_EFORMAT, "%s must be a year", path);
		return 0;
	case K_BOOL:
		if (!json_is_boolean(v))
			return vg_error_set(VG_EFORMAT, "%s must be true or false", path);
		return 0;
	case K_DATE:
		if (!json_is_string(v) || !date_ok(json_string_value(v)))
			return vg_error_set(VG_EFORMAT,
					    "%s must be a date YYYY, YYYY-MM or YYYY-MM-DD", path);
		return 0;
	case K_NAMES:
		if (!json_is_array(v) || json_array_size(v) > VG_RECORD_NAMES_MAX)
			return vg_error_set(VG_EFORMAT, "%s must be a list of at most %d names",
					    path, VG_RECORD_NAMES_MAX);
		json_array_foreach(v, i, item)
		{
			if (!text_ok(item, VG_RECORD_TEXT_MAX))
				return vg_error_set(VG_EFORMAT,
						    "%s holds an empty or overlong name", path);
		}
		return 0;
	case K_IDS:
		if (!id_list_ok(v, VG_ID_BYTES, 1, 16))
			return vg_error_set(VG_EFORMAT, "%s must list 1 to 16 distinct entry ids",
					    path);
		return 0;
	case K_CASES:
		if (!id_list_ok(v, VG_CASE_ID_BYTES, 2, 2))
			return vg_error_set(VG_EFORMAT, "%s must name two different case ids",
					    path);
		return 0;
	case K_OBJECT:
		return check_object(mb->sub, v, path);
	}
	return vg_error_set(VG_EFORMAT, "%s: unknown kind", path);
}

int vg_record_check(enum vg_entry_type type, const json_t *body)
{
	int rc;

	switch (type) {
	case VG_ENTRY_OPEN:
		return check_object(open_schema, body, "body");
	case VG_ENTRY_EVENT:
		return check_object(event_body_schema, body, "body");
	case VG_ENTRY_CORRECT:
		if ((rc = check_object(correct_schema, body, "body")) < 0)
			return rc;
		if ((json_object_get(body, "person") != NULL) ==
		    (json_object_get(body, "event") != NULL))
			return vg_error_set(
			    VG_EFORMAT, "a correction replaces either body.person or body.event");
		if (json_object_get(body, "person") != NULL &&
		    json_object_get(body, "source") != NULL)
			return vg_error_set(VG_EFORMAT,
					    "body.source belongs to an event correction");
		return 0;
	case VG_ENTRY_REDACT:
		return check_object(redact_schema, body, "body");
	case VG_ENTRY_LINK:
	case VG_ENTRY_UNLINK:
		return check_object(link_schema, body, "body");
	}
	return vg_error_set(VG_EINVAL, "unknown entry type");
}

bool vg_record_date_valid(const char *s)
{
	return s != NULL && date_ok(s);
}

int vg_record_date_cmp(const char *a, const char *b)
{
	int ua = a == NULL || a[0] == '\0', ub = b == NULL || b[0] == '\0';
	size_t la, lb, n;
	int c;

	if (ua || ub)
		return ua - ub; /* unknown last */
	la = strlen(a);
	lb = strlen(b);
	n = la < lb ? la : lb;
	if ((c = strncmp(a, b, n)) != 0)
		return c;
	return (la > lb) - (la < lb); /* "2016" before "2016-10" */
}

/* ---- import ---- */

enum column {
	C_CASE_REF,
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
	C_SEX,
	C_BIRTH_YEAR,
	C_AFFILIATION,
	C_COUNSEL,
	C_RELIABILITY,
	C_CONFIDENTIAL,
	C_COUNT
};

static const char *const column_names[C_COUNT] = {
    "case_ref", "person",     "aliases",     "role",	"country",     "event",	       "date",
    "place",	"authority",  "charges",     "status",	"sentence",    "source",       "notes",
    "sex",	"birth_year", "affiliation", "counsel", "reliability", "confidential",
};

static void import_error(struct vg_import *imp, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void import_error(struct vg_import *imp, size_t line, const char *fmt, ...)
{
	va_list ap;

	if (imp->nerrors < VG_CSV_ERRORS_MAX) {
		imp->errors[imp->nerrors].line = line;
		va_start(ap, fmt);
		vsnprintf(imp->errors[imp->nerrors].msg, sizeof(imp->errors[0].msg), fmt, ap);
		va_end(ap);
	}
	imp->nerrors++;
}

void vg_import_free(struct vg_import *imp)
{
	if (imp == NULL)
		return;
	for (size_t i = 0; i < imp->ncases; i++) {
		json_decref(imp->cases[i].open);
		for (size_t j = 0; j < imp->cases[i].nevents; j++)
			json_decref(imp->cases[i].events[j]);
		free(imp->cases[i].events);
	}
	free(imp->cases);
	free(imp);
}

/* Set obj[key] = value when value is not empty. */
static int set_text(json_t *obj, const char *key, const char *value)
{
	if (value == NULL || value[0] == '\0')
		return 0;
	return json_object_set_new(obj, key, json_string(value)) == 0 ? 0 : -1;
}

static json_t *names_list(const char *aliases)
{
	json_t *a = json_array();
	char buf[VG_RECORD_TEXT_MAX + 1];
	const char *p = aliases;

	if (a == NULL)
		return NULL;
	while (p != NULL && *p != '\0') {
		const char *semi = strchr(p, ';');
		size_t n = semi != NULL ? (size_t)(semi - p) : strlen(p);
		const char *s = p, *e = p + n;
		while (s < e && *s == ' ')
			s++;
		while (e > s && e[-1] == ' ')
			e--;
		if (e > s && (size_t)(e - s) <= VG_RECORD_TEXT_MAX) {
			memcpy(buf, s, (size_t)(e - s));
			buf[e - s] = '\0';
			json_array_append_new(a, json_string(buf));
		}
		p = semi != NULL ? semi + 1 : NULL;
	}
	return a;
}

static const char *col(const struct vg_csv *csv, size_t row, const int *map, enum column c)
{
	const char *v;
	if (map[c] < 0)
		return "";
	v = vg_csv_field(csv, row, (size_t)map[c]);
	return v != NULL ? v : "";
}

static json_t *row_open_body(const struct vg_csv *csv, size_t r, const int *map)
{
	json_t *body = json_object(), *person = json_object(), *names;
	const char *by = col(csv, r, map, C_BIRTH_YEAR);

	if (body == NULL || person == NULL)
		goto fail;
	if (set_text(person, "name", col(csv, r, map, C_PERSON)) < 0 ||
	    set_text(person, "role", col(csv, r, map, C_ROLE)) < 0 ||
	    set_text(person, "country", col(csv, r, map, C_COUNTRY)) < 0 ||
	    set_text(person, "sex", col(csv, r, map, C_SEX)) < 0 ||
	    set_text(person, "affiliation", col(csv, r, map, C_AFFILIATION)) < 0)
		goto fail;
	if (by[0] != '\0')
		json_object_set_new(person, "birth_year",
				    digits(by, 4) && by[4] == '\0' ? json_integer(atoi(by))
								   : json_string(by));
	names = names_list(col(csv, r, map, C_ALIASES));
	if (names != NULL && json_array_size(names) > 0)
		json_object_set_new(person, "other_names", names);
	else
		json_decref(names);
	json_object_set_new(body, "person", person);
	person = NULL;
	if (set_text(body, "ref", col(csv, r, map, C_CASE_REF)) < 0)
		goto fail;
	return body;
fail:
	json_decref(person);
	json_decref(body);
	return NULL;
}

static json_t *row_event_body(const struct vg_csv *csv, size_t r, const int *map)
{
	static const struct {
		enum column c;
		const char *key;
	} ev[] = {{C_EVENT, "type"},	      {C_DATE, "date"},	      {C_PLACE, "place"},
		  {C_AUTHORITY, "authority"}, {C_CHARGES, "charges"}, {C_STATUS, "status"},
		  {C_SENTENCE, "sentence"},   {C_COUNSEL, "counsel"}};
	json_t *body = json_object(), *event = json_object(), *source = json_object();
	const char *conf = col(csv, r, map, C_CONFIDENTIAL);

	if (body == NULL || event == NULL || source == NULL)
		goto fail;
	for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++)
		if (set_text(event, ev[i].key, col(csv, r, map, ev[i].c)) < 0)
			goto fail;
	if (set_text(source, "description", col(csv, r, map, C_SOURCE)) < 0 ||
	    set_text(source, "reliability", col(csv, r, map, C_RELIABILITY)) < 0)
		goto fail;
	/* Sources are who gets hurt: confidential unless the sheet says otherwise. */
	json_object_set_new(source, "confidential",
			    json_boolean(!(strcmp(conf, "no") == 0 || strcmp(conf, "false") == 0)));
	json_object_set_new(body, "event", event);
	json_object_set_new(body, "source", source);
	event = source = NULL;
	if (set_text(body, "notes", col(csv, r, map, C_NOTES)) < 0)
		goto fail;
	return body;
fail:
	json_decref(event);
	json_decref(source);
	json_decref(body);
	return NULL;
}

static int row_empty(const struct vg_csv *csv, size_t r)
{
	for (size_t f = 0; f < csv->rows[r].nfields; f++)
		if (vg_csv_field(csv, r, f)[0] != '\0')
			return 0;
	return 1;
}

int vg_import_from_csv(struct vg_import **out, const struct vg_csv *csv)
{
	struct vg_import *imp;
	int map[C_COUNT];
	size_t *first = NULL;  /* the row that opened each case */
	json_t *by_ref = NULL; /* case_ref -> index of its case (jansson memory is wiped) */
	int rc = 0;

	*out = NULL;
	if ((imp = calloc(1, sizeof(*imp))) == NULL)
		return vg_error_set(VG_ENOMEM, "cannot allocate the import");
	*out = imp;
	for (size_t i = 0; i < csv->nerrors && i < VG_CSV_ERRORS_MAX; i++)
		import_error(imp, csv->errors[i].line, "%s", csv->errors[i].msg);
	if (csv->nrows == 0) {
		import_error(imp, 1, "empty file: a header row is needed");
		goto done;
	}
	for (int c = 0; c < C_COUNT; c++)
		map[c] = -1;
	for (size_t f = 0; f < csv->rows[0].nfields; f++) {
		const char *name = vg_csv_field(csv, 0, f);
		int c;
		for (c = 0; c < C_COUNT && strcmp(column_names[c], name) != 0; c++)
			;
		if (c == C_COUNT)
			import_error(imp, csv->rows[0].line, "unknown column %zu in the header",
				     f + 1);
		else if (map[c] >= 0)
			import_error(imp, csv->rows[0].line, "column '%s' appears twice",
				     column_names[c]);
		else
			map[c] = (int)f;
	}
	static const enum column required[] = {C_CASE_REF, C_PERSON, C_COUNTRY, C_EVENT};
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (map[required[i]] < 0)
			import_error(imp, csv->rows[0].line, "the header lacks column '%s'",
				     column_names[required[i]]);
	if (imp->nerrors > 0)
		goto done;
	if ((by_ref = json_object()) == NULL ||
	    (first = calloc(csv->nrows, sizeof(*first))) == NULL ||
	    (imp->cases = calloc(csv->nrows, sizeof(*imp->cases))) == NULL) {
		rc = vg_error_set(VG_ENOMEM, "cannot allocate the import");
		goto done;
	}
	for (size_t r = 1; r < csv->nrows; r++) {
		size_t line = csv->rows[r].line, before = imp->nerrors, ci;
		json_t *ev;
		struct vg_import_case *kc;

		if (row_empty(csv, r))
			continue;
		if (csv->rows[r].nfields != csv->rows[0].nfields)
			import_error(imp, line, "%zu fields where the header has %zu",
				     csv->rows[r].nfields, csv->rows[0].nfields);
		static const enum column needed[] = {C_CASE_REF, C_PERSON, C_COUNTRY, C_EVENT};
		for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++)
			if (col(csv, r, map, needed[i])[0] == '\0')
				import_error(imp, line, "'%s' is empty", column_names[needed[i]]);
		if (col(csv, r, map, C_DATE)[0] != '\0' && !date_ok(col(csv, r, map, C_DATE)))
			import_error(imp, line, "'date' is not YYYY, YYYY-MM or YYYY-MM-DD");
		if (imp->nerrors > before)
			continue;
		json_t *known = json_object_get(by_ref, col(csv, r, map, C_CASE_REF));
		ci = known != NULL ? (size_t)json_integer_value(known) : imp->ncases;
		if (ci < imp->ncases) {
			if (strcmp(col(csv, first[ci], map, C_PERSON),
				   col(csv, r, map, C_PERSON)) != 0 ||
			    strcmp(col(csv, first[ci], map, C_COUNTRY),
				   col(csv, r, map, C_COUNTRY)) != 0) {
				import_error(
				    imp, line,
				    "same case_ref as line %zu but another person or country",
				    csv->rows[first[ci]].line);
				continue;
			}
		} else {
			json_t *open = row_open_body(csv, r, map);
			if (open == NULL) {
				rc = vg_error_set(VG_ENOMEM, "cannot build a case");
				goto done;
			}
			if (vg_record_check(VG_ENTRY_OPEN, open) < 0) {
				import_error(imp, line, "%s", vg_error_last());
				json_decref(open);
				continue;
			}
			if (json_object_set_new(by_ref, col(csv, r, map, C_CASE_REF),
						json_integer((json_int_t)imp->ncases)) != 0) {
				json_decref(open);
				rc = vg_error_set(VG_ENOMEM, "cannot build a case");
				goto done;
			}
			first[imp->ncases] = r;
			imp->cases[imp->ncases].open = open;
			imp->cases[imp->ncases].line = line;
			imp->ncases++;
		}
		kc = &imp->cases[ci];
		if ((ev = row_event_body(csv, r, map)) == NULL) {
			rc = vg_error_set(VG_ENOMEM, "cannot build an event");
			goto done;
		}
		if (vg_record_check(VG_ENTRY_EVENT, ev) < 0) {
			import_error(imp, line, "%s", vg_error_last());
			json_decref(ev);
			continue;
		}
		json_t **grown = realloc(kc->events, (kc->nevents + 1) * sizeof(*grown));
		if (grown == NULL) {
			json_decref(ev);
			rc = vg_error_set(VG_ENOMEM, "cannot build an event");
			goto done;
		}
		kc->events = grown;
		kc->events[kc->nevents++] = ev;
		imp->nevents++;
	}
done:
	free(first);
	json_decref(by_ref);
	if (rc == 0 && imp->nerrors > 0) {
		/* Nothing from a bad file: drop every case built so far. */
		for (size_t i = 0; i < imp->ncases; i++) {
			json_decref(imp->cases[i].open);
			for (size_t j = 0; j < imp->cases[i].nevents; j++)
				json_decref(imp->cases[i].events[j]);
			free(imp->cases[i].events);
		}
		imp->ncases = imp->nevents = 0;
		rc = vg_error_set(VG_EFORMAT, "%zu bad row%s (first on line %zu)", imp->nerrors,
				  imp->nerrors == 1 ? "" : "s", imp->errors[0].line);
	}
	if (rc == VG_ENOMEM) {
		vg_import_free(imp);
		*out = NULL;
	}
	return rc;
}
