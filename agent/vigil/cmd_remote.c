#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "vigil/error.h"
#include "vigil/fs.h"
#include "vigil/invite.h"
#include "vigil/net.h"

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
		const char *pin = json_string_value(json_object_get(reply, "pin"));
		const char *kind = json_string_value(json_object_get(reply, "credential"));
		vg_client_print_line(remote != NULL ? remote : "none");
		if (remote != NULL && (pin != NULL || kind != NULL)) {
			char line[200];
			snprintf(line, sizeof(line), "pin: %s", pin != NULL ? pin : "none");
			vg_client_print_line(line);
			snprintf(line, sizeof(line), "credential: %s",
				 kind != NULL ? kind : "none");
			vg_client_print_line(line);
		}
		status = VG_EXIT_OK;
	}
done:
	json_decref(req);
	json_decref(reply);
	return status;
}

/* A credential kind as people read it. */
static const char *kind_text(const char *kind)
{
	if (kind == NULL)
		return "none";
	if (strcmp(kind, "ssh-ed25519") == 0)
		return "ssh ed25519 key";
	if (strcmp(kind, "https-password") == 0)
		return "https username and token";
	return kind;
}

/* What remote set prints: one line per setting, said changed or not. */
static void print_set(json_t *reply)
{
	json_t *changed = json_object_get(reply, "changed");
	const char *names[] = {"remote", "pin", "credential"};

	for (size_t i = 0; i < 3; i++) {
		const char *v = json_string_value(json_object_get(reply, names[i]));
		bool ch = false;
		size_t k;
		json_t *e;
		char line[1200];

		json_array_foreach(changed, k, e) ch |= strcmp(json_string_value(e), names[i]) == 0;
		snprintf(line, sizeof(line), "%s: %s (%s)", names[i],
			 i == 2	     ? kind_text(v)
			 : v != NULL ? v
				     : "none",
			 ch ? "changed" : "unchanged");
		vg_client_print_line(line);
	}
}

static int set_remote(struct vg_client *c, int argc, char **argv)
{
	struct vg_buf pass = VG_BUF_INIT_SECURE, cred = VG_BUF_INIT_SECURE;
	const char *url = NULL, *pin = NULL, *cred_file = NULL;
	bool no_pin = false, no_cred = false;
	uint8_t check[32];
	char abs[1100];
	json_t *req = NULL, *reply = NULL;
	int rc, status;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--pin") == 0 && i + 1 < argc)
			pin = argv[++i];
		else if (strcmp(argv[i], "--no-pin") == 0)
			no_pin = true;
		else if (strcmp(argv[i], "--credential") == 0 && i + 1 < argc)
			cred_file = argv[++i];
		else if (strcmp(argv[i], "--no-credential") == 0)
			no_cred = true;
		else if (argv[i][0] != '-' && url == NULL)
			url = argv[i];
		else
			return vg_client_fail(VG_EXIT_USAGE, "usage: %s", vg_cmd_remote.usage);
	}
	if (url == NULL || (pin != NULL && no_pin) || (cred_file != NULL && no_cred))
		return vg_client_fail(VG_EXIT_USAGE, "usage: %s", vg_cmd_remote.usage);
	if ((rc = absolute(abs, sizeof(abs), url)) < 0 ||
	    (pin != NULL && (rc = vg_net_pin_parse(check, abs, pin)) < 0))
		return vg_client_fail(VG_EXIT_USAGE, "%s", vg_error_last());
	/* The credential is read here and travels to the daemon like a passphrase. */
	if (cred_file != NULL && (rc = vg_fs_read_file(&cred, cred_file, VG_NET_CRED_MAX)) < 0)
		return vg_client_error(rc);
	if (cred_file != NULL && cred.len == 0) {
		vg_buf_release(&cred);
		return vg_client_fail(VG_EXIT_USAGE, "the credential file '%s' is empty",
				      cred_file);
	}
	if ((rc = vg_client_passphrase(&pass, c, "Passphrase (the vault is resealed): ", NULL)) <
	    0) {
		vg_buf_release(&cred);
		return vg_client_error(rc);
	}
	req = vg_ipc_request_new(VG_IPC_REMOTE_SET);
	if (req == NULL || json_object_set_new(req, "url", json_string(abs)) < 0 ||
	    vg_ipc_set_base64(req, "passphrase", pass.ptr, pass.len) < 0 ||
	    ((pin != NULL || no_pin) &&
	     json_object_set_new(req, "pin", json_string(no_pin ? "" : pin)) < 0) ||
	    (cred_file != NULL && vg_ipc_set_base64(req, "credential", cred.ptr, cred.len) < 0) ||
	    (no_cred && json_object_set_new(req, "no_credential", json_integer(1)) < 0)) {
		status = vg_client_fail(VG_EXIT_REFUSED, "out of memory");
		goto done;
	}
	vg_buf_release(&pass);
	vg_buf_release(&cred);
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
		print_set(reply);
		status = VG_EXIT_OK;
	}
done:
	vg_buf_release(&pass);
	vg_buf_release(&cred);
	json_decref(req);
	json_decref(reply);
	return status;
}

static int run(struct vg_client *c, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "show") == 0)
		return show(c);
	if (argc >= 3 && strcmp(argv[1], "set") == 0)
		return set_remote(c, argc, argv);
	vg_client_fail(VG_EXIT_USAGE, "usage: %s", vg_cmd_remote.usage);
	return VG_EXIT_USAGE;
}

const struct vg_command vg_cmd_remote = {
    "remote",
    run,
    "vigil remote show | set URL [--pin PIN | --no-pin] [--credential FILE | --no-credential]",
    "where this device syncs",
    "show  prints the remote kept in the vault (needs the keys: a locked vault asks for the\n"
    "      passphrase)\n"
    "set   keeps URL as the remote: a path to a bare git repository (a USB stick works;\n"
    "      a relative path is made absolute), a file:// URL, ssh://[user@]host[:port]/path\n"
    "      or https://host[:port]/path. The remote, its pin and the transport credential\n"
    "      live in the vault, never in a git configuration file, so this asks for the\n"
    "      passphrase and reseals the vault. The pin and the credential are kept unless\n"
    "      given or removed; one line per setting says whether it changed.\n"
    "\n"
    "  --pin PIN          the server's key: for ssh its host key's 'SHA256:...' (ssh-keyscan\n"
    "                     HOST | ssh-keygen -lf -), needed for a new ssh host; for https\n"
    "                     'sha256:' and the hex SHA-256 of its certificate (DER)\n"
    "  --no-pin           no pin: https trusts the system's certificate authorities\n"
    "  --credential FILE  ssh: an unencrypted OpenSSH Ed25519 key (ssh-keygen -t ed25519\n"
    "                     -N ''); https: 'username=NAME' and 'password=TOKEN' lines\n"
    "  --no-credential    none (https anonymous)\n"
    "  --json  show: {\"remote\", \"pin\", \"credential\"}; set: the same and \"changed\"\n"
    "          (a list of names). credential is \"ssh-ed25519\", \"https-password\" or null:\n"
    "          its kind, never its bytes\n",
};
