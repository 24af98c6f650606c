/*
 * vigil import FILE.csv: the spreadsheet goes to the daemon as an open descriptor
 * (SCM_RIGHTS), so a file of any size within the CSV cap travels without passing through
 * a request line, and the daemon reads it straight into guarded memory. The daemon checks
 * every row before anything is stored and stores all of it in one transaction.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "vigil/error.h"

static int run(struct vg_client *c, int argc, char **argv)
{
	static const char *const flags[] = {"--remove-source", NULL};
	bool set[1] = {false};
	const char *file = NULL;
	json_t *req = NULL, *reply = NULL, *errs, *e;
	struct stat st;
	char *rest[4] = {argv[0], NULL, NULL, NULL};
	int restc = 1, fd = -1, rc, status;
	size_t i;

	for (int k = 1; k < argc; k++) {
		if (argv[k][0] != '-' && file == NULL)
			file = argv[k];
		else if (restc < 3)
			rest[restc++] = argv[k];
		else
			return vg_client_fail(VG_EXIT_USAGE, "too many arguments");
	}
	if ((status = vg_client_options(&vg_cmd_import, restc, rest, flags, set, NULL, NULL)) != 0)
		return status;
	if (file == NULL) {
		vg_client_fail(VG_EXIT_USAGE, "'vigil import' needs a FILE.csv");
		fprintf(stderr, "usage: %s\n", vg_cmd_import.usage);
		return VG_EXIT_USAGE;
	}
	if ((fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return vg_client_fail(VG_EXIT_REFUSED, "cannot open '%s': %s", file,
				      strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		status = vg_client_fail(VG_EXIT_REFUSED, "'%s' is not a regular file", file);
		goto done;
	}
	if ((req = vg_ipc_request_new(VG_IPC_IMPORT)) == NULL) {
		status = vg_client_fail(VG_EXIT_REFUSED, "out of memory");
		goto done;
	}
	rc = vg_client_call_fd(&reply, c, req, VG_CALL_START | VG_CALL_NEEDS_KEYS, fd);
	if (rc < 0) {
		status = vg_client_error(rc);
		goto done;
	}
	if (!vg_client_ok(reply)) {
		/* Every bad row by line; field values are never quoted. */
		errs = json_object_get(reply, "errors");
		json_array_foreach(errs, i, e)
		{
			vg_client_fail(VG_EXIT_REFUSED, "%s: line %lld: %s", file,
				       (long long)json_integer_value(json_object_get(e, "line")),
				       json_string_value(json_object_get(e, "message")));
		}
		status = vg_client_refused(reply);
		if (json_array_size(errs) > 0)
			fprintf(stderr, "vigil: nothing was imported from '%s'\n", file);
		goto done;
	}
	status = VG_EXIT_OK;
	if (c->cli->json) {
		if (vg_client_print_json(reply) < 0)
			status = vg_client_error(VG_EIO);
	} else {
		printf("imported %lld cases and %lld events from '%s'%s\n",
		       (long long)json_integer_value(json_object_get(reply, "cases")),
		       (long long)json_integer_value(json_object_get(reply, "events")), file,
		       json_is_true(json_object_get(reply, "draft"))
			   ? " as drafts (this device has not joined an organisation)"
			   : "");
	}
	/* The daemon replied after its commit: the cases are on disk, the source may go. */
	if (set[0]) {
		if (unlink(file) < 0) {
			status =
			    vg_client_fail(VG_EXIT_REFUSED, "imported, but cannot remove '%s': %s",
					   file, strerror(errno));
		} else if (!c->cli->json) {
			printf("removed '%s' (its cases are saved; the file's blocks may remain on "
			       "the disk)\n",
			       file);
		}
	}
done:
	if (fd >= 0)
		close(fd);
	json_decref(req);
	json_decref(reply);
	return status;
}

const struct vg_command vg_cmd_import = {
    "import",
    run,
    "vigil import FILE.csv [--remove-source]",
    "import cases from a spreadsheet (CSV)",
    "Imports a field spreadsheet saved as CSV (UTF-8): a header row naming columns, then one\n"
    "row per event; rows that share case_ref are one case. Columns: case_ref, person,\n"
    "country, event (required), aliases (separated by ';'), role, date (YYYY, YYYY-MM or\n"
    "YYYY-MM-DD), place, authority, charges, status, sentence, source, notes, sex,\n"
    "birth_year, affiliation, counsel, reliability, confidential (no or false makes the\n"
    "source public; sources are confidential otherwise).\n"
    "\n"
    "Every row is checked first: a file with any bad row imports nothing, and each bad\n"
    "row is reported by line number (never its content). Then all cases and events are\n"
    "saved together, with progress on a terminal, and the numbers are reported.\n"
    "\n"
    "  --remove-source  delete FILE once everything is saved (the disk may keep its blocks:\n"
    "                   prefer typing into 'vigil case new' on a seized-laptop threat)\n"
    "  --json           {\"cases\": N, \"events\": M, \"draft\": bool}\n"
    "Needs the keys: a locked vault asks for the passphrase (or --passphrase-fd).\n",
};
