/*
 * vigil report --format md|html|csv|json [-o FILE] [--force] [--confidential]: the merged
 * cases grouped by country (vigil/report.h), written here, by the client: the daemon sends
 * the merged cases, the report never exists on disk unless asked for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coord.h"
#include "vigil/error.h"
#include "vigil/report.h"

static int put(json_t *o, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(o, key, v) < 0)
		return vg_error_set(VG_ENOMEM, "cannot build the report");
	return 0;
}

/* A member of obj, copied, when it is there. */
static int copy(json_t *to, const char *key, const json_t *obj)
{
	json_t *v = json_object_get(obj, key);

	return v == NULL || json_is_null(v) ? 0 : put(to, key, json_deep_copy(v));
}

/* One merged element of 'cases' as report.h takes it. */
static int report_case(json_t **out, const json_t *el)
{
	const json_t *person = json_object_get(el, "person"), *ev, *rec;
	json_t *o = json_object(), *events = json_array(), *sentence = NULL, *charges = NULL;
	char *refs = NULL;
	size_t i, len = 0;
	int rc = 0;

	*out = NULL;
	if (o == NULL || events == NULL) {
		rc = vg_error_set(VG_ENOMEM, "cannot build the report");
		goto done;
	}
	if ((rc = copy(o, "id", el)) < 0 || (rc = copy(o, "name", el)) < 0 ||
	    (rc = copy(o, "other_names", el)) < 0 || (rc = copy(o, "country", el)) < 0 ||
	    (rc = copy(o, "status", el)) < 0 || (rc = copy(o, "linked", el)) < 0 ||
	    (rc = copy(o, "role", person)) < 0 ||
	    (rc = copy(o, "notes", json_array_get(json_object_get(el, "records"), 0))) < 0)
		goto done;
	/* Every monitor's own reference, primary case first. */
	json_array_foreach(json_object_get(el, "records"), i, rec)
	{
		const char *r = json_string_value(json_object_get(rec, "ref"));
		char *grown;
		if (r == NULL)
			continue;
		if ((grown = realloc(refs, len + strlen(r) + 3)) == NULL) {
			rc = vg_error_set(VG_ENOMEM, "cannot build the report");
			goto done;
		}
		refs = grown;
		len += (size_t)sprintf(refs + len, "%s%s", len > 0 ? ", " : "", r);
	}
	if (refs != NULL && (rc = put(o, "ref", json_string(refs))) < 0)
		goto done;
	json_array_foreach(json_object_get(el, "timeline"), i, ev)
	{
		const json_t *e = json_object_get(ev, "event");
		json_t *r = json_object();
		static const char *const keys[] = {"date",    "type",	"place",    "authority",
						   "charges", "status", "sentence", NULL};
		if (r == NULL || json_array_append_new(events, r) < 0) {
			json_decref(r);
			rc = vg_error_set(VG_ENOMEM, "cannot build the report");
			goto done;
		}
		for (size_t k = 0; keys[k] != NULL; k++)
			if ((rc = copy(r, keys[k], e)) < 0)
				goto done;
		if ((rc = copy(r, "monitor", ev)) < 0 || (rc = copy(r, "source", ev)) < 0 ||
		    (rc = copy(r, "notes", ev)) < 0)
			goto done;
		/* The latest known, in timeline order. */
		if (json_is_string(json_object_get(e, "sentence")))
			sentence = json_object_get(e, "sentence");
		if (json_is_string(json_object_get(e, "charges")))
			charges = json_object_get(e, "charges");
	}
	if ((sentence != NULL && (rc = put(o, "sentence", json_deep_copy(sentence))) < 0) ||
	    (charges != NULL && (rc = put(o, "charges", json_deep_copy(charges))) < 0))
		goto done;
	if ((rc = put(o, "events", events)) < 0) {
		events = NULL;
		goto done;
	}
	events = NULL;
	*out = o;
	o = NULL;
done:
	free(refs);
	json_decref(o);
	json_decref(events);
	return rc;
}

static int run(struct vg_client *c, int argc, char **argv)
{
	static const char *const flags[] = {"--confidential", "--force", NULL};
	static const char *const options[] = {"--format", "-o", NULL};
	struct vg_report_options opts = VG_REPORT_OPTIONS_INIT;
	struct vg_buf out = VG_BUF_INIT_SECURE;
	enum vg_report_format fmt = VG_REPORT_MD;
	bool sets[2];
	const char *values[2];
	json_t *all = NULL, *cases = NULL, *el;
	size_t i;
	int rc, status;

	if ((status =
		 vg_client_options(&vg_cmd_report, argc, argv, flags, sets, options, values)) != 0)
		return status;
	if (values[0] == NULL || vg_report_format_parse(&fmt, values[0]) < 0) {
		vg_client_fail(VG_EXIT_USAGE,
			       "'vigil report' needs --format md, html, csv or json");
		fprintf(stderr, "usage: %s\n", vg_cmd_report.usage);
		return VG_EXIT_USAGE;
	}
	if (sets[1] && values[1] == NULL)
		return vg_client_fail(VG_EXIT_USAGE, "--force replaces the file of -o FILE only");
	if (values[1] == NULL && fmt == VG_REPORT_HTML && isatty(STDOUT_FILENO))
		return vg_client_fail(VG_EXIT_USAGE,
				      "an HTML report is a file for a browser: give -o FILE "
				      "(or redirect standard output)");
	opts.include_confidential = sets[0];
	if ((status = vg_coord_fetch(&all, NULL, c, VG_IPC_CASES, "cases")) != VG_EXIT_OK)
		return status;
	if ((cases = json_array()) == NULL) {
		status = vg_client_fail(VG_EXIT_REFUSED, "out of memory");
		goto done;
	}
	json_array_foreach(all, i, el)
	{
		json_t *rc_case = NULL;
		if ((rc = report_case(&rc_case, el)) < 0 ||
		    json_array_append_new(cases, rc_case) < 0) {
			status = vg_client_error(rc < 0 ? rc : VG_ENOMEM);
			goto done;
		}
	}
	if ((rc = vg_report_write(&out, cases, fmt, &opts)) < 0) {
		status = vg_client_error(rc);
		goto done;
	}
	status = vg_coord_output(values[1], sets[1], out.ptr, out.len);
	if (status == VG_EXIT_OK && values[1] != NULL && !c->cli->json)
		fprintf(stderr, "report of %zu %s written to '%s' (mode 0600)\n",
			json_array_size(cases), json_array_size(cases) == 1 ? "person" : "people",
			values[1]);
done:
	vg_buf_release(&out);
	json_decref(cases);
	json_decref(all);
	return status;
}

const struct vg_command vg_cmd_report = {
    "report",
    run,
    "vigil report --format md|html|csv|json [-o FILE] [--force] [--confidential]",
    "coordinator: the merged cases as a report by country",
    "Writes a 'cases of concern' report of the merged cases ('vigil cases'), grouped by\n"
    "country: one entry per person with role, status, sentence, charges and every event.\n"
    "The report is made here from what the daemon sends; it holds case data: give it to\n"
    "whom the organisation decides.\n"
    "\n"
    "  --format F      md (Markdown), html (one self-contained file: no script, nothing\n"
    "                  loaded from a network, an SVG chart of events per country and\n"
    "                  month, a print layout), csv (one row per event, the spreadsheet\n"
    "                  columns plus case id and monitor; formula cells neutralised) or json\n"
    "  -o FILE         write FILE (mode 0600, atomically) instead of standard output; an\n"
    "                  existing FILE is refused\n"
    "  --force         replace an existing FILE\n"
    "  --confidential  include sources marked confidential (left out by default: sources\n"
    "                  are who gets hurt)\n"
    "An HTML report is not written to a terminal. A coordinator's command. Needs the keys.\n",
};
