/*
 * vg_vault_secrets: a test-only program (never installed) for the secrecy scans of the
 * network tests. Opens a home's vault with the passphrase read from standard input (one
 * line) through the library's vault API, and prints each secret the device holds as one
 * line "NAME HEX", so a scanner can look for those bytes in a process's memory:
 *
 *   passphrase     the vault passphrase as typed
 *   vault_key      the vault key (32)
 *   age_identity   the age identity's X25519 secret scalar (32)
 *   minisign_seed  the signing key's Ed25519 seed (32)
 *   minisign_sk    the signing key's Ed25519 secret key, seed and public half (64)
 *   credential     the transport credential record (FORMAT.md 8, type 6), when present
 *
 *   vg_vault_secrets --home DIR
 *
 * Exits 0, 1 when the vault cannot be opened, 2 on a usage error.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "vigil/age.h"
#include "vigil/error.h"
#include "vigil/home.h"
#include "vigil/minisign.h"
#include "vigil/vault.h"
#include "vigil/vigil.h"

static void put(const char *name, const uint8_t *p, size_t n)
{
	printf("%s ", name);
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

int main(int argc, char **argv)
{
	struct vg_home home;
	struct vg_vault *v = NULL;
	char path[PATH_MAX];
	const uint8_t *rec;
	uint8_t *raw;
	char *pass;
	size_t len, reclen;

	if (argc != 3 || strcmp(argv[1], "--home") != 0 || vg_init() < 0)
		return 2;
	pass = sodium_malloc(1100);
	raw = sodium_malloc(VG_MINISIGN_SK_RAW_BYTES + VG_AGE_X25519_BYTES);
	if (pass == NULL || raw == NULL || fgets(pass, 1100, stdin) == NULL)
		return 2;
	len = strcspn(pass, "\n");
	if (vg_home_resolve(&home, argv[2]) < 0 ||
	    vg_home_path(path, sizeof(path), home.data, "vault.key") < 0 ||
	    vg_vault_read(&v, path, pass, len) < 0) {
		fprintf(stderr, "vg_vault_secrets: vault: %s\n", vg_error_last());
		return 1;
	}
	put("passphrase", (const uint8_t *)pass, len);
	put("vault_key", v->key, VG_VAULT_KEY_BYTES);
	vg_age_identity_to_raw(raw, v->age);
	put("age_identity", raw, VG_AGE_X25519_BYTES);
	vg_minisign_sk_to_raw(raw, v->sign);
	put("minisign_seed", raw + VG_MINISIGN_KEYNUM_BYTES, 32);
	put("minisign_sk", raw + VG_MINISIGN_KEYNUM_BYTES, 64);
	if (vg_vault_record_get(v, VG_VAULT_REC_CREDENTIAL, &rec, &reclen) == 0)
		put("credential", rec, reclen);
	sodium_free(raw);
	sodium_free(pass);
	vg_vault_free(v);
	return 0;
}
