/*
 * The duress passphrase (vigil duress set|clear). The vault file always has a duress slot
 * (FORMAT.md 8): keyed randomly until a duress passphrase is set, so nothing in the file,
 * or in its payload, says whether one is. Every passphrase the daemon checks goes through
 * vg_agent_vault_read: the duress passphrase is answered exactly as a wrong one (same
 * derivations, same message, same code, same log line), and once that answer has been
 * sent the keys are destroyed as `vigil panic` does and the daemon stops.
 */
#include <string.h>

#include <sodium.h>

#include "agent.h"
#include "vigil/error.h"
#include "vigil/panic.h"
#include "vigil/store.h"

int vg_agent_vault_read(struct vg_agent *a, struct vg_vault **out, const uint8_t *pass,
			size_t passlen)
{
	int rc = vg_vault_read(out, a->vault_path, (const char *)pass, passlen);

	if (rc == VG_ENOTFOUND)
		return vg_error_set(VG_ENOTFOUND, "no vault in '%s': run 'vigil init' first",
				    a->home.data);
	if (rc == VG_EDURESS) {
		/* The message is a wrong passphrase's already; the code must be too. */
		a->duress = true;
		return VG_EAUTH;
	}
	return rc;
}

void vg_agent_wipe(struct vg_agent *a, const char *why)
{
	struct vg_panic_report r;

	a->duress = false;
	a->revoked = false;
	/* Keys and the case index out of memory first, the index not saved. */
	vg_agent_cases_drop(a, false);
	vg_vault_free(a->vault);
	a->vault = NULL;
	/* The store is shredded through its own connection. */
	vg_store_close(a->store);
	a->store = NULL;
	if (vg_panic(&r, &a->home) < 0)
		vg_agent_warn("%s: %s", why, vg_error_last());
	else
		vg_agent_log("%s", why);
	a->stop = true;
}

static int check_different(const struct vg_buf *pass, const struct vg_buf *duress)
{
	if (pass->len == duress->len && sodium_memcmp(pass->ptr, duress->ptr, pass->len) == 0)
		return vg_error_set(VG_EINVAL,
				    "the duress passphrase must differ from the vault passphrase");
	return 0;
}

/* Reseal the vault with its duress slot keyed from pass (duress set) or randomly. */
static int reseal(struct vg_agent *a, struct vg_agent_conn *c, const struct vg_ipc_request *req,
		  const struct vg_buf *duress)
{
	const struct vg_buf *pass = vg_ipc_request_bytes(req, "passphrase");
	struct vg_vault *v = NULL;
	const uint8_t *rec;
	size_t len;
	int rc;

	if (duress != NULL && (rc = check_different(pass, duress)) < 0)
		return rc;
	vg_agent_send(c, vg_ipc_progress("checking the passphrase"));
	if ((rc = vg_agent_vault_read(a, &v, pass->ptr, pass->len)) < 0)
		return rc;
	if (duress != NULL) {
		vg_agent_send(c, vg_ipc_progress("deriving the duress key"));
		rc = vg_vault_duress_set(v, (const char *)duress->ptr, duress->len);
	} else {
		rc = vg_vault_duress_clear(v);
	}
	if (rc == 0)
		rc = vg_vault_write(a->vault_path, 0, v, (const char *)pass->ptr, pass->len);
	/* The held copy keeps the same record, so a later reseal from it keeps the slot. */
	if (rc == 0 && a->vault != NULL &&
	    vg_vault_record_get(v, VG_VAULT_REC_DURESS, &rec, &len) == 0)
		rc = vg_vault_record_set(a->vault, VG_VAULT_REC_DURESS, rec, len);
	if (rc == 0 && a->vault != NULL)
		memcpy(a->vault->slotkey, v->slotkey, VG_KEYFILE_SLOTKEY_BYTES + 1);
	vg_vault_free(v);
	if (rc == 0)
		vg_agent_log("vault resealed");
	return rc;
}

int vg_agent_duress_set(struct vg_agent *a, struct vg_agent_conn *c,
			const struct vg_ipc_request *req, json_t *reply, const char **code)
{
	(void)reply;
	(void)code;
	return reseal(a, c, req, vg_ipc_request_bytes(req, "duress"));
}

int vg_agent_duress_clear(struct vg_agent *a, struct vg_agent_conn *c,
			  const struct vg_ipc_request *req, json_t *reply, const char **code)
{
	(void)reply;
	(void)code;
	return reseal(a, c, req, NULL);
}
