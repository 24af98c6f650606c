#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "vigil/error.h"

/* A relative path is made absolute here: the daemon's working directory is '/'. */
static int absolute(char *out, size_t outsz, const char *url)
{
	char cwd[PATH_MAX];
	int n;

	if (url[0] == '/' || strstr(url, "://") != NULL) {
		n = snprintf(out, outsz, "%s", url);
	} else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return vg_error_sys("cannot read the current directory");
		n = snprintf(out, outsz, "%s/%s", cwd, url);
	}
	return n < 0 || (size_t)n >= outsz ? vg_error_set(VG_EINVAL, "remote too long") : 0;
}

static int show(struct vg_client *c)
{
	json_t *req = vg_ipc_request_new(VG_IPC_REMOTE_SHOW), *reply = NULL;
	const char *remote;
	int rc, status;

	if (req == NULL)
		return vg_client_fail(VG_EXIT_REFUSED, "out of memory");
	if ((rc = vg_client_call(&reply, c, req, VG_CALL_START | VG_CALL_NEEDS_KEYS)) < 0) {
		status = vg_client_error(rc);
		goto done;
	}
	if (!vg_client_ok(reply)) {
		status = vg_client_refused(reply);
		goto done;
	}
	remote = json_string_value(json_object_get(reply, "remote"));
	if (c->cli->json)
		status = vg_client_print_json(reply) < 0 ? vg_client_error(VG_EIO) : VG_EXIT_OK;
	else {
		vg_client_print_line(remote != NULL ? remote : "none");
		status = VG_EXIT_OK;
	}
done:
	json_decref(req);
	json_decref(reply);
	return status;
}

static int set_remote(struct vg_client *c, const char *url)
{
	struct vg_buf pass = VG_BUF_INIT_SECURE;
	char abs[1100];
	json_t *req = NULL, *reply = NULL;
	int rc, status;

	if ((rc = absolute(abs, sizeof(abs), url)) < 0)
		return vg_client_error(rc);
	if ((rc = vg_client_passphrase(&pass, c, "Passphrase (the vault is resealed): ", NULL)) < 0)
		return vg_client_error(rc);
	req = vg_ipc_request_new(VG_IPC_REMOTE_SET);
	if (req == NULL || json_object_set_new(req, "url", json_string(abs)) < 0 ||
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
	if (c->cli->json)
		status = vg_client_print_json(reply) < 0 ? vg_client_error(VG_EIO) : VG_EXIT_OK;
	else {
		fputs("remote: ", stdout);
		vg_client_print_line(abs);
		status = VG_EXIT_OK;
	}
done:
	vg_buf_release(&pass);
	json_decref(req);
	json_decref(reply);
	return status;
}

static int run(struct vg_client *c, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "show") == 0)
		return show(c);
	if (argc == 3 && strcmp(argv[1], "set") == 0 && argv[2][0] != '-')
		return set_remote(c, argv[2]);
	vg_client_fail(VG_EXIT_USAGE, "usage: %s", vg_cmd_remote.usage);
	return VG_EXIT_USAGE;
}

const struct vg_command vg_cmd_remote = {
    "remote",
    run,
    "vigil remote show|set URL",
    "where this device syncs",
    "show  prints the remote kept in the vault (needs the keys: a locked vault asks for the\n"
    "      passphrase)\n"
    "set   keeps URL as the remote: a path to a bare git repository (a USB stick works;\n"
    "      a relative path is made absolute) or a file:// URL. The remote lives in the\n"
    "      vault, never in a git configuration file, so this asks for the passphrase and\n"
    "      reseals the vault.\n"
    "\n"
    "  --json  {\"remote\": URL or null}\n",
};
