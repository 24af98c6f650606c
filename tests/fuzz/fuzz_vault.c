/*
 * Fuzzes the vault payload decoder and the public identity parser: never crash, and what
 * is accepted round-trips to the same bytes.
 */
#include <string.h>

#include "vigil/identity.h"
#include "vigil/vault.h"
#include "vigil/vigil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct vg_vault *v = NULL;
	struct vg_identity id;

	if (!ready) {
		if (vg_init() < 0)
			return 0;
		ready = 1;
	}
	if (vg_vault_decode(&v, data, size) == 0) {
		struct vg_buf b = VG_BUF_INIT_SECURE;
		struct vg_vault *w = NULL;
		/* Known records come back in the canonical order; a second decode agrees. */
		if (vg_vault_encode(&b, v) != 0 || vg_vault_decode(&w, b.ptr, b.len) != 0 ||
		    memcmp(v->key, w->key, VG_VAULT_KEY_BYTES) != 0 ||
		    strcmp(v->pseudonym, w->pseudonym) != 0)
			__builtin_trap();
		vg_vault_free(w);
		vg_buf_release(&b);
		vg_vault_free(v);
	}
	if (vg_identity_parse(&id, (const char *)data, size) == 0) {
		char line[VG_IDENTITY_STR_MAX + 1];
		struct vg_identity back;
		vg_identity_format(line, &id);
		if (vg_identity_parse(&back, line, strlen(line)) != 0 ||
		    memcmp(&back, &id, sizeof(id)) != 0)
			__builtin_trap();
	}
	return 0;
}
