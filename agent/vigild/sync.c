/*
 * vigild's side of sync (agent/PROTOCOL.md): where this device syncs (kept in the vault),
 * joining an organisation from an invitation, a sync run in the daemon's thread (bounded
 * by the library's caps and time budget), publishing the roster, alarms, and the sync
 * fields of "status".
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "agent.h"
#include "vigil/deliver.h"
#include "vigil/error.h"
#include "vigil/feed.h"
#include "vigil/fs.h"
#include "vigil/identity.h"
#include "vigil/invite.h"
#include "vigil/net.h"
#include "vigil/record.h"
#include "vigil/roster.h"
#include "vigil/sync.h"

#define REPO_DIR   "repo.git"
#define ROSTER_DIR "roster"

static int set(json_t *obj, const char *key, json_t *val)
{
	if (val == NULL || json_object_set_new(obj, key, val) < 0)
		return vg_error_set(VG_ENOMEM, "cannot build the reply");
	return 0;
}

static void progress_cb(void *ctx, const char *msg)
{
	struct vg_agent_conn *c = ctx;

	if (c != NULL && vg_agent_send(c, vg_ipc_progress(msg)) < 0)
		vg_agent_log("cannot send progress: %s", vg_error_last());
}

static void count_cb(void *ctx, const char *what, uint64_t done, uint64_t total)
{
	struct vg_agent_conn *c = ctx;
	json_t *m;

	if (c == NULL)
		return;
	m = vg_ipc_progress(what);
	if (m != NULL && (json_object_set_new(m, "done", json_integer((json_int_t)done)) < 0 ||
			  json_object_set_new(m, "total", json_integer((json_int_t)total)) < 0)) {
		json_decref(m);
		m = NULL;
	}
	if (vg_agent_send(c, m) < 0)
		vg_agent_log("cannot send progress: %s", vg_error_last());
}

static int paths(const struct vg_agent *a, char *repo, char *roster)
{
	int rc = 0;

	if (repo != NULL)
		rc = vg_home_path(repo, PATH_MAX, a->home.data, REPO_DIR);
	if (rc == 0 && roster != NULL)
		rc = vg_home_path(roster, PATH_MAX, a->home.data, ROSTER_DIR);
	return rc;
}

/* This device's author id: from the held vault, else from identity.pub. */
static int self_id(const struct vg_agent *a, uint8_t out[VG_ID_BYTES])
{
	struct vg_identity id;
	struct vg_buf text = VG_BUF_INIT;
	int rc;

	if (a->vault != NULL) {
		struct vg_minisign_pk pk;
		vg_minisign_sk_public(&pk, a->vault->sign);
		vg_id_of_key(out, &pk);
		return 0;
	}
	if ((rc = vg_fs_read_file(&text, a->identity_path, 4096)) == 0 &&
	    (rc = vg_identity_parse(&id, (const char *)text.ptr, text.len)) == 0)
		vg_id_of_key(out, &id.sign);
	vg_buf_release(&text);
	return rc;
}

/* The remote kept in the held vault into out; VG_ENOTFOUND when none. */
static int vault_remote(const struct vg_vault *v, char out[VG_SYNC_REMOTE_MAX + 1])
{
	const uint8_t *val;
	size_t len;
	int rc = vg_vault_record_get(v, VG_VAULT_REC_REMOTE, &val, &len);

	if (rc < 0)
		return rc;
	if (len < 1 || len > VG_SYNC_REMOTE_MAX)
		return vg_error_set(VG_EFORMAT, "vault: bad remote record");
	memcpy(out, val, len);
	out[len] = '\0';
	return 0;
}

/* The pin and transport credential kept in the held vault (NULL / 0 when none). */
static int vault_net(const struct vg_vault *v, const uint8_t **pin, const uint8_t **cred,
		     size_t *cred_len)
{
	size_t len;
	int rc;

	*pin = *cred = NULL;
	*cred_len = 0;
	rc = vg_vault_record_get(v, VG_VAULT_REC_PIN, pin, &len);
	if (rc == VG_ENOTFOUND)
		*pin = NULL;
	else if (rc < 0)
		return rc;
	else if (len != 32)
		return vg_error_set(VG_EFORMAT, "vault: bad pin record");
	rc = vg_vault_record_get(v, VG_VAULT_REC_CREDENTIAL, cred, cred_len);
	if (rc == VG_ENOTFOUND) {
		*cred = NULL;
		*cred_len = 0;
	} else if (rc < 0) {
		return rc;
	}
	vg_error_clear();
	return 0;
}

/*
 * While a network sync waits on its helper, the daemon's signals and logind still count:
 * handled here, and a stop or a lock asked for ends the transfer at once (a hung server
 * must not keep the keys in memory through a suspend).
 */
static bool sync_wake(void *ctx, char *why, size_t whysz)
{
	struct vg_agent *a = ctx;

	vg_agent_signals(a);
	vg_agent_logind_process(a);
	if (a->stop)
		snprintf(why, whysz, "the daemon is stopping");
	else if (a->lock_pending[0] != '\0')
		snprintf(why, whysz, "the keys are being locked (%s)", a->lock_pending);
	else
		return false;
	vg_agent_log("sync stopped: %s", why);
	return true;
}

/* A sync's network options: the waiting helper is handed over (the sync frees it). */
static void net_options(struct vg_agent *a, struct vg_sync_net *net, const uint8_t *pin,
			const uint8_t *cred, size_t cred_len)
{
	memset(net, 0, sizeof(*net));
	net->pin = pin;
	net->cred = cred;
	net->cred_len = cred_len;
	net->proxy = a->config.sync_proxy;
	net->helper = a->net_idle;
	a->net_idle = NULL;
	a->wake_fds[0] = a->signal_fd;
	a->wake_fds[1] = vg_agent_logind_fd(a);
	net->wake_fds = a->wake_fds;
	net->nwake = a->wake_fds[1] >= 0 ? 2 : 1;
	net->wake = sync_wake;
	net->wake_ctx = a;
}

void vg_agent_net_ready(struct vg_agent *a)
{
	int rc;

	if (a->net_idle != NULL)
		return;
	if ((rc = vg_net_spawn(&a->net_idle, NULL)) < 0) {
		a->net_idle = NULL;
		vg_agent_log("network helper not started: %s", vg_error_last());
	}
}

static json_t *report_base(const struct vg_sync_report *r);

static int need_keys(struct vg_agent *a, const char **code)
{
	if (a->vault != NULL)
		return 0;
	*code = "locked";
	return vg_error_set(VG_EAUTH, "vault is locked");
}

/* The verified roster of this home, or NULL (not joined); *out owned by the caller. */
static int load_roster(struct vg_roster_set **out, const struct vg_agent *a)
{
	struct vg_minisign_pk org;
	char dir[PATH_MAX];
	int rc;

	*out = NULL;
	if ((rc = paths(a, NULL, dir)) < 0)
		return rc;
	rc = vg_roster_dir_org(&org, dir);
	if (rc == VG_ENOTFOUND)
		return 0;
	if (rc < 0 || (rc = vg_roster_set_new(out, &org)) < 0)
		return rc;
	if ((rc = vg_roster_dir_load(*out, dir, NULL)) < 0) {
		vg_roster_set_free(*out);
		*out = NULL;
	}
	return rc;
}

struct alarm_list {
	json_t *arr;
};

static int add_alarm(void *ctx, const char *kind, const char *subject, const char *message,
		     bool blocking, int64_t count)
{
	struct alarm_list *l = ctx;
	json_t *o = json_pack("{s:s,s:s,s:s,s:b,s:I}", "kind", kind, "subject", subject, "message",
			      message, "blocking", blocking, "count", (json_int_t)count);

	if (o == NULL || json_array_append_new(l->arr, o) < 0)
		return vg_error_set(VG_ENOMEM, "cannot build the reply");
	return 0;
}

int vg_agent_sync_status(struct vg_agent *a, json_t *reply)
{
	struct vg_roster_set *rs = NULL;
	struct alarm_list al = {json_array()};
	uint8_t self[VG_ID_BYTES];
	char remote[VG_SYNC_REMOTE_MAX + 1], last[64];
	uint64_t pending = 0, delivered = 0, received = 0;
	const char *role = NULL;
	bool have_self;
	int rc;

	if (al.arr == NULL)
		return vg_error_set(VG_ENOMEM, "cannot build the reply");
	last[0] = '\0';
	have_self = self_id(a, self) == 0;
	/* What cannot be read (no store yet, no roster) is shown as absent, not as a failure. */
	if (have_self && load_roster(&rs, a) == 0 && rs != NULL) {
		const struct vg_roster_member *m = vg_roster_find(vg_roster_set_current(rs), self);
		if (m != NULL)
			role = m->revoked ? "revoked" : vg_role_name(m->role);
	}
	/* No store is made for a home without a vault (status must not create files). */
	if (access(a->vault_path, F_OK) == 0 && vg_agent_store(a) == 0) {
		if (have_self && (vg_sync_counts(a->store, self, &pending, &delivered) < 0 ||
				  vg_deliver_received(a->store, self, &received) < 0))
			vg_agent_log("status: %s", vg_error_last());
		if (vg_sync_state_text(a->store, "last_sync", last, sizeof(last)) < 0 ||
		    vg_sync_alarm_foreach(a->store, add_alarm, &al) < 0)
			vg_agent_log("status: %s", vg_error_last());
	}
	rc = set(reply, "role", role != NULL ? json_string(role) : json_null());
	if (rc == 0)
		rc = set(reply, "remote",
			 a->vault != NULL && vault_remote(a->vault, remote) == 0
			     ? json_string(remote)
			     : json_null());
	if (rc == 0)
		rc = set(reply, "pending", json_integer((json_int_t)pending));
	if (rc == 0)
		rc = set(reply, "delivered", json_integer((json_int_t)delivered));
	if (rc == 0)
		rc = set(reply, "received", json_integer((json_int_t)received));
	if (rc == 0)
		rc = set(reply, "last_sync", last[0] != '\0' ? json_string(last) : json_null());
	if (rc == 0) {
		rc = set(reply, "alarms", al.arr);
		al.arr = NULL;
	}
	if (rc == 0)
		rc = vg_agent_sched_status(a, reply);
	json_decref(al.arr);
	vg_roster_set_free(rs);
	return rc;
}

/* The pin and credential kind of the held vault as remote_show and remote_set give them. */
static int net_members(json_t *reply, const struct vg_vault *v, const char *url)
{
	const uint8_t *pin, *cred;
	size_t len;
	const char *kind = NULL;
	char text[VG_NET_PIN_TEXT_MAX];
	int rc;

	if ((rc = vault_net(v, &pin, &cred, &len)) < 0)
		return rc;
	if (pin != NULL)
		vg_net_pin_text(text, vg_remote_kind(url), pin);
	/* The kind only: what the credential is, never a byte of it. */
	if (len > 0 && vg_net_check(url, pin, cred, len, &kind) < 0) {
		vg_error_clear();
		kind = "unusable";
	}
	if ((rc = set(reply, "pin", pin != NULL ? json_string(text) : json_null())) < 0 ||
	    (rc = set(reply, "credential", kind != NULL ? json_string(kind) : json_null())) < 0)
		return rc;
	return 0;
}

int vg_agent_remote_show(struct vg_agent *a, struct vg_agent_conn *c,
			 const struct vg_ipc_request *req, json_t *reply, const char **code)
{
	char remote[VG_SYNC_REMOTE_MAX + 1];
	int rc;

	(void)c;
	(void)req;
	if ((rc = need_keys(a, code)) < 0)
		return rc;
	vg_agent_touch(a);
	rc = vault_remote(a->vault, remote);
	if (rc == VG_ENOTFOUND)
		return set(reply, "remote", json_null()) < 0 ||
			       set(reply, "pin", json_null()) < 0 ||
			       set(reply, "credential", json_null()) < 0
			   ? VG_ENOMEM
			   : 0;
	if (rc < 0)
		return rc;
	if ((rc = set(reply, "remote", json_string(remote))) < 0)
		return rc;
	return net_members(reply, a->vault, remote);
}

/*
 * Reseal the vault with what changed in v (read with the passphrase), then hold it. The
 * passphrase is checked by the read: changing where this device syncs, or its
 * credentials, proves it like passwd does.
 */
static int reseal(struct vg_agent *a, struct vg_vault *v, const struct vg_buf *pass, long before)
{
	int rc = vg_vault_write(a->vault_path, 0, v, (const char *)pass->ptr, pass->len);

	if (rc < 0) {
		vg_vault_free(v);
		return rc;
	}
	vg_agent_hold(a, v, before);
	return 0;
}

static int read_vault(struct vg_agent *a, struct vg_vault **v, const struct vg_buf *pass)
{
	return vg_agent_vault_read(a, v, pass->ptr, pass->len);
}

/*
 * Replace the remote, and the pin and credential when given (kept otherwise; removed with
 * pin "" or no_credential). What results is checked as a whole (vg_net_check: an ssh remote
 * needs a pin and an Ed25519 key), and a new ssh host needs a new pin. The reply names what
 * changed.
 */
int vg_agent_remote_set(struct vg_agent *a, struct vg_agent_conn *c,
			const struct vg_ipc_request *req, json_t *reply, const char **code)
{
	const char *url = vg_ipc_request_string(req, "url");
	const char *pin_text = vg_ipc_request_string(req, "pin");
	const struct vg_buf *pass = vg_ipc_request_bytes(req, "passphrase");
	const struct vg_buf *new_cred = vg_ipc_request_bytes(req, "credential");
	json_t *no_cred = vg_ipc_request_json(req, "no_credential");
	bool drop_cred = no_cred != NULL && json_integer_value(no_cred) != 0;
	struct vg_vault *v = NULL;
	char old_url[VG_SYNC_REMOTE_MAX + 1] = "", old_host[256], new_host[256];
	const uint8_t *old_pin, *old_cred, *pin, *cred;
	uint8_t new_pin[32];
	size_t old_len, len;
	bool pin_changed, cred_changed, url_changed;
	json_t *changed;
	long before;
	int rc;

	if ((rc = vg_sync_remote_check(url)) < 0 ||
	    (pin_text != NULL && pin_text[0] != '\0' &&
	     (rc = vg_net_pin_parse(new_pin, url, pin_text)) < 0)) {
		*code = "usage";
		return rc;
	}
	if (drop_cred && new_cred != NULL) {
		*code = "usage";
		return vg_error_set(VG_EINVAL, "--credential and --no-credential together");
	}
	progress_cb(c, "checking the passphrase");
	before = vg_agent_vmlck();
	if ((rc = read_vault(a, &v, pass)) < 0)
		return rc;
	if ((rc = vault_remote(v, old_url)) < 0 && rc != VG_ENOTFOUND)
		goto fail;
	if (rc == VG_ENOTFOUND)
		old_url[0] = '\0';
	if ((rc = vault_net(v, &old_pin, &old_cred, &old_len)) < 0)
		goto fail;
	pin = pin_text == NULL ? old_pin : pin_text[0] == '\0' ? NULL : new_pin;
	cred = drop_cred ? NULL : new_cred != NULL ? new_cred->ptr : old_cred;
	len = drop_cred ? 0 : new_cred != NULL ? new_cred->len : old_len;
	vg_remote_host(old_host, sizeof(old_host), old_url);
	vg_remote_host(new_host, sizeof(new_host), url);
	if (vg_remote_kind(url) == VG_REMOTE_SSH && pin_text == NULL &&
	    (vg_remote_kind(old_url) != VG_REMOTE_SSH || strcmp(old_host, new_host) != 0)) {
		*code = "usage";
		rc = vg_error_set(
		    VG_EINVAL, "a new ssh host needs its host-key pin (--pin): ssh-keyscan HOST | "
			       "ssh-keygen -lf -");
		goto fail;
	}
	/* A path remote drops what only a network remote uses, unless it was given. */
	if (vg_remote_kind(url) == VG_REMOTE_PATH) {
		if (pin_text == NULL)
			pin = NULL;
		if (new_cred == NULL)
			cred = NULL, len = 0;
	}
	if ((rc = vg_net_check(url, pin, cred, len, NULL)) < 0) {
		*code = "usage";
		goto fail;
	}
	url_changed = strcmp(old_url, url) != 0;
	pin_changed =
	    (pin == NULL) != (old_pin == NULL) || (pin != NULL && memcmp(pin, old_pin, 32) != 0);
	cred_changed = len != old_len || (len > 0 && sodium_memcmp(cred, old_cred, len) != 0);
	if ((rc = vg_vault_record_set(v, VG_VAULT_REC_REMOTE, (const uint8_t *)url, strlen(url))) <
		0 ||
	    (pin_changed && (rc = vg_vault_record_set(v, VG_VAULT_REC_PIN, pin, 32)) < 0))
		goto fail;
	/* old_pin and old_cred point into v: they are only read above (what is written is
	 * new_pin, new_cred or nothing). */
	if (cred_changed &&
	    (rc = vg_vault_record_set(v, VG_VAULT_REC_CREDENTIAL, len > 0 ? cred : NULL, len)) < 0)
		goto fail;
	progress_cb(c, "sealing the vault");
	if ((rc = reseal(a, v, pass, before)) < 0)
		return rc;
	vg_agent_log("remote changed (%s%s%s)", url_changed ? "remote " : "",
		     pin_changed ? "pin " : "", cred_changed ? "credential" : "");
	if ((changed = json_array()) == NULL || set(reply, "changed", changed) < 0)
		return vg_error_set(VG_ENOMEM, "cannot build the reply");
	if ((url_changed && json_array_append_new(changed, json_string("remote")) < 0) ||
	    (pin_changed && json_array_append_new(changed, json_string("pin")) < 0) ||
	    (cred_changed && json_array_append_new(changed, json_string("credential")) < 0))
		return vg_error_set(VG_ENOMEM, "cannot build the reply");
	if ((rc = set(reply, "remote", json_string(url))) < 0)
		return rc;
	return net_members(reply, a->vault, url);
fail:
	vg_vault_free(v);
	return rc;
}

static json_t *report_json(const struct vg_sync_report *r)
{
	json_t *o =
	    json_pack("{s:I,s:I,s:I,s:I,s:I}", "receipts_written", (json_int_t)r->receipts_written,
		      "receipts_checked", (json_int_t)r->receipts_checked, "receipts_honoured",
		      (json_int_t)r->receipts_honoured, "receipts_ignored",
		      (json_int_t)r->receipts_ignored, "received_now", (json_int_t)r->received);
	json_t *base = report_base(r);

	if (o == NULL || base == NULL || json_object_update(base, o) < 0) {
		json_decref(base);
		base = NULL;
	}
	json_decref(o);
	return base;
}

static json_t *report_base(const struct vg_sync_report *r)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:b}", "roster",
			 (json_int_t)r->roster_version, "roster_taken", (json_int_t)r->roster_taken,
			 "roster_pushed", (json_int_t)r->roster_pushed, "branches",
			 (json_int_t)r->branches, "fetched", (json_int_t)r->fetched, "accepted",
			 (json_int_t)r->accepted, "waiting", (json_int_t)r->pending, "quarantined",
			 (json_int_t)r->quarantined, "refused", (json_int_t)r->refused, "promoted",
			 (json_int_t)r->promoted, "committed", (json_int_t)r->committed, "pushed",
			 (json_int_t)r->pushed, "alarms_raised", (json_int_t)r->alarms, "seconds",
			 r->seconds, "revoked", r->revoked);
}

/*
 * One sync with the remote in the held vault; the report's members go into reply. c is
 * the client that asked for it (progress goes there), NULL for the schedule's. Its outcome
 * goes into the schedule. A device the roster revokes is marked for the wipe: the caller
 * destroys the keys once it has answered (vg_agent_handle) or at once (background).
 */
static int run_sync(struct vg_agent *a, struct vg_agent_conn *c, json_t *reply)
{
	struct vg_sync_options o;
	struct vg_sync_report r;
	char remote[VG_SYNC_REMOTE_MAX + 1], repo[PATH_MAX], roster[PATH_MAX];
	const uint8_t *pin, *cred;
	size_t cred_len;
	json_t *rep;
	int rc;

	rc = vault_remote(a->vault, remote);
	if (rc == VG_ENOTFOUND)
		return vg_error_set(VG_ENOTFOUND,
				    "no remote: run 'vigil join' or 'vigil remote set URL' first");
	if (rc < 0 || (rc = paths(a, repo, roster)) < 0 || (rc = vg_agent_store(a)) < 0)
		return rc;
	memset(&o, 0, sizeof(o));
	o.repo = repo;
	o.remote = remote;
	o.roster_dir = roster;
	o.store = a->store;
	o.progress = progress_cb;
	o.count = count_cb;
	o.ctx = c;
	o.vault = a->vault;
	o.vault_path = a->vault_path;
	o.seconds = a->config.sync_timeout;
	if ((rc = self_id(a, o.self)) < 0 || (rc = vault_net(a->vault, &pin, &cred, &cred_len)) < 0)
		return rc;
	net_options(a, &o.net, pin, cred, cred_len);
	a->syncing = true;
	rc = vg_sync_run(&r, &o);
	a->syncing = false;
	vg_agent_net_ready(a); /* a fresh helper waits for the next sync */
	/* The case index in memory may summarise entries this device can no longer read. */
	if (r.received > 0)
		vg_agent_cases_drop(a, false);
	vg_agent_log("%ssync: %s (%zu fetched, %zu accepted, %zu pushed, %zu alarms, %.2f s)",
		     c == NULL ? "background " : "", rc == 0 ? "done" : vg_error_name(rc),
		     r.fetched, r.accepted, r.pushed, r.alarms, r.seconds);
	vg_agent_sched_record(a, rc, c != NULL);
	if (r.revoked) {
		/* Whatever the push gave: the roster says these keys are not this device's
		 * any more (DESIGN.md "At rest"). */
		vg_agent_log("this device is revoked in roster version %llu (%zu own entries "
			     "pushed now): destroying its keys",
			     (unsigned long long)r.roster_version, r.pushed);
		a->revoked = true;
	}
	if (rc < 0)
		return rc;
	if ((rep = report_json(&r)) == NULL)
		return vg_error_set(VG_ENOMEM, "cannot build the reply");
	rc = json_object_update(reply, rep) < 0 ? vg_error_set(VG_ENOMEM, "cannot build the reply")
						: 0;
	json_decref(rep);
	return rc == 0 ? vg_agent_sync_status(a, reply) : rc;
}

bool vg_agent_sync_ready(struct vg_agent *a, const char **why)
{
	char remote[VG_SYNC_REMOTE_MAX + 1], roster[PATH_MAX], org[PATH_MAX];

	/* A device the roster it holds revokes is ready too: its next sync pushes its last
	 * entries, then wipes it (an earlier sync stopped before it could). */
	*why = NULL;
	if (a->vault == NULL)
		*why = "locked";
	else if (vault_remote(a->vault, remote) < 0)
		*why = "no remote";
	else if (paths(a, NULL, roster) < 0 ||
		 vg_home_path(org, sizeof(org), roster, "org.pub") < 0 || access(org, F_OK) < 0)
		*why = "not joined";
	return *why == NULL;
}

void vg_agent_sync_background(struct vg_agent *a)
{
	json_t *reply = json_object();

	if (reply == NULL || run_sync(a, NULL, reply) < 0) {
		/* Logged and recorded by run_sync (the failure is in the schedule). */
	}
	json_decref(reply);
	if (a->revoked)
		vg_agent_wipe(a, "revoked in the roster: keys destroyed as by vigil panic; "
				 "stopping");
	else
		vg_agent_store_failed(a); /* as after a request: a failed write stops the daemon */
}

int vg_agent_sync(struct vg_agent *a, struct vg_agent_conn *c, const struct vg_ipc_request *req,
		  json_t *reply, const char **code)
{
	int rc;

	(void)req;
	if ((rc = need_keys(a, code)) < 0)
		return rc;
	vg_agent_touch(a);
	return run_sync(a, c, reply);
}

int vg_agent_publish(struct vg_agent *a, struct vg_agent_conn *c, const struct vg_ipc_request *req,
		     json_t *reply, const char **code)
{
	struct vg_roster_set *rs = NULL;
	int rc;

	(void)req;
	if ((rc = need_keys(a, code)) < 0)
		return rc;
	if ((rc = load_roster(&rs, a)) < 0)
		return vg_error_prefix(rc, "the roster of this home");
	if (rs == NULL)
		return vg_error_set(VG_ENOTFOUND, "no roster in this home to publish");
	progress_cb(c, "publishing the roster");
	vg_roster_set_free(rs);
	return run_sync(a, c, reply);
}

int vg_agent_alarm_clear(struct vg_agent *a, struct vg_agent_conn *c,
			 const struct vg_ipc_request *req, json_t *reply, const char **code)
{
	const char *kind = vg_ipc_request_string(req, "kind");
	size_t n = 0;
	int rc;

	(void)c;
	if ((rc = need_keys(a, code)) < 0 || (rc = vg_agent_store(a)) < 0 ||
	    (rc = vg_sync_alarm_clear(a->store, kind, &n)) < 0)
		return rc;
	vg_agent_log("%zu alarm(s) cleared", n);
	return set(reply, "cleared", json_integer((json_int_t)n));
}

/* ---- join ---- */

struct drafts {
	struct vg_feed *feed;
	struct vg_store *store;
	size_t sealed;
};

/*
 * A draft is a document {"body", "case", "draft", "time", "type", "v"} (FORMAT.md 9) kept
 * before the device joined:
 * sealed now, in draft order, as the next entry of the feed; then deleted.
 */
static int seal_draft(void *ctx, int64_t n, const uint8_t *doc, size_t len)
{
	struct drafts *d = ctx;
	struct vg_entry_content content;
	json_error_t err;
	json_t *root = json_loadb((const char *)doc, len, JSON_REJECT_DUPLICATES, &err);
	const char *type = json_string_value(json_object_get(root, "type"));
	const char *cid = json_string_value(json_object_get(root, "case"));
	const char *time = json_string_value(json_object_get(root, "time"));
	int rc = 0;

	memset(&content, 0, sizeof(content));
	content.body = json_object_get(root, "body");
	content.time = time;
	content.type = (enum vg_entry_type) - 1;
	for (int t = VG_ENTRY_OPEN; t <= VG_ENTRY_UNLINK && type != NULL; t++)
		if (strcmp(vg_entry_type_name((enum vg_entry_type)t), type) == 0)
			content.type = (enum vg_entry_type)t;
	if (root == NULL || !json_is_object(content.body) || cid == NULL || (int)content.type < 0 ||
	    vg_hex_decode(content.case_id, VG_CASE_ID_BYTES, cid, strlen(cid)) < 0)
		rc = vg_error_set(VG_EFORMAT, "draft %lld is not a draft document", (long long)n);
	if (rc == 0)
		rc = vg_feed_append(d->feed, NULL, &content);
	if (rc == 0)
		rc = vg_store_delete_draft(d->store, n);
	if (rc == 0)
		d->sealed++;
	json_decref(root);
	return rc;
}

static int seal_drafts(struct vg_agent *a, const struct vg_roster *r, size_t *sealed)
{
	struct vg_age_recipient rcpts[VG_AGE_RECIPIENTS_MAX];
	struct vg_minisign_pk pk;
	struct vg_feed feed;
	struct drafts d = {&feed, a->store, 0};
	uint8_t self[VG_ID_BYTES];
	size_t n;
	int rc;

	*sealed = 0;
	vg_minisign_sk_public(&pk, a->vault->sign);
	vg_id_of_key(self, &pk);
	if ((rc = vg_roster_recipients(rcpts, &n, r, self)) < 0)
		return rc;
	if ((rc = vg_feed_open(&feed, a->store, a->vault->sign, a->vault->key, r->org, r->version,
			       rcpts, n, r->policy.bucket)) < 0) {
		vg_feed_release(&feed);
		return rc;
	}
	if ((rc = vg_store_begin(a->store)) == 0) {
		rc = vg_store_foreach_draft(a->store, a->vault->key, seal_draft, &d);
		if (rc == 0)
			rc = vg_store_commit(a->store);
		else
			vg_store_rollback(a->store);
	}
	vg_feed_release(&feed);
	*sealed = rc == 0 ? d.sealed : 0;
	return rc;
}

int vg_agent_join(struct vg_agent *a, struct vg_agent_conn *c, const struct vg_ipc_request *req,
		  json_t *reply, const char **code)
{
	const char *text = vg_ipc_request_string(req, "invitation");
	const struct vg_buf *pass = vg_ipc_request_bytes(req, "passphrase");
	struct vg_invite inv;
	struct vg_vault *v = NULL;
	struct vg_roster_set *rs = NULL;
	const struct vg_roster *cur, *pinned;
	const struct vg_roster_member *me;
	struct vg_minisign_pk pk, held_org;
	struct vg_buf cred = VG_BUF_INIT_SECURE;
	uint8_t self[VG_ID_BYTES], head[20];
	char repo[PATH_MAX], roster[PATH_MAX], fp[VG_FINGERPRINT_LEN + 1];
	size_t sealed = 0;
	long before;
	int rc;

	(void)code;
	vg_invite_init(&inv);
	if ((rc = vg_invite_parse(&inv, (const uint8_t *)text, strlen(text))) < 0) {
		vg_error_prefix(rc, "invitation refused");
		goto done;
	}
	if ((rc = vg_sync_remote_check(inv.remote)) < 0 || (rc = paths(a, repo, roster)) < 0)
		goto done;
	progress_cb(c, "checking the passphrase");
	before = vg_agent_vmlck();
	if ((rc = read_vault(a, &v, pass)) < 0)
		goto done;
	vg_minisign_sk_public(&pk, v->sign);
	vg_id_of_key(self, &pk);
	if (memcmp(self, inv.member, VG_ID_BYTES) != 0) {
		rc = vg_error_set(VG_EMISMATCH, "this invitation is for '%s', not for this device",
				  inv.pseudonym);
		goto done;
	}
	rc = vg_roster_dir_org(&held_org, roster);
	if (rc == 0 && memcmp(&held_org, &inv.org_key, sizeof(held_org)) != 0) {
		rc = vg_error_set(VG_EMISMATCH,
				  "this device already belongs to another organisation");
		goto done;
	}
	if (rc < 0 && rc != VG_ENOTFOUND)
		goto done;
	/* The credential opens first: a network remote needs it to fetch the roster. */
	if (inv.credential.len > 0 &&
	    (rc = vg_age_decrypt(&cred, v->age, inv.credential.ptr, inv.credential.len)) < 0) {
		vg_error_prefix(rc, "cannot open the invitation's credential");
		goto done;
	}
	if ((rc = vg_net_check(inv.remote, inv.has_pin ? inv.pin : NULL, cred.ptr, cred.len,
			       NULL)) < 0) {
		vg_error_prefix(rc, "the invitation's remote");
		goto done;
	}
	progress_cb(c, "fetching the roster from the invitation's remote");
	{
		struct vg_sync_net net;
		net_options(a, &net, inv.has_pin ? inv.pin : NULL, cred.ptr, cred.len);
		rc = vg_sync_fetch_roster(&rs, head, repo, inv.remote, &net, &inv.org_key,
					  a->config.sync_timeout);
		vg_agent_net_ready(a);
		if (rc < 0)
			goto done;
	}
	cur = vg_roster_set_current(rs);
	pinned = vg_roster_set_get(rs, inv.roster_version);
	if (pinned == NULL || memcmp(pinned->hash, inv.roster_hash, VG_ID_BYTES) != 0) {
		rc = vg_error_set(
		    pinned == NULL ? VG_EROLLBACK : VG_EFORK,
		    pinned == NULL ? "the remote's roster is older than the invitation's (version "
				     "%llu): refused"
				   : "the remote's roster version %llu is not the one the "
				     "invitation names: refused",
		    (unsigned long long)inv.roster_version);
		goto done;
	}
	if ((rc = vg_roster_set_check_fresh(rs, time(NULL))) < 0)
		goto done;
	me = vg_roster_find(cur, self);
	if (me == NULL || me->revoked) {
		rc = vg_error_set(VG_EAUTH, me == NULL ? "this device is not enrolled in the roster"
						       : "this device is revoked in the roster");
		goto done;
	}
	if ((rc = vg_sync_roster_save(rs, roster, repo, head)) < 0)
		goto done;
	/* Remote, credential and pin go into the vault, resealed under the same passphrase. */
	if ((rc = vg_vault_record_set(v, VG_VAULT_REC_REMOTE, (const uint8_t *)inv.remote,
				      strlen(inv.remote))) < 0 ||
	    (rc = vg_vault_record_set(v, VG_VAULT_REC_CREDENTIAL, cred.len > 0 ? cred.ptr : NULL,
				      cred.len)) < 0 ||
	    (rc = vg_vault_record_set(v, VG_VAULT_REC_PIN, inv.has_pin ? inv.pin : NULL,
				      sizeof(inv.pin))) < 0)
		goto done;
	progress_cb(c, "sealing the vault");
	rc = reseal(a, v, pass, before);
	v = NULL;
	if (rc < 0 || (rc = vg_agent_store(a)) < 0)
		goto done;
	progress_cb(c, "sealing drafts into the feed");
	rc = seal_drafts(a, cur, &sealed);
	/* The case index held drafts that are entries now: it is rebuilt on next use. */
	vg_agent_cases_drop(a, false);
	if (rc < 0) {
		vg_error_prefix(rc, "joined, but the drafts could not be sealed");
		goto done;
	}
	vg_agent_log("joined an organisation (roster version %llu, %zu drafts sealed)",
		     (unsigned long long)cur->version, sealed);
	vg_fingerprint_org(fp, &inv.org_key);
	if ((rc = set(reply, "organisation", json_string(cur->name))) < 0 ||
	    (rc = set(reply, "fingerprint", json_string(fp))) < 0 ||
	    (rc = set(reply, "role", json_string(vg_role_name(me->role)))) < 0 ||
	    (rc = set(reply, "roster", json_integer((json_int_t)cur->version))) < 0 ||
	    (rc = set(reply, "drafts_sealed", json_integer((json_int_t)sealed))) < 0)
		goto done;
	/* The first sync pushes the sealed drafts; being offline now is no failure of join. */
	{
		json_t *sr = json_object();
		if (sr != NULL && run_sync(a, c, sr) == 0)
			rc = set(reply, "sync", sr);
		else {
			json_decref(sr);
			rc = set(reply, "sync", json_string(vg_error_last()));
		}
	}
done:
	vg_vault_free(v);
	vg_roster_set_free(rs);
	vg_invite_release(&inv);
	vg_buf_release(&cred);
	return rc;
}
