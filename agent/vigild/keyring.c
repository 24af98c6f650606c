#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "vigil/deliver.h"
#include "vigil/error.h"
#include "vigil/fs.h"
#include "vigil/harden.h"
#include "vigil/identity.h"
#include "vigil/sync.h"

void vg_agent_lock(struct vg_agent *a, const char *reason)
{
	if (a->vault == NULL)
		return;
	if (a->syncing) { /* the sync holds the vault: it stops, then the lock is done */
		if (a->lock_pending[0] == '\0')
			snprintf(a->lock_pending, sizeof(a->lock_pending), "%s", reason);
		return;
	}
	/* At once on SIGUSR1; otherwise a changed case index is kept sealed first. */
	vg_agent_cases_drop(a, strcmp(reason, "SIGUSR1") != 0);
	vg_vault_free(a->vault); /* wipes every key */
	a->vault = NULL;
	a->vault_locked_kib = 0;
	vg_agent_log("locked (%s)", reason);
}

void vg_agent_touch(struct vg_agent *a)
{
	a->last_use = vg_agent_now();
}

long vg_agent_vmlck(void)
{
	struct vg_memlock ml;

	return vg_harden_memlock(&ml) == 0 ? ml.locked_kib : -1;
}

void vg_agent_hold(struct vg_agent *a, struct vg_vault *v, long before_kib)
{
	long after = vg_agent_vmlck();

	/* Measured before the old vault's pages are unlocked by freeing it. */
	a->vault_locked_kib = before_kib >= 0 && after >= before_kib ? after - before_kib : 0;
	vg_vault_free(a->vault);
	a->vault = v;
	vg_agent_touch(a);
}

int64_t vg_agent_autolock_in(const struct vg_agent *a, uint64_t now)
{
	uint64_t due;

	if (a->vault == NULL || a->config.autolock == 0)
		return -1;
	due = a->last_use + (uint64_t)a->config.autolock * 1000;
	return due > now ? (int64_t)(due - now) : 0;
}

static bool same_identity(const struct vg_vault *x, const struct vg_vault *y)
{
	struct vg_identity a, b;

	vg_vault_identity(&a, x); /* zero-filled first, so whole structs compare */
	vg_vault_identity(&b, y);
	return memcmp(&a, &b, sizeof(a)) == 0;
}

/*
 * FORMAT.md 17.8: pick the vault whose key the store's sealed values open (vault.key, or
 * the vault.key.new of a rotation that committed before a crash), then finish what a
 * destruction of read keys left undone (the rotation itself, the WAL truncation).
 */
static int recover(struct vg_agent *a, struct vg_vault **v, const uint8_t *pass, size_t passlen)
{
	char msg[VG_SYNC_ALARM_MAX];
	bool rotated = false;
	int rc;

	if ((rc = vg_agent_store(a)) < 0)
		return rc;
	rc = vg_deliver_recover(v, a->store, a->vault_path, (const char *)pass, passlen, msg,
				sizeof(msg));
	if (rc < 0)
		return rc;
	if (rc == 1)
		vg_agent_log("%s", msg);
	if (vg_deliver_finish(&rotated, a->store, *v, a->vault_path) < 0)
		vg_agent_error("cannot finish destroying delivered read keys: %s", vg_error_last());
	else if (rotated)
		vg_agent_log(
		    "vault key rotated (an interrupted destruction of read keys finished)");
	return 0;
}

int vg_agent_unlock(struct vg_agent *a, const uint8_t *pass, size_t passlen)
{
	struct vg_vault *v = NULL;
	long before = vg_agent_vmlck();
	int rc;

	/*
	 * The store is opened before the passphrase is checked, so that a right passphrase
	 * (which then reads the store's vault generation) costs no more time than a wrong or
	 * a duress one: the answer's timing must not tell them apart.
	 */
	if (access(a->vault_path, F_OK) == 0 && vg_agent_store(a) < 0)
		vg_agent_error("cannot open the store: %s", vg_error_last());
	if ((rc = vg_agent_vault_read(a, &v, pass, passlen)) < 0)
		return rc;
	/* A key rotation interrupted by a crash is completed before anything is opened. */
	if ((rc = recover(a, &v, pass, passlen)) < 0) {
		vg_vault_free(v);
		return rc;
	}
	if (a->vault != NULL && same_identity(a->vault, v)) {
		vg_vault_free(v);
		vg_agent_touch(a);
		vg_agent_log("passphrase checked (already unlocked)");
	} else {
		if (a->vault != NULL)
			vg_agent_log("vault.key holds other keys than those held: replacing them");
		vg_agent_hold(a, v, before);
		vg_agent_log("unlocked");
	}
	/* Unlocked either way; a stale identity.pub is worth a log line, not a refusal. */
	if (vg_agent_sync_identity(a) < 0)
		vg_agent_warn("cannot update identity.pub: %s", vg_error_last());
	return 0;
}

int vg_agent_sync_identity(struct vg_agent *a)
{
	struct vg_identity id;
	struct vg_buf old = VG_BUF_INIT;
	char line[VG_IDENTITY_STR_MAX + 2];
	size_t n;
	mode_t mask;
	int rc, had;

	if (a->vault == NULL)
		return 0;
	vg_vault_identity(&id, a->vault);
	vg_identity_format(line, &id);
	n = strlen(line);
	line[n++] = '\n';
	line[n] = '\0';
	had = vg_fs_read_file(&old, a->identity_path, 4096);
	if (had == 0 && old.len == n && memcmp(old.ptr, line, n) == 0) {
		vg_buf_release(&old);
		return 0;
	}
	vg_buf_release(&old);
	/* Public, so 0644; the daemon is single-threaded, so the umask is ours to switch. */
	mask = umask(022);
	rc = vg_fs_write_atomic(a->identity_path, line, n, 0644, 0);
	umask(mask);
	if (rc < 0)
		return rc;
	vg_agent_log(had == VG_ENOTFOUND ? "identity.pub written"
					 : "identity.pub did not match the vault: rewritten");
	return 0;
}
