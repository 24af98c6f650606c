/*
 * vigil link|unlink CASE-A CASE-B: a signed entry saying two cases are (or are not) one
 * person. Case ids are not case data: they are random.
 */
#include <stdio.h>
#include <string.h>

#include "coord.h"
#include "vigil/error.h"

static int run(struct vg_client *c, int argc, char **argv)
{
	bool unlink = strcmp(argv[0], "unlink") == 0;
	const struct vg_command *cmd = unlink ? &vg_cmd_unlink : &vg_cmd_link;
	json_t *req = NULL, *reply = NULL;
	int status = VG_EXIT_OK;

	if (argc != 3 || argv[1][0] == '-' || argv[2][0] == '-') {
		vg_client_fail(VG_EXIT_USAGE, "'vigil %s' needs two CASE-IDs", cmd->name);
		fprintf(stderr, "usage: %s\n", cmd->usage);
		return VG_EXIT_USAGE;
	}
	req =
	    json_pack("{s:s,s:s,s:s}", "cmd", vg_ipc_cmd_name(unlink ? VG_IPC_UNLINK : VG_IPC_LINK),
		      "case", argv[1], "other", argv[2]);
	if (req == NULL)
		return vg_client_fail(VG_EXIT_USAGE, "a case id is not valid text");
	if ((status = vg_client_exchange(&reply, c, req, VG_CALL_START | VG_CALL_NEEDS_KEYS)) !=
	    VG_EXIT_OK)
		goto done;
	if (c->cli->json) {
		if (vg_client_print_json(reply) < 0)
			status = vg_client_error(VG_EIO);
	} else {
		const json_t *ids = json_object_get(reply, "cases");
		printf("%s %s and %s (%zu entr%s saved)", unlink ? "unlinked" : "linked",
		       json_string_value(json_array_get(ids, 0)),
		       json_string_value(json_array_get(ids, 1)),
		       json_array_size(json_object_get(reply, "entries")),
		       json_array_size(json_object_get(reply, "entries")) == 1 ? "y" : "ies");
		if (json_is_integer(json_object_get(reply, "total")))
			printf("; %lld people now",
			       (long long)json_integer_value(json_object_get(reply, "total")));
		fputc('\n', stdout);
	}
done:
	json_decref(req);
	json_decref(reply);
	return status;
}

const struct vg_command vg_cmd_link = {
    "link",
    run,
    "vigil link CASE-A CASE-B",
    "coordinator: two cases are one person",
    "Appends a signed entry (type link, FORMAT.md 4.6) saying that CASE-A and CASE-B are\n"
    "the same person: 'vigil cases' then shows them as one person with both timelines (and\n"
    "every case linked to either, transitively), and other coordinators see it after they\n"
    "sync. A pair is linked while it has more link entries than unlink entries, whoever\n"
    "wrote them and in whatever order they arrived (clocks are not trusted). CASE-A and\n"
    "CASE-B are case ids as 'vigil cases' shows them, or at least 8 of their first digits.\n"
    "Refused: an unknown or withdrawn case, a case and itself, a pair already one person.\n"
    "\n"
    "  --json  {\"cases\": [ID-A, ID-B], \"entries\": [ENTRY-ID], \"linked\": true, \"total\"}\n"
    "A coordinator's command. Needs the keys: a locked vault asks for the passphrase.\n",
};

const struct vg_command vg_cmd_unlink = {
    "unlink",
    run,
    "vigil unlink CASE-A CASE-B",
    "coordinator: two linked cases are two people",
    "Appends signed entries (type unlink, FORMAT.md 4.6) so that CASE-A and CASE-B, linked\n"
    "with 'vigil link', are two people again: as many unlink entries as the pair has more\n"
    "link entries than unlink entries here (so a link another coordinator made too is\n"
    "undone as well). Refused: a pair that is not linked directly (cases that are one\n"
    "person only through other links: unlink those pairs), unknown cases, a case and itself.\n"
    "\n"
    "  --json  {\"cases\": [ID-A, ID-B], \"entries\": [ENTRY-ID, ...], \"linked\": false,\n"
    "          \"total\"}\n"
    "A coordinator's command. Needs the keys: a locked vault asks for the passphrase.\n",
};
