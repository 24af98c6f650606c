#include <stdio.h>
#include <string.h>

#include "case.h"
#include "vigil/error.h"
#include "vigil/record.h"
#include "vigil/term.h"

void vg_case_print_text(FILE *f, const char *s, const char *indent)
{
	struct vg_buf b = VG_BUF_INIT;

	if (s == NULL)
		return;
	/* Controls, C1 and bidirectional overrides removed: record text cannot steer the
	 * terminal or reorder what is shown around it. */
	if (vg_term_sanitize(&b, s, strlen(s), true) == 0 && b.ptr != NULL) {
		for (const char *p = (const char *)b.ptr; *p != '\0'; p++) {
			fputc(*p, f);
			if (*p == '\n')
				fputs(indent, f);
		}
	}
	vg_buf_release(&b);
}

static const char *str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

void vg_case_print_event_line(FILE *f, const json_t *ev)
{
	const json_t *e = json_object_get(ev, "event");
	const char *date = str(e, "date"), *status = str(e, "status");

	vg_case_print_text(f, date != NULL ? date : "(date unknown)", "");
	fputs("  ", f);
	vg_case_print_text(f, str(e, "type"), "");
	if (status != NULL) {
		fputs(" (", f);
		vg_case_print_text(f, status, "");
		fputc(')', f);
	}
}

int vg_case_fetch(json_t **view, struct vg_client *c, const char *case_id)
{
	json_t *req = NULL, *reply = NULL, *all = NULL, *next;
	int status = VG_EXIT_OK;

	*view = NULL;
	for (json_int_t from = 0;;) {
		req = json_pack("{s:s,s:s,s:I}", "cmd", vg_ipc_cmd_name(VG_IPC_CASE_SHOW), "case",
				case_id, "from", from);
		if (req == NULL) {
			status = vg_client_fail(VG_EXIT_REFUSED, "out of memory");
			goto done;
		}
		if ((status = vg_client_exchange(&reply, c, req,
						 VG_CALL_START | VG_CALL_NEEDS_KEYS)) != VG_EXIT_OK)
			goto done;
		next = json_object_get(reply, "next");
		if (all == NULL) {
			all = reply;
			reply = NULL;
		} else if (json_array_extend(json_object_get(all, "events"),
					     json_object_get(reply, "events")) < 0) {
			status = vg_client_fail(VG_EXIT_REFUSED, "out of memory");
			goto done;
		}
		json_decref(req);
		req = NULL;
		if (!json_is_integer(next) || json_integer_value(next) <= from)
			break;
		from = json_integer_value(next);
		json_decref(reply);
		reply = NULL;
	}
	json_object_del(all, "first");
	json_object_del(all, "next");
	*view = all;
	all = NULL;
done:
	json_decref(req);
	json_decref(reply);
	json_decref(all);
	return status;
}

static void field(const char *label, const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	char num[32];

	if (v == NULL || json_is_null(v))
		return;
	printf("  %-13s", label);
	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		fputs(num, stdout);
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x)
		{
			fputs(i > 0 ? "; " : "", stdout);
			vg_case_print_text(stdout, json_string_value(x), "                ");
		}
	} else if (json_is_boolean(v)) {
		fputs(json_is_true(v) ? "yes" : "no", stdout);
	} else {
		vg_case_print_text(stdout, json_string_value(v), "                ");
	}
	fputc('\n', stdout);
}

static void print_person(const json_t *p)
{
	field("name:", p, "name");
	field("other names:", p, "other_names");
	field("sex:", p, "sex");
	field("born:", p, "birth_year");
	field("role:", p, "role");
	field("affiliation:", p, "affiliation");
	field("country:", p, "country");
}

static void print_view(const json_t *v)
{
	const json_t *events = json_object_get(v, "events"), *ev;
	const json_t *others = json_object_get(v, "person_conflicts"), *o;
	size_t i;

	printf("case %s%s%s\n", str(v, "id"),
	       json_is_true(json_object_get(v, "draft"))
		   ? "  (draft: not delivered until this device joins)"
		   : "",
	       json_is_true(json_object_get(v, "withdrawn")) ? "  WITHDRAWN (redacted)" : "");
	print_person(json_object_get(v, "person"));
	json_array_foreach(others, i, o)
	{
		printf("  CONFLICT: another correction of the person (entry %.16s) says:\n",
		       str(o, "entry"));
		print_person(json_object_get(o, "person"));
	}
	field("reference:", v, "ref");
	field("status:", v, "status");
	field("notes:", v, "notes");
	printf("events (%zu):\n", json_array_size(events));
	json_array_foreach(events, i, ev)
	{
		const json_t *e = json_object_get(ev, "event"), *s = json_object_get(ev, "source");
		printf("%3zu. ", i + 1);
		vg_case_print_event_line(stdout, ev);
		if (json_is_true(json_object_get(ev, "corrected")))
			fputs("  [corrected]", stdout);
		if (json_is_true(json_object_get(ev, "conflict")))
			fputs("  [CONFLICT: corrections disagree]", stdout);
		fputc('\n', stdout);
		field("  place:", e, "place");
		field("  authority:", e, "authority");
		field("  charges:", e, "charges");
		field("  sentence:", e, "sentence");
		field("  counsel:", e, "counsel");
		if (s != NULL) {
			printf("    source:      %s",
			       json_is_false(json_object_get(s, "confidential"))
				   ? "(public) "
				   : "(confidential) ");
			vg_case_print_text(stdout, str(s, "type"), "");
			if (str(s, "description") != NULL) {
				fputs(str(s, "type") != NULL ? ": " : "", stdout);
				vg_case_print_text(stdout, str(s, "description"),
						   "                 ");
			}
			fputc('\n', stdout);
			field("  reliability:", s, "reliability");
		}
		field("  notes:", ev, "notes");
		printf("    entry:       %s\n", str(ev, "entry"));
	}
	if (json_array_size(json_object_get(v, "withdrawn_entries")) > 0)
		printf("redacted entries: %zu\n",
		       json_array_size(json_object_get(v, "withdrawn_entries")));
}

static int run_show(struct vg_client *c, int argc, char **argv)
{
	json_t *view = NULL;
	int status;

	if (argc != 2 || argv[1][0] == '-') {
		vg_client_fail(VG_EXIT_USAGE, "'vigil case show' needs one CASE-ID");
		fprintf(stderr, "usage: %s\n", vg_cmd_case_show.usage);
		return VG_EXIT_USAGE;
	}
	if ((status = vg_case_fetch(&view, c, argv[1])) != VG_EXIT_OK)
		return status;
	if (c->cli->json) {
		if (vg_client_print_json(view) < 0)
			status = vg_client_error(VG_EIO);
	} else {
		print_view(view);
	}
	json_decref(view);
	return status;
}

static int run_list(struct vg_client *c, int argc, char **argv)
{
	static const char *const options[] = {"--country", "--status", "--since", NULL};
	const char *values[3];
	json_t *req = NULL, *reply = NULL, *all = NULL, *next, *cs;
	int status = VG_EXIT_OK;
	size_t i;

	if ((status = vg_client_options(&vg_cmd_case_list, argc, argv, NULL, NULL, options,
					values)) != 0)
		return status;
	if (values[2] != NULL && !vg_record_date_valid(values[2]))
		return vg_client_fail(VG_EXIT_USAGE,
				      "--since '%s' is not a date YYYY, YYYY-MM or YYYY-MM-DD",
				      values[2]);
	if ((all = json_array()) == NULL)
		return vg_client_fail(VG_EXIT_REFUSED, "out of memory");
	for (json_int_t from = 0;;) {
		req =
		    json_pack("{s:s,s:I}", "cmd", vg_ipc_cmd_name(VG_IPC_CASE_LIST), "from", from);
		for (int k = 0; req != NULL && k < 3; k++)
			if (values[k] != NULL &&
			    json_object_set_new(req, options[k] + 2, json_string(values[k])) < 0) {
				json_decref(req);
				req = NULL;
			}
		if (req == NULL) {
			status = vg_client_fail(VG_EXIT_REFUSED,
						"a filter is not valid UTF-8, or out of memory");
			goto done;
		}
		if ((status = vg_client_exchange(&reply, c, req,
						 VG_CALL_START | VG_CALL_NEEDS_KEYS)) != VG_EXIT_OK)
			goto done;
		json_array_extend(all, json_object_get(reply, "cases"));
		next = json_object_get(reply, "next");
		json_decref(req);
		req = NULL;
		if (!json_is_integer(next) || json_integer_value(next) <= from)
			break;
		from = json_integer_value(next);
		json_decref(reply);
		reply = NULL;
	}
	if (c->cli->json) {
		json_t *out = json_pack("{s:O}", "cases", all);
		if (out == NULL || vg_client_print_json(out) < 0)
			status = vg_client_fail(VG_EXIT_REFUSED, "cannot write the output");
		json_decref(out);
		goto done;
	}
	json_array_foreach(all, i, cs)
	{
		const char *date = str(cs, "last_date"), *st = str(cs, "status");
		if (str(cs, "name") == NULL) {
			/* Delivered: a receipt destroyed this device's keys to read it. */
			printf("%s  delivered (no longer readable on this device)\n",
			       str(cs, "id") != NULL ? str(cs, "id") : "?");
			continue;
		}
		printf("%.12s  ", str(cs, "id"));
		vg_case_print_text(stdout, str(cs, "name"), "");
		fputs(" (", stdout);
		vg_case_print_text(stdout, str(cs, "country"), "");
		fputs(")  ", stdout);
		vg_case_print_text(stdout, st != NULL ? st : "status unknown", "");
		printf(", %lld event%s",
		       (long long)json_integer_value(json_object_get(cs, "events")),
		       json_integer_value(json_object_get(cs, "events")) == 1 ? "" : "s");
		if (date != NULL)
			printf(", last %s", date);
		if (json_integer_value(json_object_get(cs, "conflicts")) > 0)
			fputs(", CONFLICT", stdout);
		if (json_is_true(json_object_get(cs, "draft")))
			fputs(", draft", stdout);
		if (json_is_true(json_object_get(cs, "delivered")))
			fputs(", delivered in part (older entries no longer readable here)",
			      stdout);
		fputc('\n', stdout);
	}
	if (json_array_size(all) == 0)
		fputs("no cases\n", stderr);
done:
	json_decref(req);
	json_decref(reply);
	json_decref(all);
	return status;
}

const struct vg_command vg_cmd_case_show = {
    "case show",
    run_show,
    "vigil case show CASE-ID",
    "a case: the person, its events in date order",
    "Shows a case as its entries make it: the person (as last corrected), the events in\n"
    "date order (a year before the months of that year, a month before its days, unknown\n"
    "dates last), corrected events in their corrected form, redacted ones left out, and\n"
    "corrections that disagree marked CONFLICT (both shown: clocks are not trusted).\n"
    "Drafts (cases kept before this device joined an organisation) are shown and marked.\n"
    "CASE-ID is the 32 hex digits 'vigil case list' shows, or at least 8 of the first.\n"
    "Record text is shown without control characters or bidirectional overrides.\n"
    "\n"
    "  --json  {\"id\", \"name\", \"country\", \"status\", \"last_date\", \"draft\",\n"
    "          \"withdrawn\", \"delivered\", \"open\", \"ref\", \"notes\", \"person\",\n"
    "          \"person_entry\", \"person_conflicts\", \"events\": [{\"entry\", \"reported\",\n"
    "          \"corrected\", \"conflict\", \"event\", \"source\", \"notes\"}], \"events_total\",\n"
    "          \"entries\", \"conflicts\", \"withdrawn_entries\"}: record text exactly\n"
    "Needs the keys: a locked vault asks for the passphrase (or --passphrase-fd).\n",
};

const struct vg_command vg_cmd_case_list = {
    "case list",
    run_list,
    "vigil case list [--country C] [--status S] [--since D]",
    "the cases on this device",
    "Lists the cases on this device (drafts included), by name: id, name, country, status\n"
    "(that of the last event in date order that has one), events, last date. Withdrawn\n"
    "(redacted) cases are left out. Cases a coordinator's receipt confirmed delivered are\n"
    "no longer readable on a write-only device: they are listed last, by id only, marked\n"
    "delivered. Filters are not case data and may be given as options:\n"
    "\n"
    "  --country C  the person's country is C (ASCII letters compared without case)\n"
    "  --status S   the case's status is S (likewise)\n"
    "  --since D    an event may fall on or after D (YYYY, YYYY-MM or YYYY-MM-DD, compared\n"
    "               at the precision both dates have)\n"
    "  --json       {\"cases\": [{\"id\", \"name\", \"country\", \"status\", \"last_date\",\n"
    "               \"events\", \"entries\", \"conflicts\", \"draft\", \"withdrawn\",\n"
    "               \"delivered\"}]}\n"
    "Needs the keys: a locked vault asks for the passphrase (or --passphrase-fd).\n",
};
