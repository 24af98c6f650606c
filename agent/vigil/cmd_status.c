#include <stdio.h>
#include <string.h>

#include "client.h"
#include "vigil/error.h"

/* The background sync: the last try since the daemon started, and the next. */
static void print_schedule(const json_t *r)
{
	const char *state = json_string_value(json_object_get(r, "background_sync"));
	const char *last = json_string_value(json_object_get(r, "last_try"));
	const char *result = json_string_value(json_object_get(r, "last_result"));
	const char *next = json_string_value(json_object_get(r, "next_sync"));
	json_int_t failures = json_integer_value(json_object_get(r, "sync_failures"));
	char line[700];

	if (last != NULL && result != NULL) {
		snprintf(line, sizeof(line), "%s: %s", last, result);
		fputs("last try:   ", stdout);
		vg_client_print_line(line);
	}
	if (next != NULL) {
		snprintf(line, sizeof(line), "in %" JSON_INTEGER_FORMAT " s (%s)%s",
			 json_integer_value(json_object_get(r, "next_sync_in")), next,
			 failures > 0 ? ", backing off" : "");
	} else if (state != NULL && strcmp(state, "off") == 0) {
		snprintf(line, sizeof(line), "off ([sync] interval = 0)");
	} else {
		snprintf(line, sizeof(line), "none (%s)", state != NULL ? state : "?");
	}
	fputs("next sync:  ", stdout);
	vg_client_print_line(line);
	if (failures > 0)
		printf("failures:   %" JSON_INTEGER_FORMAT " in a row\n", failures);
}

static void print_human(const json_t *r)
{
	const json_t *mem = json_object_get(r, "memlock");
	const json_t *limit = json_object_get(mem, "limit_kib");
	json_int_t autolock = json_integer_value(json_object_get(r, "autolock"));
	size_t nalarms = json_array_size(json_object_get(r, "alarms"));
	const char *role = json_string_value(json_object_get(r, "role"));
	const char *remote = json_string_value(json_object_get(r, "remote"));
	const char *last = json_string_value(json_object_get(r, "last_sync"));

	if (!json_is_true(json_object_get(r, "initialized")))
		puts("vault:      not created yet (run 'vigil init')");
	else
		printf("vault:      %s\n",
		       json_is_true(json_object_get(r, "locked")) ? "locked" : "unlocked");
	printf("daemon:     running, pid %" JSON_INTEGER_FORMAT "\n",
	       json_integer_value(json_object_get(r, "pid")));
	if (autolock > 0)
		printf("auto-lock:  after %" JSON_INTEGER_FORMAT " s without use", autolock);
	else
		fputs("auto-lock:  not on idle", stdout);
	puts(json_is_true(json_object_get(r, "logind"))
		 ? "; on suspend and session lock"
		 : "; not on suspend (logind not reachable)");
	fputs("role:       ", stdout);
	vg_client_print_line(role != NULL ? role : "none (not joined to an organisation)");
	fputs("remote:     ", stdout);
	vg_client_print_line(remote != NULL ? remote : "none");
	printf("pending:    %" JSON_INTEGER_FORMAT " entries not yet delivered\n",
	       json_integer_value(json_object_get(r, "pending")));
	printf("delivered:  %" JSON_INTEGER_FORMAT " entries\n",
	       json_integer_value(json_object_get(r, "delivered")));
	printf("received:   %" JSON_INTEGER_FORMAT
	       " delivered entries a coordinator confirmed (no longer readable here)\n",
	       json_integer_value(json_object_get(r, "received")));
	fputs("last sync:  ", stdout);
	vg_client_print_line(last != NULL ? last : "never");
	print_schedule(r);
	printf("alarms:     %zu\n", nalarms);
	if (json_is_integer(limit))
		printf("memory:     %" JSON_INTEGER_FORMAT
		       " KiB locked (limit %" JSON_INTEGER_FORMAT " KiB)\n",
		       json_integer_value(json_object_get(mem, "locked_kib")),
		       json_integer_value(limit));
	else
		printf("memory:     %" JSON_INTEGER_FORMAT " KiB locked (no limit)\n",
		       json_integer_value(json_object_get(mem, "locked_kib")));
}

static int run(struct vg_client *c, int argc, char **argv)
{
	json_t *req = NULL, *reply = NULL;
	const char *warning;
	int status;

	if ((status = vg_client_options(&vg_cmd_status, argc, argv, NULL, NULL, NULL, NULL)) != 0)
		return status;
	req = vg_ipc_request_new(VG_IPC_STATUS);
	if (req == NULL)
		return vg_client_fail(VG_EXIT_REFUSED, "out of memory");
	if ((status = vg_client_exchange(&reply, c, req, VG_CALL_START)) != VG_EXIT_OK)
		goto done;
	if (!json_is_boolean(json_object_get(reply, "locked")) ||
	    !json_is_object(json_object_get(reply, "memlock"))) {
		status = vg_client_fail(VG_EXIT_REFUSED, "vigild sent a malformed status");
		goto done;
	}
	if (c->cli->json) {
		if (vg_client_print_json(reply) < 0) {
			status = vg_client_error(VG_EIO);
			goto done;
		}
	} else {
		print_human(reply);
	}
	warning = json_string_value(json_object_get(json_object_get(reply, "memlock"), "warning"));
	if (warning != NULL)
		vg_client_fail(0, "warning: %s", warning);
	status = VG_EXIT_OK;
done:
	json_decref(req);
	json_decref(reply);
	return status;
}

const struct vg_command vg_cmd_status = {
    "status",
    run,
    "vigil status",
    "whether the vault is unlocked, and the state of this device",
    "Shows whether the vault is locked, the daemon's auto-lock settings (idle time, and\n"
    "whether logind's suspend and session-lock signals are heard), this device's role,\n"
    "remote, undelivered and delivered entries, those a coordinator's receipt confirmed\n"
    "(received: their keys are destroyed, so they are no longer readable here), last sync,\n"
    "the background sync (the last try since the daemon started and its result, when the\n"
    "next is due, failures in a row while it backs off), alarms, and how much of the\n"
    "daemon's memory is locked. Warns when the unlocked keys are not locked in memory (the\n"
    "memory-lock limit, ulimit -l, is too small) and could be swapped to disk.\n"
    "\n"
    "  --json  {\"locked\", \"role\", \"remote\", \"pending\", \"delivered\", \"received\",\n"
    "           \"last_sync\", \"alarms\", \"background_sync\" (\"scheduled\", \"off\",\n"
    "           \"locked\", \"no remote\", \"not joined\"), \"sync_interval\", \"next_sync\",\n"
    "           \"next_sync_in\", \"sync_failures\", \"last_try\", \"last_result\",\n"
    "           \"initialized\", \"autolock\", \"logind\", \"pid\", \"memlock\": {\"locked_kib\",\n"
    "           \"limit_kib\", \"needed_kib\", \"ok\", \"warning\"}}\n",
};
