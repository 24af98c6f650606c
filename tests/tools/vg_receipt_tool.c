/*
 * vg_receipt_tool: a test-only program (never installed) for the receipt tests. Passphrases
 * come on standard input (one line).
 *
 *   vg_receipt_tool key --home DIR
 *       "<generation> <vault key hex>" of the home's vault.key: the tests note each vault
 *       key a home holds (its generation proves none was missed between two notes), so no
 *       build of vigil ever keeps a record of old keys.
 *   vg_receipt_tool age --home DIR
 *       the age identity (AGE-SECRET-KEY-1...) of the home's vault.key, then that of its
 *       vault.key.new when one is there and opens with the passphrase: every identity a
 *       copy of the home yields to someone holding the passphrase (FORMAT.md 17.9).
 *   vg_receipt_tool check --home DIR
 *       what a device's store says after a crash, as its next unlock sees it (recovery of
 *       FORMAT.md 17.8 applied, nothing finished): "kept=N received=N bad=N generation=G
 *       store_generation=G rotate_due=0|1 new=0|1", where bad counts kept file keys that do
 *       not open with the vault key (an undelivered entry made unreadable).
 *   vg_receipt_tool scan KEYS-FILE IDS-FILE FILE...
 *       every 56-byte window of each FILE (a store, its WAL, anything) tried as a wrapped
 *       file key (FORMAT.md 9) of each entry id in IDS-FILE under each vault key in
 *       KEYS-FILE (lines as `key` prints them): prints the ids whose key still opens.
 *   vg_receipt_tool sign --home DIR --dir OUT --n N [--prev HEX] --roster V
 *                   [--member ID:SEQ:ENTRY]...
 *       a receipt (receipt.json and receipt.json.minisig in OUT) signed by DIR's key,
 *       naming DIR's author id as coordinator, whatever DIR's role: for forged receipts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "vigil/age.h"
#include "vigil/buf.h"
#include "vigil/deliver.h"
#include "vigil/error.h"
#include "vigil/fs.h"
#include "vigil/home.h"
#include "vigil/id.h"
#include "vigil/receipt.h"
#include "vigil/roster.h"
#include "vigil/store.h"
#include "vigil/sync.h"
#include "vigil/vault.h"
#include "vigil/vigil.h"

#define WRAPPED 56

static int die(const char *what)
{
	fprintf(stderr, "vg_receipt_tool: %s: %s\n", what, vg_error_last());
	return 1;
}

static const char *opt(int argc, char **argv, const char *name)
{
	for (int i = 2; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

static int read_pass(char *pass, size_t sz, size_t *len)
{
	if (fgets(pass, (int)sz, stdin) == NULL)
		return -1;
	*len = strcspn(pass, "\n");
	return 0;
}

static int open_vault(struct vg_vault **v, struct vg_home *home, char *path, size_t pathsz,
		      const char *h, char *pass, size_t *len)
{
	if (h == NULL || read_pass(pass, 1100, len) < 0)
		return 2;
	if (vg_home_resolve(home, h) < 0 ||
	    vg_home_path(path, pathsz, home->data, "vault.key") < 0 ||
	    vg_vault_read(v, path, pass, *len) < 0)
		return die("vault");
	return 0;
}

static int cmd_key(int argc, char **argv)
{
	struct vg_home home;
	struct vg_vault *v = NULL;
	char path[PATH_MAX], pass[1100], hex[2 * VG_VAULT_KEY_BYTES + 1];
	size_t len;
	int rc;

	if ((rc = open_vault(&v, &home, path, sizeof(path), opt(argc, argv, "--home"), pass,
			     &len)) != 0)
		return rc;
	vg_hex_encode(hex, v->key, VG_VAULT_KEY_BYTES);
	printf("%llu %s\n", (unsigned long long)vg_vault_generation(v), hex);
	vg_vault_free(v);
	return 0;
}

static int print_age(const struct vg_vault *v)
{
	struct vg_buf b = VG_BUF_INIT_SECURE;
	int rc = vg_age_identity_encode(&b, v->age);

	if (rc == 0)
		printf("%.*s\n", (int)b.len, (const char *)b.ptr);
	vg_buf_release(&b);
	return rc;
}

static int cmd_age(int argc, char **argv)
{
	struct vg_home home;
	struct vg_vault *v = NULL, *nv = NULL;
	char path[PATH_MAX], npath[PATH_MAX + 8], pass[1100];
	size_t len;
	int rc;

	if ((rc = open_vault(&v, &home, path, sizeof(path), opt(argc, argv, "--home"), pass,
			     &len)) != 0)
		return rc;
	rc = print_age(v) < 0 ? die("age identity") : 0;
	snprintf(npath, sizeof(npath), "%s" VG_DELIVER_NEW_SUFFIX, path);
	if (rc == 0 && access(npath, F_OK) == 0 && vg_vault_read(&nv, npath, pass, len) == 0)
		rc = print_age(nv) < 0 ? die("age identity") : 0;
	sodium_memzero(pass, sizeof(pass));
	vg_vault_free(nv);
	vg_vault_free(v);
	return rc;
}

struct checkctx {
	struct vg_store *store;
	const struct vg_vault *v;
	const uint8_t *self;
	unsigned kept, received, bad;
};

static int check_entry(void *ctx, const struct vg_entry *e, enum vg_entry_state state)
{
	struct checkctx *c = ctx;
	uint8_t *fk = sodium_malloc(VG_AGE_FILE_KEY_BYTES);
	int rc;

	if (fk == NULL)
		return VG_ENOMEM;
	if (state == VG_STATE_ACCEPTED && memcmp(e->meta.author, c->self, VG_ID_BYTES) == 0) {
		rc = vg_store_get_file_key(c->store, fk, e->id, c->v->key);
		if (rc == 0)
			c->kept++;
		else if (rc == VG_ENOTFOUND)
			c->received++;
		else
			c->bad++;
	}
	sodium_free(fk);
	return 0;
}

static int cmd_check(int argc, char **argv)
{
	struct vg_home home;
	struct vg_vault *v = NULL;
	struct vg_store *store = NULL;
	struct vg_minisign_pk pk;
	uint8_t self[VG_ID_BYTES];
	char path[PATH_MAX + 8], vpath[PATH_MAX], pass[1100], msg[512];
	struct checkctx c;
	uint64_t gs = 0;
	int64_t due = 0;
	size_t len;
	struct stat st;
	int rc;

	if ((rc = open_vault(&v, &home, vpath, sizeof(vpath), opt(argc, argv, "--home"), pass,
			     &len)) != 0)
		return rc;
	if (vg_home_path(path, sizeof(path), home.data, "store.db") < 0 ||
	    vg_store_open(&store, path) < 0) {
		rc = die("store");
		goto done;
	}
	if (vg_deliver_recover(&v, store, vpath, pass, len, msg, sizeof(msg)) < 0) {
		rc = die("recover");
		goto done;
	}
	vg_minisign_sk_public(&pk, v->sign);
	vg_id_of_key(self, &pk);
	memset(&c, 0, sizeof(c));
	c.store = store;
	c.v = v;
	c.self = self;
	if (vg_store_foreach(store, self, check_entry, &c) != 0 ||
	    vg_deliver_store_generation(store, &gs) < 0 ||
	    vg_sync_state_int(store, "rotate_due", &due) < 0) {
		rc = die("check");
		goto done;
	}
	snprintf(path, sizeof(path), "%s.new", vpath);
	printf("kept=%u received=%u bad=%u generation=%llu store_generation=%llu rotate_due=%d "
	       "new=%d\n",
	       c.kept, c.received, c.bad, (unsigned long long)vg_vault_generation(v),
	       (unsigned long long)gs, due != 0, lstat(path, &st) == 0);
	rc = 0;
done:
	sodium_memzero(pass, sizeof(pass));
	vg_store_close(store);
	vg_vault_free(v);
	return rc;
}

static int read_lines(struct vg_buf *out, const char *path, size_t each, int hexlen, int skip)
{
	struct vg_buf text = VG_BUF_INIT;
	char *p, *line;
	int rc = vg_fs_read_file(&text, path, 64 * 1024 * 1024);

	if (rc < 0)
		return rc;
	p = (char *)text.ptr;
	while ((line = strsep(&p, "\n")) != NULL) {
		uint8_t b[64];
		char *word = line;
		for (int k = 0; k < skip && word != NULL; k++) {
			word = strchr(word, ' ');
			if (word != NULL)
				word++;
		}
		if (word == NULL || (int)strlen(word) != hexlen ||
		    vg_hex_decode(b, each, word, (size_t)hexlen) < 0)
			continue;
		if ((rc = vg_buf_put(out, b, each)) < 0)
			break;
	}
	vg_buf_release(&text);
	return rc;
}

static int cmd_scan(int argc, char **argv)
{
	static const char label[] = "vigil-file-key v1";
	struct vg_buf keys = VG_BUF_INIT_SECURE, ids = VG_BUF_INIT, data = VG_BUF_INIT;
	uint8_t ad[sizeof(label) - 1 + VG_ID_BYTES], fk[16];
	size_t nk, ni;
	char *found;
	int rc = 2;

	if (argc < 5)
		return 2;
	if (read_lines(&keys, argv[2], VG_VAULT_KEY_BYTES, 64, 1) < 0 ||
	    read_lines(&ids, argv[3], VG_ID_BYTES, 64, 0) < 0)
		return die("scan input");
	nk = keys.len / VG_VAULT_KEY_BYTES;
	ni = ids.len / VG_ID_BYTES;
	if (nk == 0 || ni == 0) {
		fprintf(stderr, "vg_receipt_tool: scan: no keys or no ids\n");
		goto done;
	}
	if ((found = calloc(ni, 1)) == NULL)
		goto done;
	memcpy(ad, label, sizeof(label) - 1);
	for (int f = 4; f < argc; f++) {
		vg_buf_clear(&data);
		if (vg_fs_read_file(&data, argv[f], 1024u * 1024 * 1024) < 0) {
			rc = die(argv[f]);
			free(found);
			goto done;
		}
		for (size_t off = 0; off + WRAPPED <= data.len; off++)
			for (size_t i = 0; i < ni; i++) {
				memcpy(ad + sizeof(label) - 1, ids.ptr + i * VG_ID_BYTES,
				       VG_ID_BYTES);
				for (size_t k = 0; k < nk; k++)
					if (crypto_aead_xchacha20poly1305_ietf_decrypt(
						fk, NULL, NULL, data.ptr + off + 24, WRAPPED - 24,
						ad, sizeof(ad), data.ptr + off,
						keys.ptr + k * VG_VAULT_KEY_BYTES) == 0)
						found[i] = 1;
			}
	}
	for (size_t i = 0; i < ni; i++)
		if (found[i]) {
			char hex[VG_ID_HEX_LEN + 1];
			vg_hex_encode(hex, ids.ptr + i * VG_ID_BYTES, VG_ID_BYTES);
			printf("%s\n", hex);
		}
	free(found);
	rc = 0;
done:
	sodium_memzero(fk, sizeof(fk));
	vg_buf_release(&keys);
	vg_buf_release(&ids);
	vg_buf_release(&data);
	return rc;
}

static int cmd_sign(int argc, char **argv)
{
	struct vg_home home;
	struct vg_vault *v = NULL;
	struct vg_receipt r;
	struct vg_minisign_pk pk;
	struct vg_buf json = VG_BUF_INIT, sig = VG_BUF_INIT;
	struct vg_minisign_pk org;
	struct vg_roster_set *set = NULL;
	char path[PATH_MAX], pass[1100], dir[PATH_MAX];
	const char *out = opt(argc, argv, "--dir"), *prev = opt(argc, argv, "--prev");
	size_t len;
	int rc;

	if (out == NULL || opt(argc, argv, "--n") == NULL || opt(argc, argv, "--roster") == NULL)
		return 2;
	if ((rc = open_vault(&v, &home, path, sizeof(path), opt(argc, argv, "--home"), pass,
			     &len)) != 0)
		return rc;
	vg_receipt_init(&r);
	if (vg_home_path(dir, sizeof(dir), home.data, "roster") < 0 ||
	    vg_roster_dir_org(&org, dir) < 0 || vg_roster_set_new(&set, &org) < 0 ||
	    vg_roster_dir_load(set, dir, NULL) < 0) {
		rc = die("roster");
		goto done;
	}
	memcpy(r.org, vg_roster_set_current(set)->org, VG_ID_BYTES);
	vg_minisign_sk_public(&pk, v->sign);
	vg_id_of_key(r.coordinator, &pk);
	r.n = strtoull(opt(argc, argv, "--n"), NULL, 10);
	r.roster = strtoull(opt(argc, argv, "--roster"), NULL, 10);
	if (prev != NULL && vg_hex_decode(r.prev, VG_ID_BYTES, prev, strlen(prev)) < 0) {
		rc = 2;
		goto done;
	}
	for (int i = 2; i + 1 < argc; i++) {
		char idh[65], eh[65];
		unsigned long long seq;
		uint8_t id[VG_ID_BYTES], e[VG_ID_BYTES];
		if (strcmp(argv[i], "--member") != 0)
			continue;
		if (sscanf(argv[i + 1], "%64[0-9a-f]:%llu:%64[0-9a-f]", idh, &seq, eh) != 3 ||
		    vg_hex_decode(id, VG_ID_BYTES, idh, 64) < 0 ||
		    vg_hex_decode(e, VG_ID_BYTES, eh, 64) < 0 ||
		    vg_receipt_add(&r, id, seq, e) < 0) {
			rc = 2;
			goto done;
		}
	}
	if (vg_receipt_sign(&json, &sig, &r, v->sign) < 0) {
		rc = die("sign");
		goto done;
	}
	if (vg_home_path(path, sizeof(path), out, VG_RECEIPT_FILE) < 0 ||
	    vg_fs_write_atomic(path, json.ptr, json.len, 0644, 0) < 0 ||
	    vg_home_path(path, sizeof(path), out, VG_RECEIPT_SIG_FILE) < 0 ||
	    vg_fs_write_atomic(path, sig.ptr, sig.len, 0644, 0) < 0) {
		rc = die("write");
		goto done;
	}
	rc = 0;
done:
	sodium_memzero(pass, sizeof(pass));
	vg_receipt_release(&r);
	vg_buf_release(&json);
	vg_buf_release(&sig);
	vg_roster_set_free(set);
	vg_vault_free(v);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2 || vg_init() < 0)
		return 2;
	if (strcmp(argv[1], "key") == 0)
		return cmd_key(argc, argv);
	if (strcmp(argv[1], "age") == 0)
		return cmd_age(argc, argv);
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(argc, argv);
	if (strcmp(argv[1], "scan") == 0)
		return cmd_scan(argc, argv);
	if (strcmp(argv[1], "sign") == 0)
		return cmd_sign(argc, argv);
	return 2;
}
