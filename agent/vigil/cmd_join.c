#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "vigil/error.h"
#include "vigil/fs.h"
#include "vigil/identity.h"
#include "vigil/invite.h"

/* The invitation from a file, or standard input for "-", into out (at most VG_INVITE_MAX). */
static int read_invitation(struct vg_buf *out, const char *path)
{
	if (strcmp(path, "-") != 0)
		return vg_fs_read_file(out, path, VG_INVITE_MAX);
	for (;;) {
		ssize_t n;
		int rc;

		if ((rc = vg_buf_grow(out, 4096)) < 0)
			return rc;
		n = read(STDIN_FILENO, out->ptr + out->len, 4096);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vg_error_sys("cannot read the invitation");
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->ptr[out->len] = '\0';
		if (out->len > VG_INVITE_MAX)
			return vg_error_set(VG_ELIMIT, "invitation larger than %d bytes",
					    VG_INVITE_MAX);
	}
	return 0;
}

/* y/yes on the terminal; false when there is none. */
static bool confirm(const char *question)
{
	char answer[17];
	size_t n = 0;
	int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (tty < 0)
		return false;
	if (write(tty, question, strlen(question)) < 0) {
		close(tty);
		return false;
	}
	for (;;) {
		char ch;
		ssize_t got = read(tty, &ch, 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0 || ch == '\n')
			break;
		if (n < sizeof(answer) - 1)
			answer[n++] = ch;
	}
	answer[n] = '\0';
	close(tty);
	return strcmp(answer, "y") == 0 || strcmp(answer, "yes") == 0;
}

static int run(struct vg_client *c, int argc, char **argv)
{
	static const char *const flags[] = {"--yes", NULL};
	bool set[1];
	struct vg_buf text = VG_BUF_INIT, pass = VG_BUF_INIT_SECURE;
	struct vg_invite inv;
	char fp[VG_FINGERPRINT_LEN + 1];
	json_t *req = NULL, *reply = NULL, *sync;
	const char *file = NULL;
	char **rest = argv;
	int n = 0, rc, status;

	/* One operand, FILE or '-'; the flag anywhere. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--yes") == 0 || strncmp(argv[i], "--", 2) == 0)
			rest[1 + n++] = argv[i];
		else if (file == NULL && (argv[i][0] != '-' || argv[i][1] == '\0'))
			file = argv[i];
		else
			rest[1 + n++] = argv[i];
	}
	if ((status = vg_client_options(&vg_cmd_join, 1 + n, rest, flags, set, NULL, NULL)) != 0)
		return status;
	if (file == NULL) {
		vg_client_fail(VG_EXIT_USAGE, "usage: %s", vg_cmd_join.usage);
		return VG_EXIT_USAGE;
	}
	vg_invite_init(&inv);
	if ((rc = read_invitation(&text, file)) < 0 ||
	    (rc = vg_invite_parse(&inv, text.ptr, text.len)) < 0) {
		status = vg_client_fail(VG_EXIT_REFUSED, "cannot use invitation '%s': %s", file,
					vg_error_last());
		goto done;
	}
	vg_fingerprint_org(fp, &inv.org_key);
	if (!c->cli->json) {
		fputs("organisation: ", stdout);
		vg_client_print_line(inv.name);
		printf("fingerprint:  %s\n", fp);
		fflush(stdout);
	}
	if (!set[0] &&
	    !confirm("Does the coordinator read out the same organisation fingerprint? [y/N] ")) {
		status = vg_client_fail(
		    VG_EXIT_REFUSED, "not joined: compare the organisation's fingerprint code with "
				     "the coordinator's, then answer yes (or pass --yes)");
		goto done;
	}
	if ((rc = vg_client_passphrase(&pass, c, "Passphrase of this device's vault: ", NULL)) <
	    0) {
		status = vg_client_error(rc);
		goto done;
	}
	req = vg_ipc_request_new(VG_IPC_JOIN);
	if (req == NULL ||
	    json_object_set_new(req, "invitation", json_stringn((const char *)text.ptr, text.len)) <
		0 ||
	    vg_ipc_set_base64(req, "passphrase", pass.ptr, pass.len) < 0) {
		status = vg_client_fail(VG_EXIT_REFUSED, "out of memory");
		goto done;
	}
	vg_buf_release(&pass);
	if ((rc = vg_client_call(&reply, c, req, VG_CALL_START)) < 0) {
		status = vg_client_error(rc);
		goto done;
	}
	if (!vg_client_ok(reply)) {
		status = vg_client_refused(reply);
		goto done;
	}
	sync = json_object_get(reply, "sync");
	if (c->cli->json) {
		status = vg_client_print_json(reply) < 0 ? vg_client_error(VG_EIO) : VG_EXIT_OK;
	} else {
		printf("joined as %s under roster version %" JSON_INTEGER_FORMAT
		       "; %" JSON_INTEGER_FORMAT " drafts sealed into the feed\n",
		       json_string_value(json_object_get(reply, "role")),
		       json_integer_value(json_object_get(reply, "roster")),
		       json_integer_value(json_object_get(reply, "drafts_sealed")));
		status = VG_EXIT_OK;
	}
	if (json_is_string(sync))
		vg_client_fail(0, "note: the first sync did not complete: %s",
			       json_string_value(sync));
done:
	vg_invite_release(&inv);
	vg_buf_release(&text);
	vg_buf_release(&pass);
	json_decref(req);
	json_decref(reply);
	return status;
}

const struct vg_command vg_cmd_join = {
    "join",
    run,
    "vigil join FILE|- [--yes]",
    "join an organisation with an invitation",
    "Reads an invitation from a coordinator (a file, or standard input with '-'), shows the\n"
    "organisation's fingerprint code to compare with the coordinator's (--yes: a script\n"
    "that compared it), then asks for this device's passphrase. The daemon fetches the\n"
    "roster from the invitation's remote and verifies it with the organisation key, no\n"
    "older than the invitation's version and with its hash, checks that this device is\n"
    "enrolled, keeps the remote (and the transport credential and pin, if any) in the\n"
    "vault, seals the device's drafts into its feed under the roster, in order, deletes\n"
    "them, and runs a first sync (being offline then is not a failure).\n"
    "\n"
    "  --json  {\"organisation\", \"fingerprint\", \"role\", \"roster\", \"drafts_sealed\",\n"
    "           \"sync\": the sync's report, or the reason it did not complete}\n",
};
