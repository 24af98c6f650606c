/*
 * vigil cases [--duplicates]: every monitor's cases merged, one element per person after
 * links, each with one timeline; or the probable duplicates among them.
 */
#include <stdio.h>
#include <string.h>

#include "case.h"
#include "coord.h"
#include "vigil/error.h"
#include "vigil/fs.h"

int vg_coord_fetch(json_t **all, json_t **first, struct vg_client *c, enum vg_ipc_cmd cmd,
		   const char *member)
{
	json_t *req = NULL, *reply = NULL, *joined = json_array(), *next;
	int status = VG_EXIT_OK;

	*all = NULL;
	if (first != NULL)
		*first = NULL;
	if (joined == NULL)
		return vg_client_fail(VG_EXIT_REFUSED, "out of memory");
	for (json_int_t from = 0;;) {
		if ((req = json_pack("{s:s,s:I}", "cmd", vg_ipc_cmd_name(cmd), "from", from)) ==
		    NULL) {
			status = vg_client_fail(VG_EXIT_REFUSED, "out of memory");
			goto done;
		}
		if ((status = vg_client_exchange(&reply, c, req,
						 VG_CALL_START | VG_CALL_NEEDS_KEYS)) != VG_EXIT_OK)
			goto done;
		if (json_array_extend(joined, json_object_get(reply, member)) < 0) {
			status = vg_client_fail(VG_EXIT_REFUSED, "out of memory");
			goto done;
		}
		next = json_object_get(reply, "next");
		json_decref(req);
		req = NULL;
		if (from == 0 && first != NULL)
			*first = json_incref(reply);
		if (!json_is_integer(next) || json_integer_value(next) <= from)
			break;
		from = json_integer_value(next);
		json_decref(reply);
		reply = NULL;
	}
	*all = joined;
	joined = NULL;
done:
	if (status != VG_EXIT_OK && first != NULL) {
		json_decref(*first);
		*first = NULL;
	}
	json_decref(req);
	json_decref(reply);
	json_decref(joined);
	return status;
}

int vg_coord_output(const char *path, bool force, const void *data, size_t len)
{
	int rc;

	if (path == NULL) {
		if (len > 0 && fwrite(data, 1, len, stdout) != len)
			return vg_client_fail(VG_EXIT_REFUSED, "cannot write the output");
		return VG_EXIT_OK;
	}
	rc = vg_fs_write_atomic(path, data, len, 0600, force ? 0 : 1);
	if (rc == VG_EEXISTS)
		return vg_client_fail(VG_EXIT_REFUSED,
				      "'%s' exists: not replaced (--force replaces it)", path);
	if (rc < 0)
		return vg_client_error(rc);
	return VG_EXIT_OK;
}

static const char *str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static void print_case(const json_t *cs)
{
	const json_t *ev;
	const char *date = str(cs, "last_date"), *st = str(cs, "status");
	size_t i, nlinked = json_array_size(json_object_get(cs, "linked"));
	json_int_t n = json_integer_value(json_object_get(cs, "events"));

	printf("%.12s  ", str(cs, "id"));
	vg_case_print_text(stdout, str(cs, "name"), "");
	fputs(" (", stdout);
	vg_case_print_text(stdout, str(cs, "country"), "");
	fputs(")  ", stdout);
	vg_case_print_text(stdout, st != NULL ? st : "status unknown", "");
	printf(", %lld event%s", (long long)n, n == 1 ? "" : "s");
	if (date != NULL)
		printf(", last %s", date);
	if (nlinked > 0)
		printf(", %zu linked case%s", nlinked, nlinked == 1 ? "" : "s");
	if (json_integer_value(json_object_get(cs, "conflicts")) > 0)
		fputs(", CONFLICT", stdout);
	fputc('\n', stdout);
	json_array_foreach(json_object_get(cs, "timeline"), i, ev)
	{
		const char *mon = str(ev, "monitor");
		fputs("    ", stdout);
		vg_case_print_event_line(stdout, ev);
		fputs("  [", stdout);
		vg_case_print_text(stdout, mon != NULL ? mon : "unknown member", "");
		fputc(']', stdout);
		if (nlinked > 0)
			printf(" case %.8s", str(ev, "case"));
		if (json_is_true(json_object_get(ev, "corrected")))
			fputs("  [corrected]", stdout);
		if (json_is_true(json_object_get(ev, "conflict")))
			fputs("  [CONFLICT: corrections disagree]", stdout);
		fputc('\n', stdout);
	}
}

static int duplicates(struct vg_client *c)
{
	json_t *req = vg_ipc_request_new(VG_IPC_DUPLICATES), *reply = NULL, *d;
	size_t i;
	int status = VG_EXIT_OK;

	if (req == NULL)
		return vg_client_fail(VG_EXIT_REFUSED, "out of memory");
	if ((status = vg_client_exchange(&reply, c, req, VG_CALL_START | VG_CALL_NEEDS_KEYS)) !=
	    VG_EXIT_OK)
		goto done;
	if (c->cli->json) {
		json_t *out =
		    json_pack("{s:O}", "duplicates", json_object_get(reply, "duplicates"));
		if (out == NULL || vg_client_print_json(out) < 0)
			status = vg_client_fail(VG_EXIT_REFUSED, "cannot write the output");
		json_decref(out);
		goto done;
	}
	json_array_foreach(json_object_get(reply, "duplicates"), i, d)
	{
		const json_t *ids = json_object_get(d, "cases"),
			     *names = json_object_get(d, "names");
		printf("%.12s  ", json_string_value(json_array_get(ids, 0)));
		vg_case_print_text(stdout, json_string_value(json_array_get(names, 0)), "");
		printf("\n%.12s  ", json_string_value(json_array_get(ids, 1)));
		vg_case_print_text(stdout, json_string_value(json_array_get(names, 1)), "");
		fputs("\n    ", stdout);
		vg_case_print_text(stdout, str(d, "reason"), "    ");
		printf("\n    the same person? vigil link %s %s\n\n",
		       json_string_value(json_array_get(ids, 0)),
		       json_string_value(json_array_get(ids, 1)));
	}
	if (json_array_size(json_object_get(reply, "duplicates")) == 0)
		fputs("no probable duplicates\n", stderr);
done:
	json_decref(req);
	json_decref(reply);
	return status;
}

static int run(struct vg_client *c, int argc, char **argv)
{
	static const char *const flags[] = {"--duplicates", NULL};
	bool sets[1];
	json_t *all = NULL, *first = NULL, *cs;
	size_t i;
	int status;

	if ((status = vg_client_options(&vg_cmd_cases, argc, argv, flags, sets, NULL, NULL)) != 0)
		return status;
	if (sets[0])
		return duplicates(c);
	if ((status = vg_coord_fetch(&all, &first, c, VG_IPC_CASES, "cases")) != VG_EXIT_OK)
		return status;
	if (c->cli->json) {
		json_t *out = json_pack("{s:O}", "cases", all);
		if (out == NULL || vg_client_print_json(out) < 0)
			status = vg_client_fail(VG_EXIT_REFUSED, "cannot write the output");
		json_decref(out);
	} else {
		json_array_foreach(all, i, cs)
		{
			print_case(cs);
		}
		fprintf(stderr, "%zu %s\n", json_array_size(all),
			json_array_size(all) == 1 ? "person" : "people");
	}
	if (json_integer_value(json_object_get(first, "unreadable")) > 0)
		vg_client_fail(0,
			       "%lld accepted entries do not open with this device's key: their "
			       "writers did not encrypt them to this coordinator",
			       (long long)json_integer_value(json_object_get(first, "unreadable")));
	json_decref(all);
	json_decref(first);
	return status;
}

const struct vg_command vg_cmd_cases = {
    "cases",
    run,
    "vigil cases [--duplicates]",
    "coordinator: every monitor's cases merged, one per person",
    "Shows every case this coordinator can read (every member's accepted entries, after\n"
    "'vigil sync'), merged: cases linked with 'vigil link' are one person with one\n"
    "timeline. Each event shows the pseudonym of the monitor who reported it; corrections\n"
    "and redactions are applied and disagreeing corrections marked CONFLICT. Events are in\n"
    "date order (a year before its months, a month before its days, unknown dates last;\n"
    "equal dates: the person's primary case first, then each case's own order); the status\n"
    "is that of the last event in this order that has one. The primary case of a person\n"
    "(whose id and name lead) is the one with the most events, then the smallest id.\n"
    "\n"
    "  --duplicates  probable duplicates instead: pairs of people with the same name\n"
    "                across scripts, transliterations and word orders in the same country\n"
    "                (weaker matches only with overlapping event dates), each with the\n"
    "                reason; linked pairs are not listed\n"
    "  --json        {\"cases\": [{\"id\", \"name\", \"country\", \"status\", \"last_date\",\n"
    "                \"events\", \"entries\", \"conflicts\", \"draft\", \"withdrawn\",\n"
    "                \"delivered\", \"linked\", \"monitors\", \"person\", \"other_names\",\n"
    "                \"records\", \"person_conflicts\", \"timeline\"}]}; with --duplicates\n"
    "                {\"duplicates\": [{\"cases\": [ID-A, ID-B], \"names\", \"reason\"}]}\n"
    "A coordinator's command: a monitor's device cannot read other monitors' entries.\n"
    "Needs the keys: a locked vault asks for the passphrase (or --passphrase-fd).\n",
};
