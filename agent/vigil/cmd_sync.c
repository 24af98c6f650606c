#include <stdio.h>

#include "client.h"
#include "vigil/error.h"

static json_int_t num(const json_t *r, const char *key)
{
	return json_integer_value(json_object_get(r, key));
}

/* The standing alarms, one line each, on stderr. */
static void print_alarms(const json_t *alarms)
{
	size_t i;
	json_t *a;

	json_array_foreach(alarms, i, a)
	{
		const char *m = json_string_value(json_object_get(a, "message"));
		vg_client_fail(0, "alarm%s: %s",
			       json_is_true(json_object_get(a, "blocking")) ? " (blocking)" : "",
			       m != NULL ? m : "?");
	}
}

static void print_report(const json_t *r)
{
	printf("roster:    version %" JSON_INTEGER_FORMAT " (%" JSON_INTEGER_FORMAT
	       " taken from the remote, %" JSON_INTEGER_FORMAT " pushed)\n",
	       num(r, "roster"), num(r, "roster_taken"), num(r, "roster_pushed"));
	printf("fetched:   %" JSON_INTEGER_FORMAT " new entries on %" JSON_INTEGER_FORMAT
	       " branches\n",
	       num(r, "fetched"), num(r, "branches"));
	printf("verified:  %" JSON_INTEGER_FORMAT " accepted, %" JSON_INTEGER_FORMAT
	       " pending, %" JSON_INTEGER_FORMAT " quarantined, %" JSON_INTEGER_FORMAT " refused\n",
	       num(r, "accepted"), num(r, "waiting"), num(r, "quarantined"), num(r, "refused"));
	printf("pushed:    %" JSON_INTEGER_FORMAT " own entries (%" JSON_INTEGER_FORMAT
	       " committed locally)\n",
	       num(r, "pushed"), num(r, "committed"));
	printf("alarms:    %" JSON_INTEGER_FORMAT " raised by this sync, %zu standing\n",
	       num(r, "alarms_raised"), json_array_size(json_object_get(r, "alarms")));
}

static int run(struct vg_client *c, int argc, char **argv)
{
	json_t *req = NULL, *reply = NULL;
	int rc, status;

	if ((status = vg_client_options(&vg_cmd_sync, argc, argv, NULL, NULL, NULL, NULL)) != 0)
		return status;
	if ((req = vg_ipc_request_new(VG_IPC_SYNC)) == NULL)
		return vg_client_fail(VG_EXIT_REFUSED, "out of memory");
	if ((rc = vg_client_call(&reply, c, req, VG_CALL_START | VG_CALL_NEEDS_KEYS)) < 0) {
		status = vg_client_error(rc);
		goto done;
	}
	if (!vg_client_ok(reply)) {
		status = vg_client_refused(reply);
		goto done;
	}
	if (c->cli->json) {
		if (vg_client_print_json(reply) < 0) {
			status = vg_client_error(VG_EIO);
			goto done;
		}
	} else {
		print_report(reply);
	}
	print_alarms(json_object_get(reply, "alarms"));
	/* An alarm is a failed check (CLI.md): the sync ran, and something is wrong. */
	status = num(reply, "alarms_raised") > 0 ? VG_EXIT_REFUSED : VG_EXIT_OK;
	if (json_is_true(json_object_get(reply, "revoked")))
		status =
		    vg_client_fail(VG_EXIT_REFUSED,
				   "this device is revoked in the roster: its own entries were "
				   "pushed (%" JSON_INTEGER_FORMAT
				   " now), and its keys are being destroyed as by 'vigil panic'",
				   num(reply, "pushed"));
done:
	json_decref(req);
	json_decref(reply);
	return status;
}

const struct vg_command vg_cmd_sync = {
    "sync",
    run,
    "vigil sync",
    "fetch, verify, import, push",
    "Syncs with the remote kept in the vault ('vigil remote set', 'vigil join'): commits this\n"
    "device's new entries to its branch, fetches what it needs (monitors: the roster and\n"
    "their own branch; coordinators and auditors: every member's branch), checks that every\n"
    "branch only moved forward from what was verified last, verifies every new entry with\n"
    "the roster and imports it (accepted, pending while its author's chain has a gap, or\n"
    "quarantined), takes newer roster versions, and pushes this device's branch (and, for a\n"
    "coordinator, roster versions the remote lacks) as a fast-forward. Progress goes to a\n"
    "terminal. Exits 1 when the remote is unreachable (entries wait, nothing is lost) or\n"
    "when the sync raised an alarm: a branch that went backwards or was rewritten, an\n"
    "entry refused, a roster fork, another copy of this device's key (blocking: appends\n"
    "are refused until it is resolved).\n"
    "\n"
    "A device that finds itself revoked in the roster pushes the entries it has not pushed\n"
    "(those after its cutoff are quarantined by the coordinators), then destroys its keys\n"
    "as 'vigil panic' does, and exits 1 saying so.\n"
    "\n"
    "The daemon also syncs in the background while unlocked ([sync] interval in\n"
    "vigil.conf, backing off while the remote is unreachable); 'vigil sync' tries at once\n"
    "and restarts that back-off.\n"
    "\n"
    "  --json  {\"roster\", \"roster_taken\", \"roster_pushed\", \"branches\", \"fetched\",\n"
    "           \"accepted\", \"waiting\" (others' entries held pending), \"quarantined\",\n"
    "           \"refused\", \"promoted\", \"committed\", \"pushed\", \"alarms_raised\",\n"
    "           \"seconds\", \"revoked\", and status's \"role\", \"remote\", \"pending\",\n"
    "           \"delivered\", \"last_sync\", \"alarms\" and schedule members}\n",
};
