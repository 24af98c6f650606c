#include <stdio.h>
#include <string.h>

#include "client.h"
#include "vigil/error.h"

static int run(struct vg_client *c, int argc, char **argv)
{
	json_t *req = NULL, *reply = NULL;
	int status;

	if (argc < 2 || argc > 3 || strcmp(argv[1], "clear") != 0 ||
	    (argc == 3 && argv[2][0] == '-')) {
		vg_client_fail(VG_EXIT_USAGE, "usage: %s", vg_cmd_alarm.usage);
		return VG_EXIT_USAGE;
	}
	req = vg_ipc_request_new(VG_IPC_ALARM_CLEAR);
	if (req == NULL ||
	    (argc == 3 && json_object_set_new(req, "kind", json_string(argv[2])) < 0)) {
		status = vg_client_fail(VG_EXIT_REFUSED, "out of memory");
		goto done;
	}
	if ((status = vg_client_exchange(&reply, c, req, VG_CALL_START | VG_CALL_NEEDS_KEYS)) !=
	    VG_EXIT_OK)
		goto done;
	if (c->cli->json)
		status = vg_client_print_json(reply) < 0 ? vg_client_error(VG_EIO) : VG_EXIT_OK;
	else {
		printf("%" JSON_INTEGER_FORMAT " alarm(s) cleared\n",
		       json_integer_value(json_object_get(reply, "cleared")));
		status = VG_EXIT_OK;
	}
done:
	json_decref(req);
	json_decref(reply);
	return status;
}

const struct vg_command vg_cmd_alarm = {
    "alarm",
    run,
    "vigil alarm clear [KIND]",
    "clear sync alarms once resolved",
    "Clears the standing alarms 'vigil status' lists (those of KIND only: rollback, rewrite,\n"
    "branch, fork, clone, roster, coordinator, foreign). Clear a 'clone' alarm (another\n"
    "copy of this device's key wrote its branch) only once the other copy is known to be\n"
    "gone: appends to the feed are refused while it stands. A cause that remains raises the\n"
    "alarm again at the next sync. Needs the keys.\n"
    "\n"
    "  --json  {\"cleared\": N}\n",
};
