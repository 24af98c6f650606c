#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "vigil/error.h"
#include "vigil/harden.h"
#include "vigil/identity.h"
#include "vigil/minisign.h"

/*
 * A handler fills reply (already {"type":"reply","ok":true}) and returns 0, or returns a
 * negative code with vg_error's message, setting *code when the default mapping of the
 * code (see code_of) is not what the client should see.
 */
typedef int (*handler_fn)(struct vg_agent *a, struct vg_agent_conn *c,
			  const struct vg_ipc_request *req, json_t *reply, const char **code);

static int set(json_t *obj, const char *key, json_t *val)
{
	if (val == NULL || json_object_set_new(obj, key, val) < 0)
		return vg_error_set(VG_ENOMEM, "cannot build the reply");
	return 0;
}

static void progress(struct vg_agent_conn *c, const char *msg)
{
	if (vg_agent_send(c, vg_ipc_progress(msg)) < 0)
		vg_agent_warn("cannot send progress: %s", vg_error_last());
}

static int put_identity(json_t *reply, const struct vg_vault *v)
{
	struct vg_identity id;
	char line[VG_IDENTITY_STR_MAX + 1], fp[VG_FINGERPRINT_LEN + 1];
	int rc;

	vg_vault_identity(&id, v);
	vg_identity_format(line, &id);
	vg_fingerprint_member(fp, &id);
	if ((rc = set(reply, "identity", json_string(line))) < 0 ||
	    (rc = set(reply, "fingerprint", json_string(fp))) < 0)
		return rc;
	return 0;
}

static int do_status(struct vg_agent *a, struct vg_agent_conn *c, const struct vg_ipc_request *req,
		     json_t *reply, const char **code)
{
	struct vg_memlock ml;
	struct stat st;
	long page_kib = sysconf(_SC_PAGESIZE) / 1024, needed;
	bool unlocked = a->vault != NULL, ok;
	char warning[200];
	json_t *mem;
	int rc;

	(void)c;
	(void)req;
	(void)code;
	if ((rc = vg_harden_memlock(&ml)) < 0)
		return rc;
	needed = VG_AGENT_VAULT_PAGES * (page_kib > 0 ? page_kib : 4);
	ok = !unlocked || a->vault_locked_kib >= needed;
	if (ml.limit_kib < 0)
		snprintf(warning, sizeof(warning),
			 "secret keys are not locked in memory (memlock limit unlimited): they "
			 "may be swapped to disk");
	else
		snprintf(warning, sizeof(warning),
			 "secret keys are not locked in memory (memlock limit %ld KiB): they may "
			 "be swapped to disk",
			 ml.limit_kib);
	mem = json_pack(
	    "{s:I,s:o,s:I,s:b,s:o}", "locked_kib", (json_int_t)ml.locked_kib, "limit_kib",
	    ml.limit_kib < 0 ? json_null() : json_integer((json_int_t)ml.limit_kib), "needed_kib",
	    (json_int_t)needed, "ok", ok, "warning", ok ? json_null() : json_string(warning));
	if ((rc = set(reply, "initialized", json_boolean(lstat(a->vault_path, &st) == 0))) < 0 ||
	    (rc = set(reply, "locked", json_boolean(!unlocked))) < 0 ||
	    (rc = vg_agent_sync_status(a, reply)) < 0 ||
	    (rc = set(reply, "autolock", json_integer(a->config.autolock))) < 0 ||
	    (rc = set(reply, "logind", json_boolean(vg_agent_logind_watched(a)))) < 0 ||
	    (rc = set(reply, "pid", json_integer((json_int_t)getpid()))) < 0 ||
	    (rc = set(reply, "memlock", mem)) < 0)
		return rc;
	return 0;
}

static int do_unlock(struct vg_agent *a, struct vg_agent_conn *c, const struct vg_ipc_request *req,
		     json_t *reply, const char **code)
{
	const struct vg_buf *pass = vg_ipc_request_bytes(req, "passphrase");
	int rc;

	(void)code;
	progress(c, "deriving the key from the passphrase");
	if ((rc = vg_agent_unlock(a, pass->ptr, pass->len)) < 0)
		return rc;
	if ((rc = set(reply, "locked", json_false())) < 0)
		return rc;
	return put_identity(reply, a->vault);
}

static int do_lock(struct vg_agent *a, struct vg_agent_conn *c, const struct vg_ipc_request *req,
		   json_t *reply, const char **code)
{
	(void)c;
	(void)req;
	(void)code;
	vg_agent_lock(a, "lock request");
	return set(reply, "locked", json_true());
}

static int do_init(struct vg_agent *a, struct vg_agent_conn *c, const struct vg_ipc_request *req,
		   json_t *reply, const char **code)
{
	const struct vg_buf *pass = vg_ipc_request_bytes(req, "passphrase");
	const char *name = vg_ipc_request_string(req, "name");
	struct vg_vault *v = NULL;
	struct stat st;
	long before = vg_agent_vmlck();
	int rc;

	if (name != NULL && !vg_pseudonym_valid(name)) {
		*code = "usage";
		return vg_error_set(VG_EINVAL,
				    "pseudonym '%s' is not 1 to 32 of a-z, 0-9 and '-' starting "
				    "with a letter and not ending with '-'",
				    name);
	}
	if (lstat(a->vault_path, &st) == 0)
		return vg_error_set(VG_EEXISTS, "a vault already exists at '%s'", a->vault_path);
	if ((rc = vg_vault_generate(&v, name)) < 0)
		return rc;
	progress(c, "sealing the vault under the passphrase");
	rc = vg_vault_write(a->vault_path, 1, v, (const char *)pass->ptr, pass->len);
	if (rc == VG_EEXISTS)
		rc = vg_error_set(VG_EEXISTS, "a vault already exists at '%s'", a->vault_path);
	if (rc < 0) {
		vg_vault_free(v);
		return rc;
	}
	vg_agent_hold(a, v, before);
	vg_agent_log("vault created; unlocked");
	if ((rc = vg_agent_sync_identity(a)) < 0)
		return vg_error_prefix(rc, "vault created, but identity.pub could not be written");
	return put_identity(reply, a->vault);
}

static int do_passwd(struct vg_agent *a, struct vg_agent_conn *c, const struct vg_ipc_request *req,
		     json_t *reply, const char **code)
{
	const struct vg_buf *old = vg_ipc_request_bytes(req, "old");
	const struct vg_buf *new = vg_ipc_request_bytes(req, "new");
	struct vg_vault *v = NULL;
	int rc;

	(void)reply;
	(void)code;
	progress(c, "checking the current passphrase");
	if ((rc = vg_agent_vault_read(a, &v, old->ptr, old->len)) < 0)
		return rc;
	progress(c, "sealing the vault under the new passphrase");
	/* The whole payload as read, records of later versions included; atomic rename. */
	rc = vg_vault_write(a->vault_path, 0, v, (const char *)new->ptr, new->len);
	/* A held vault resealed later without passphrase (a key rotation, FORMAT.md 17.8)
	 * must keep the new passphrase: it takes the slot key just written. */
	if (rc == 0 && a->vault != NULL)
		memcpy(a->vault->slotkey, v->slotkey, VG_KEYFILE_SLOTKEY_BYTES + 1);
	vg_vault_free(v);
	if (rc < 0)
		return rc;
	vg_agent_log("passphrase changed");
	return 0;
}

static int do_shutdown(struct vg_agent *a, struct vg_agent_conn *c,
		       const struct vg_ipc_request *req, json_t *reply, const char **code)
{
	(void)c;
	(void)req;
	(void)reply;
	(void)code;
	vg_agent_log("stopping (shutdown request)");
	a->stop = true;
	return 0;
}

static int do_challenge(struct vg_agent *a, struct vg_agent_conn *c,
			const struct vg_ipc_request *req, json_t *reply, const char **code)
{
	const struct vg_buf *nonce = vg_ipc_request_bytes(req, "nonce");
	struct vg_buf sig = VG_BUF_INIT;
	char msg[VG_IPC_CHALLENGE_LEN + 1];
	int rc;

	(void)c;
	if (a->vault == NULL) {
		*code = "locked";
		return vg_error_set(VG_EAUTH, "vault is locked");
	}
	vg_ipc_challenge_message(msg, nonce->ptr);
	rc = vg_minisign_sign(&sig, a->vault->sign, (const uint8_t *)msg, strlen(msg),
			      "vigil signature", VG_IPC_CHALLENGE_COMMENT);
	if (rc == 0)
		rc = set(reply, "signature", json_string((const char *)sig.ptr));
	if (rc == 0)
		rc = put_identity(reply, a->vault);
	vg_buf_release(&sig);
	if (rc == 0)
		vg_agent_touch(a);
	return rc;
}

static const struct {
	enum vg_ipc_cmd cmd;
	handler_fn fn;
	bool quiet; /* not logged: polled by scripts and prompts */
} handlers[] = {
    {VG_IPC_STATUS, do_status, true},
    {VG_IPC_UNLOCK, do_unlock, false},
    {VG_IPC_LOCK, do_lock, false},
    {VG_IPC_INIT, do_init, false},
    {VG_IPC_PASSWD, do_passwd, false},
    {VG_IPC_SHUTDOWN, do_shutdown, false},
    {VG_IPC_CHALLENGE, do_challenge, false},
    {VG_IPC_REMOTE_SHOW, vg_agent_remote_show, true},
    {VG_IPC_REMOTE_SET, vg_agent_remote_set, false},
    {VG_IPC_SYNC, vg_agent_sync, false},
    {VG_IPC_JOIN, vg_agent_join, false},
    {VG_IPC_PUBLISH, vg_agent_publish, false},
    {VG_IPC_ALARM_CLEAR, vg_agent_alarm_clear, false},
    {VG_IPC_DURESS_SET, vg_agent_duress_set, false},
    {VG_IPC_DURESS_CLEAR, vg_agent_duress_clear, false},
    {VG_IPC_CASE_NEW, vg_agent_case_write, false},
    {VG_IPC_CASE_EVENT, vg_agent_case_write, false},
    {VG_IPC_CASE_CORRECT, vg_agent_case_write, false},
    {VG_IPC_CASE_REDACT, vg_agent_case_write, false},
    {VG_IPC_CASE_SHOW, vg_agent_case_show, false},
    {VG_IPC_CASE_LIST, vg_agent_case_list, false},
    {VG_IPC_IMPORT, vg_agent_import, false},
    {VG_IPC_CASES, vg_agent_cases, false},
    {VG_IPC_DUPLICATES, vg_agent_duplicates, false},
    {VG_IPC_LINK, vg_agent_link, false},
    {VG_IPC_UNLINK, vg_agent_link, false},
    {VG_IPC_EXPORT, vg_agent_export, false},
};

static const char *code_of(int rc)
{
	switch (rc) {
	case VG_EAUTH:
		return "auth";
	case VG_ENOTFOUND:
		return "notfound";
	case VG_EEXISTS:
		return "exists";
	case VG_EINVAL:
		return "usage";
	case VG_ELIMIT:
		return "limit";
	default:
		return "failed";
	}
}

int vg_agent_handle(struct vg_agent *a, struct vg_agent_conn *c, const char *line, size_t len)
{
	struct vg_ipc_request *req = NULL;
	const char *code = NULL, *name;
	json_t *reply = NULL;
	size_t i;
	uint64_t t0 = vg_agent_now();
	int rc;

	if ((rc = vg_ipc_request_parse(&req, line, len)) < 0) {
		/* The request itself is never logged: it may hold a passphrase. */
		vg_agent_warn("refused a bad request (%s)", vg_error_name(rc));
		if (vg_agent_send(c, vg_ipc_reply_error("usage", vg_error_last())) < 0)
			vg_agent_warn("cannot reply: %s", vg_error_last());
		return 1;
	}
	name = vg_ipc_cmd_name(vg_ipc_request_cmd(req));
	for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (handlers[i].cmd == vg_ipc_request_cmd(req))
			break;
	if (i == sizeof(handlers) / sizeof(handlers[0])) {
		rc = vg_error_set(VG_EUNSUPPORTED, "command '%s' is not served here", name);
		code = "usage";
	} else if ((reply = vg_ipc_reply_ok()) == NULL) {
		rc = vg_error_set(VG_ENOMEM, "cannot build the reply");
	} else {
		rc = handlers[i].fn(a, c, req, reply, &code);
	}
	if (rc < 0) {
		/* A refusal may list what it refuses ("errors": an import's bad rows). */
		json_t *errors = json_incref(json_object_get(reply, "errors"));
		json_decref(reply);
		if (code == NULL)
			code = code_of(rc);
		reply = vg_ipc_reply_error(code, vg_error_last());
		if (reply != NULL && errors != NULL)
			json_object_set(reply, "errors", errors);
		json_decref(errors);
		vg_agent_debug("request '%s' refused (%s, %llu ms)", name, code,
			       (unsigned long long)(vg_agent_now() - t0));
	} else if (i < sizeof(handlers) / sizeof(handlers[0]) && !handlers[i].quiet) {
		vg_agent_debug("request '%s' done (%llu ms)", name,
			       (unsigned long long)(vg_agent_now() - t0));
	}
	vg_ipc_request_free(req);
	if (vg_agent_send(c, reply) < 0)
		vg_agent_warn("cannot reply: %s", vg_error_last());
	/* Answered as a wrong passphrase; only now, the keys go. */
	if (a->duress)
		vg_agent_wipe(a, "stopping");
	/* A sync found this device revoked and pushed what it could: the keys go now. */
	else if (a->revoked)
		vg_agent_wipe(a, "revoked in the roster: keys destroyed as by vigil panic; "
				 "stopping");
	vg_agent_store_failed(a);
	return 0;
}
