/*
 * vigil export --format json|csv [-o FILE] [--force]: everything this coordinator can read,
 * lossless: every entry's whole document with its id, author, pseudonym, sequence number
 * and state, so that the organisation can leave vigil (or load another tool) at any time.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include <sodium.h>

#include "coord.h"
#include "vigil/buf.h"
#include "vigil/error.h"

/* A CSV cell (RFC 4180, always quoted); a cell a spreadsheet would run as a formula (it
 * begins with = + - @, a tab, CR or LF, after spaces) is prefixed with '. */
static int cell(struct vg_buf *b, const char *s, bool first)
{
	const char *p = s != NULL ? s : "";
	size_t skip = strspn(p, " ");
	int rc;

	if (!first && (rc = vg_buf_putc(b, ',')) < 0)
		return rc;
	if ((rc = vg_buf_putc(b, '"')) < 0)
		return rc;
	if (strchr("=+-@\t\r\n", p[skip]) != NULL && p[skip] != '\0' &&
	    (rc = vg_buf_putc(b, '\'')) < 0)
		return rc;
	for (; *p != '\0'; p++) {
		if (*p == '"' && (rc = vg_buf_putc(b, '"')) < 0)
			return rc;
		if ((rc = vg_buf_putc(b, (uint8_t)*p)) < 0)
			return rc;
	}
	return vg_buf_putc(b, '"');
}

static const char *path_str(const json_t *o, const char *a, const char *b)
{
	const json_t *v = json_object_get(o, a);

	if (b != NULL)
		v = json_object_get(v, b);
	return json_string_value(v);
}

static int csv(struct vg_buf *b, const json_t *entries)
{
	static const char *const head[] = {"entry_id", "author_id", "monitor", "seq",	  "prev",
					   "roster",   "state",	    "type",    "case_id", "time",
					   "person",   "country",   "event",   "date",	  "status",
					   "document", NULL};
	const json_t *e;
	size_t i;
	int rc;

	if ((rc = vg_buf_put(b, "\xef\xbb\xbf", 3)) < 0)
		return rc;
	for (size_t k = 0; head[k] != NULL; k++)
		if ((rc = cell(b, head[k], k == 0)) < 0)
			return rc;
	if ((rc = vg_buf_put(b, "\r\n", 2)) < 0)
		return rc;
	json_array_foreach(entries, i, e)
	{
		const json_t *doc = json_object_get(e, "document");
		const json_t *body = json_object_get(doc, "body");
		char seq[32], ros[32], *text = NULL;
		const char *ev = path_str(body, "event", "type");

		snprintf(seq, sizeof(seq), "%lld",
			 (long long)json_integer_value(json_object_get(e, "seq")));
		snprintf(ros, sizeof(ros), "%lld",
			 (long long)json_integer_value(json_object_get(e, "roster")));
		if (json_is_object(doc) &&
		    (text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
			return vg_error_set(VG_ENOMEM, "cannot build the export");
		if ((rc = cell(b, path_str(e, "id", NULL), true)) < 0 ||
		    (rc = cell(b, path_str(e, "author", NULL), false)) < 0 ||
		    (rc = cell(b, path_str(e, "monitor", NULL), false)) < 0 ||
		    (rc = cell(b, seq, false)) < 0 ||
		    (rc = cell(b, path_str(e, "prev", NULL), false)) < 0 ||
		    (rc = cell(b, ros, false)) < 0 ||
		    (rc = cell(b, path_str(e, "state", NULL), false)) < 0 ||
		    (rc = cell(b, path_str(doc, "type", NULL), false)) < 0 ||
		    (rc = cell(b, path_str(doc, "case", NULL), false)) < 0 ||
		    (rc = cell(b, path_str(doc, "time", NULL), false)) < 0 ||
		    (rc = cell(b, path_str(body, "person", "name"), false)) < 0 ||
		    (rc = cell(b, path_str(body, "person", "country"), false)) < 0 ||
		    (rc = cell(b, ev, false)) < 0 ||
		    (rc = cell(b, path_str(body, "event", "date"), false)) < 0 ||
		    (rc = cell(b, path_str(body, "event", "status"), false)) < 0 ||
		    (rc = cell(b, text, false)) < 0 || (rc = vg_buf_put(b, "\r\n", 2)) < 0) {
			free(text);
			return rc;
		}
		free(text);
	}
	return 0;
}

static int run(struct vg_client *c, int argc, char **argv)
{
	static const char *const flags[] = {"--force", NULL};
	static const char *const options[] = {"--format", "-o", NULL};
	struct vg_buf out = VG_BUF_INIT_SECURE;
	bool sets[1], as_csv;
	const char *values[2];
	json_t *entries = NULL, *first = NULL, *cases = NULL, *doc = NULL;
	char *text = NULL;
	int rc, status;

	if ((status =
		 vg_client_options(&vg_cmd_export, argc, argv, flags, sets, options, values)) != 0)
		return status;
	if (values[0] == NULL ||
	    (strcmp(values[0], "json") != 0 && strcmp(values[0], "csv") != 0)) {
		vg_client_fail(VG_EXIT_USAGE, "'vigil export' needs --format json or csv");
		fprintf(stderr, "usage: %s\n", vg_cmd_export.usage);
		return VG_EXIT_USAGE;
	}
	as_csv = strcmp(values[0], "csv") == 0;
	if (sets[0] && values[1] == NULL)
		return vg_client_fail(VG_EXIT_USAGE, "--force replaces the file of -o FILE only");
	if ((status = vg_coord_fetch(&entries, &first, c, VG_IPC_EXPORT, "entries")) != VG_EXIT_OK)
		goto done;
	if (as_csv) {
		if ((rc = csv(&out, entries)) < 0) {
			status = vg_client_error(rc);
			goto done;
		}
	} else {
		if ((status = vg_coord_fetch(&cases, NULL, c, VG_IPC_CASES, "cases")) != VG_EXIT_OK)
			goto done;
		doc = json_pack("{s:s,s:O,s:O,s:O,s:O,s:O,s:O}", "format", "vigil-export v1",
				"organisation", json_object_get(first, "organisation"),
				"organisation_name", json_object_get(first, "organisation_name"),
				"roster", json_object_get(first, "roster"), "members",
				json_object_get(first, "members"), "entries", entries, "cases",
				cases);
		if (doc == NULL ||
		    (text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL ||
		    vg_buf_put(&out, text, strlen(text)) < 0 || vg_buf_putc(&out, '\n') < 0) {
			status = vg_client_fail(VG_EXIT_REFUSED, "cannot build the export");
			goto done;
		}
	}
	status = vg_coord_output(values[1], sets[0], out.ptr, out.len);
	if (status == VG_EXIT_OK && values[1] != NULL)
		fprintf(stderr, "%zu entries exported to '%s' (mode 0600)\n",
			json_array_size(entries), values[1]);
	if (json_integer_value(json_object_get(first, "unreadable")) > 0)
		vg_client_fail(0,
			       "%lld entries do not open with this device's key: exported "
			       "without their document",
			       (long long)json_integer_value(json_object_get(first, "unreadable")));
done:
	if (text != NULL) {
		sodium_memzero(text, strlen(text));
		free(text);
	}
	vg_buf_release(&out);
	json_decref(doc);
	json_decref(cases);
	json_decref(entries);
	json_decref(first);
	return status;
}

const struct vg_command vg_cmd_export = {
    "export",
    run,
    "vigil export --format json|csv [-o FILE] [--force]",
    "coordinator: everything readable, lossless",
    "Exports every entry this coordinator holds (accepted, pending and quarantined) with\n"
    "its whole decrypted document (FORMAT.md 4.5: type, case, time, body) and its public\n"
    "facts: entry id, author id and pseudonym, sequence number, previous id, roster\n"
    "version, state. Nothing is left out, so the organisation can leave vigil at any time.\n"
    "\n"
    "  --format json  {\"format\": \"vigil-export v1\", \"organisation\", \"organisation_name\",\n"
    "                 \"roster\", \"members\", \"entries\": [{\"id\", \"author\", \"monitor\", "
    "\"seq\",\n"
    "                 \"prev\", \"roster\", \"state\", \"document\"}], \"cases\": [merged, as\n"
    "                 'vigil cases --json']}\n"
    "  --format csv   one row per entry; the last column holds the document as JSON\n"
    "                 (exact); the readable columns beside it are neutralised against\n"
    "                 spreadsheet formulas\n"
    "  -o FILE        write FILE (mode 0600, atomically); an existing FILE is refused\n"
    "  --force        replace an existing FILE\n"
    "A coordinator's command. Needs the keys: a locked vault asks for the passphrase.\n",
};
