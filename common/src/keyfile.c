/*
 * Sealed key files (layout in common/FORMAT.md, "Sealed key files"):
 *
 *   0   8     magic "VIGILKEY"
 *   8   1     format version 1
 *   9   1     kind: 1 vault, 2 organisation key
 *   10  1     kdf: 1 Argon2id v1.3
 *   11  1     n, slot count 1..4
 *   12  4     opslimit, u32 LE
 *   16  4     memlimit in KiB, u32 LE
 *   20  4     payload length L, u32 LE, 1..1048576
 *   24  88*n  slots: salt 16 | nonce 24 | wrapped 48
 *   ..  24    payload nonce
 *   ..  L+16  payload ciphertext (ends the file)
 *
 * wrapped_i = XChaCha20-Poly1305(Argon2id(pass, salt_i), nonce_i, 32-byte value,
 * AD = header bytes 0..23 | i); payload = XChaCha20-Poly1305(master key, payload nonce,
 * AD = every byte before the payload ciphertext).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>

#include <sodium.h>

#include "vigil/error.h"
#include "vigil/fs.h"
#include "vigil/keyfile.h"

#define KF_MAGIC	  "VIGILKEY"
#define KF_MAGIC_LEN	  8
#define KF_VERSION	  1
#define KF_KDF_ARGON	  1
#define KF_HEADER_LEN	  24
#define KF_SALT_LEN	  crypto_pwhash_SALTBYTES
#define KF_NONCE_LEN	  crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define KF_TAG_LEN	  crypto_aead_xchacha20poly1305_ietf_ABYTES
#define KF_KEY_LEN	  crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define KF_WRAPPED	  (KF_KEY_LEN + KF_TAG_LEN)
#define KF_SLOT_LEN	  (KF_SALT_LEN + KF_NONCE_LEN + KF_WRAPPED)
#define KF_PREFIX_LEN(n)  (KF_HEADER_LEN + KF_SLOT_LEN * (size_t)(n) + KF_NONCE_LEN)
#define KF_FILE_LEN(n, l) (KF_PREFIX_LEN(n) + (size_t)(l) + KF_TAG_LEN)
#define KF_FILE_MAX	  KF_FILE_LEN(VG_KEYFILE_SLOTS_MAX, VG_KEYFILE_PAYLOAD_MAX)

_Static_assert(KF_SALT_LEN == 16 && KF_NONCE_LEN == 24 && KF_KEY_LEN == 32 && KF_TAG_LEN == 16,
	       "the layout fixes these sizes");
_Static_assert(KF_SLOT_LEN == 88, "a slot is 88 bytes");
_Static_assert(VG_KEYFILE_SLOTS_MAX <= 255 && VG_KEYFILE_PAYLOAD_MAX <= UINT32_MAX,
	       "header fields are one byte and a u32");

/*
 * Argon2id parameters. A normal build seals with libsodium's MODERATE profile (opslimit 3,
 * 256 MiB: about 0.8 s on one core here) and refuses anything weaker, so that no file
 * sealed cheaply (by a test build, a bug, another tool) is ever relied on: whoever copies
 * such a file can guess its passphrase cheaply. Editing the parameters of a good file gains
 * nothing, as they are authenticated with every slot. The cap bounds what a hostile file
 * can make us spend: opslimit 8 and 512 MiB per slot (about 3.5 s each here).
 *
 * VIGIL_TEST_KDF builds exist because the test suite derives keys thousands of times (a
 * bit flip in every byte of a file, fuzzing): at MODERATE that would take hours. They seal
 * with opslimit 1 and 64 KiB and accept down to libsodium's minimum (1, 8 KiB). Their files
 * are below the floor of a normal build, which refuses them with VG_ELIMIT, so a weak test
 * file can never pass as a real one. The cap is the same in both builds.
 */
#define KF_NORMAL_OPS	  3u
#define KF_NORMAL_MEM_KIB (256u * 1024u)
#define KF_CAP_OPS	  8u
#define KF_CAP_MEM_KIB	  (512u * 1024u)
#ifdef VIGIL_TEST_KDF
#define KF_PROFILE_OPS	   1u
#define KF_PROFILE_MEM_KIB 64u
#define KF_FLOOR_OPS	   1u
#define KF_FLOOR_MEM_KIB   8u
#else
#define KF_PROFILE_OPS	   KF_NORMAL_OPS
#define KF_PROFILE_MEM_KIB KF_NORMAL_MEM_KIB
#define KF_FLOOR_OPS	   KF_NORMAL_OPS
#define KF_FLOOR_MEM_KIB   KF_NORMAL_MEM_KIB
#endif

_Static_assert(KF_NORMAL_OPS == crypto_pwhash_OPSLIMIT_MODERATE &&
		   (size_t)KF_NORMAL_MEM_KIB * 1024 == crypto_pwhash_MEMLIMIT_MODERATE,
	       "the normal profile is libsodium's MODERATE");
_Static_assert(KF_FLOOR_OPS >= crypto_pwhash_OPSLIMIT_MIN &&
		   (size_t)KF_FLOOR_MEM_KIB * 1024 >= crypto_pwhash_MEMLIMIT_MIN,
	       "every accepted file can be derived");
_Static_assert(KF_FLOOR_OPS <= KF_PROFILE_OPS && KF_PROFILE_OPS <= KF_CAP_OPS &&
		   KF_FLOOR_MEM_KIB <= KF_PROFILE_MEM_KIB && KF_PROFILE_MEM_KIB <= KF_CAP_MEM_KIB,
	       "floor <= profile <= cap");

/* Secrets of one seal or open, kept together in one sodium_malloc block. */
struct kf_secrets {
	uint8_t master[KF_KEY_LEN];
	uint8_t derived[KF_KEY_LEN];
	uint8_t value[KF_KEY_LEN]; /* a decoy slot's value, or an unwrapped candidate */
};

void vg_keyfile_profile(struct vg_kdf_params *out)
{
	out->opslimit = KF_PROFILE_OPS;
	out->memlimit_kib = KF_PROFILE_MEM_KIB;
}

void vg_keyfile_floor(struct vg_kdf_params *out)
{
	out->opslimit = KF_FLOOR_OPS;
	out->memlimit_kib = KF_FLOOR_MEM_KIB;
}

void vg_keyfile_cap(struct vg_kdf_params *out)
{
	out->opslimit = KF_CAP_OPS;
	out->memlimit_kib = KF_CAP_MEM_KIB;
}

static void kf_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t kf_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static const char *kf_kind_name(unsigned kind)
{
	return kind == VG_KEYFILE_VAULT ? "a vault" : "an organisation key";
}

/*
 * Set an error about the key file: "key file '<path>' <what>", or "key file <what>" for
 * a file held in memory (path NULL). Returns code.
 */
static int kf_fail(int code, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int kf_fail(int code, const char *path, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap); /* a message: truncation is harmless */
	va_end(ap);
	if (path != NULL)
		return vg_error_set(code, "key file '%s' %s", path, what);
	return vg_error_set(code, "key file %s", what);
}

/*
 * key = Argon2id(pass, salt, ops, mem_kib). Parameters were checked against floor and cap,
 * so a failure can only be a failed allocation: VG_ENOMEM.
 */
static int kf_derive(uint8_t key[KF_KEY_LEN], const char *pass, size_t passlen, const uint8_t *salt,
		     uint32_t ops, uint32_t mem_kib)
{
	static const char empty[1] = "";

	if (crypto_pwhash(key, KF_KEY_LEN, pass != NULL ? pass : empty, passlen, salt, ops,
			  (size_t)mem_kib * 1024, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		sodium_memzero(key, KF_KEY_LEN);
		return vg_error_set(VG_ENOMEM,
				    "cannot derive key (Argon2id, opslimit %u, %u KiB): out of "
				    "memory",
				    (unsigned)ops, (unsigned)mem_kib);
	}
	return 0;
}

/* The associated data of slot i: header bytes 0..23 followed by the byte i. */
static void kf_slot_ad(uint8_t ad[KF_HEADER_LEN + 1], const uint8_t *header, unsigned i)
{
	memcpy(ad, header, KF_HEADER_LEN);
	ad[KF_HEADER_LEN] = (uint8_t)i;
}

int vg_keyfile_derive(uint8_t salt_out[16], uint8_t *key_out, const char *pass, size_t passlen)
{
	if ((pass == NULL && passlen > 0) || passlen > crypto_pwhash_passwd_max())
		return vg_error_set(VG_EINVAL, "cannot derive a slot key: bad passphrase argument");
	randombytes_buf(salt_out, KF_SALT_LEN);
	return kf_derive(key_out, pass, passlen, salt_out, KF_PROFILE_OPS, KF_PROFILE_MEM_KIB);
}

/* slotkey: salt (16) || derived key (32) || opslimit (4, LE) || memory KiB (4, LE). */
static void kf_slotkey_put(uint8_t *slotkey, const uint8_t *salt, const uint8_t *key, uint32_t ops,
			   uint32_t mem)
{
	memcpy(slotkey, salt, KF_SALT_LEN);
	memcpy(slotkey + KF_SALT_LEN, key, KF_KEY_LEN);
	kf_put_u32(slotkey + KF_SALT_LEN + KF_KEY_LEN, ops);
	kf_put_u32(slotkey + KF_SALT_LEN + KF_KEY_LEN + 4, mem);
}

/*
 * Seal. Slot 0: derived from pass with a fresh salt (its salt and key then go to slotkey
 * when slotkey is not NULL), or, when pass is NULL and slotkey is not, under the salt, key
 * and parameters slotkey holds (a reseal without the passphrase: FORMAT.md 8).
 */
static int kf_seal(struct vg_buf *out, enum vg_keyfile_kind kind, unsigned nslots,
		   const uint8_t *payload, size_t len, const char *pass, size_t passlen,
		   uint8_t *slotkey, unsigned keyed_slot, const uint8_t salt[16],
		   const uint8_t key[32])
{
	struct kf_secrets *s = NULL;
	size_t start = out != NULL ? out->len : 0, total;
	uint8_t ad[KF_HEADER_LEN + 1];
	uint8_t *f, *slot, *pnonce;
	bool rekey = pass == NULL && slotkey != NULL;
	uint32_t ops = KF_PROFILE_OPS, mem = KF_PROFILE_MEM_KIB;
	int rc = 0;

	if (out == NULL)
		return vg_error_set(VG_EINVAL, "cannot seal key file: no output buffer");
	if (rekey) {
		ops = kf_get_u32(slotkey + KF_SALT_LEN + KF_KEY_LEN);
		mem = kf_get_u32(slotkey + KF_SALT_LEN + KF_KEY_LEN + 4);
		if (ops < KF_FLOOR_OPS || mem < KF_FLOOR_MEM_KIB || ops > KF_CAP_OPS ||
		    mem > KF_CAP_MEM_KIB)
			return vg_error_set(VG_EINVAL, "cannot seal key file: bad kept slot key");
	}
	if (kind != VG_KEYFILE_VAULT && kind != VG_KEYFILE_ORG)
		return vg_error_set(VG_EINVAL, "cannot seal key file: unknown kind %d", (int)kind);
	if (nslots < 1 || nslots > VG_KEYFILE_SLOTS_MAX)
		return vg_error_set(VG_EINVAL, "cannot seal key file: %u slots (1 to %d allowed)",
				    nslots, VG_KEYFILE_SLOTS_MAX);
	if (payload == NULL || len < 1 || len > VG_KEYFILE_PAYLOAD_MAX)
		return vg_error_set(VG_EINVAL,
				    "cannot seal key file: payload of %zu bytes (1 to %d allowed)",
				    len, VG_KEYFILE_PAYLOAD_MAX);
	if ((pass == NULL && passlen > 0) || passlen > crypto_pwhash_passwd_max())
		return vg_error_set(VG_EINVAL, "cannot seal key file: bad passphrase argument");
	if (keyed_slot >= nslots || (keyed_slot > 0 && (salt == NULL || key == NULL)))
		return vg_error_set(VG_EINVAL, "cannot seal key file: bad keyed slot %u",
				    keyed_slot);

	total = KF_FILE_LEN(nslots, len);
	if ((rc = vg_buf_grow(out, total)) < 0)
		return rc;
	if ((s = sodium_malloc(sizeof(*s))) == NULL) {
		rc = vg_error_set(VG_ENOMEM, "cannot allocate secure memory");
		goto done;
	}
	f = out->ptr + start;
	memcpy(f, KF_MAGIC, KF_MAGIC_LEN);
	f[8] = KF_VERSION;
	f[9] = (uint8_t)kind;
	f[10] = KF_KDF_ARGON;
	f[11] = (uint8_t)nslots;
	kf_put_u32(f + 12, ops);
	kf_put_u32(f + 16, mem);
	kf_put_u32(f + 20, (uint32_t)len);

	randombytes_buf(s->master, sizeof(s->master));
	for (unsigned i = 0; i < nslots; i++) {
		slot = f + KF_HEADER_LEN + (size_t)i * KF_SLOT_LEN;
		randombytes_buf(slot, KF_SALT_LEN + KF_NONCE_LEN);
		if (i == 0 && rekey) {
			memcpy(slot, slotkey, KF_SALT_LEN);
			memcpy(s->derived, slotkey + KF_SALT_LEN, KF_KEY_LEN);
		} else if (i == 0) {
			rc = kf_derive(s->derived, pass, passlen, slot, ops, mem);
			if (rc < 0)
				goto done;
			if (slotkey != NULL)
				kf_slotkey_put(slotkey, slot, s->derived, ops, mem);
		} else if (i == keyed_slot) {
			/* A duress slot: a random value under the key its passphrase derives. */
			memcpy(slot, salt, KF_SALT_LEN);
			memcpy(s->derived, key, sizeof(s->derived));
			randombytes_buf(s->value, sizeof(s->value));
		} else {
			/*
			 * A decoy: a random value under a random key. It looks like a slot
			 * under a passphrase nobody knows, without paying for a derivation.
			 */
			randombytes_buf(s->derived, sizeof(s->derived));
			randombytes_buf(s->value, sizeof(s->value));
		}
		kf_slot_ad(ad, f, i);
		crypto_aead_xchacha20poly1305_ietf_encrypt(
		    slot + KF_SALT_LEN + KF_NONCE_LEN, NULL, i == 0 ? s->master : s->value,
		    KF_KEY_LEN, ad, sizeof(ad), NULL, slot + KF_SALT_LEN, s->derived);
		sodium_memzero(s->derived, sizeof(s->derived));
	}
	pnonce = f + KF_HEADER_LEN + (size_t)nslots * KF_SLOT_LEN;
	randombytes_buf(pnonce, KF_NONCE_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(f + KF_PREFIX_LEN(nslots), NULL, payload, len, f,
						   KF_PREFIX_LEN(nslots), NULL, pnonce, s->master);
	out->len += total;
	out->ptr[out->len] = '\0';
done:
	sodium_free(s); /* wipes */
	if (rc < 0 && out->ptr != NULL)
		sodium_memzero(out->ptr + start, out->cap - start); /* no half-written file */
	return rc;
}

int vg_keyfile_seal_keyed(struct vg_buf *out, enum vg_keyfile_kind kind, unsigned nslots,
			  const uint8_t *payload, size_t len, const char *pass, size_t passlen,
			  unsigned keyed_slot, const uint8_t salt[16], const uint8_t key[32])
{
	return kf_seal(out, kind, nslots, payload, len, pass, passlen, NULL, keyed_slot, salt, key);
}

int vg_keyfile_seal_slotkey(struct vg_buf *out, enum vg_keyfile_kind kind, unsigned nslots,
			    const uint8_t *payload, size_t len, const char *pass, size_t passlen,
			    uint8_t *slotkey, unsigned keyed_slot, const uint8_t salt[16],
			    const uint8_t key[32])
{
	if (slotkey == NULL)
		return vg_error_set(VG_EINVAL, "cannot seal key file: no slot key");
	return kf_seal(out, kind, nslots, payload, len, pass, passlen, slotkey, keyed_slot, salt,
		       key);
}

int vg_keyfile_seal(struct vg_buf *out, enum vg_keyfile_kind kind, unsigned nslots,
		    const uint8_t *payload, size_t len, const char *pass, size_t passlen)
{
	return vg_keyfile_seal_keyed(out, kind, nslots, payload, len, pass, passlen, 0, NULL, NULL);
}

/*
 * Check everything that can be checked without a passphrase: layout, kind, total length
 * and the KDF parameters. Nothing is allocated or derived before this passes.
 */
static int kf_check(unsigned *nslots, size_t *plen, enum vg_keyfile_kind kind, const uint8_t *f,
		    size_t len, const char *path)
{
	uint32_t ops, mem, l;
	unsigned n;
	size_t want;

	if (len < KF_HEADER_LEN) {
		if (len >= KF_MAGIC_LEN && memcmp(f, KF_MAGIC, KF_MAGIC_LEN) != 0)
			return kf_fail(VG_EFORMAT, path, "is not a vigil key file");
		return kf_fail(VG_EFORMAT, path, "is truncated (%zu bytes)", len);
	}
	if (memcmp(f, KF_MAGIC, KF_MAGIC_LEN) != 0)
		return kf_fail(VG_EFORMAT, path, "is not a vigil key file");
	if (f[8] != KF_VERSION)
		return kf_fail(VG_EFORMAT, path, "has unsupported format version %u",
			       (unsigned)f[8]);
	if (f[9] != VG_KEYFILE_VAULT && f[9] != VG_KEYFILE_ORG)
		return kf_fail(VG_EFORMAT, path, "has unknown kind %u", (unsigned)f[9]);
	if (f[9] != kind)
		return kf_fail(VG_EFORMAT, path, "holds %s, not %s", kf_kind_name(f[9]),
			       kf_kind_name(kind));
	if (f[10] != KF_KDF_ARGON)
		return kf_fail(VG_EFORMAT, path, "has unknown key derivation %u", (unsigned)f[10]);
	n = f[11];
	if (n < 1 || n > VG_KEYFILE_SLOTS_MAX)
		return kf_fail(VG_EFORMAT, path, "has %u slots (1 to %d allowed)", n,
			       VG_KEYFILE_SLOTS_MAX);
	l = kf_get_u32(f + 20);
	if (l < 1 || l > VG_KEYFILE_PAYLOAD_MAX)
		return kf_fail(VG_EFORMAT, path, "has a payload of %lu bytes (1 to %d allowed)",
			       (unsigned long)l, VG_KEYFILE_PAYLOAD_MAX);
	want = KF_FILE_LEN(n, l);
	if (len < want)
		return kf_fail(VG_EFORMAT, path, "is truncated (%zu bytes, expected %zu)", len,
			       want);
	if (len > want)
		return kf_fail(VG_EFORMAT, path, "is too long (%zu bytes, expected %zu)", len,
			       want);
	ops = kf_get_u32(f + 12);
	mem = kf_get_u32(f + 16);
	if (ops < KF_FLOOR_OPS || mem < KF_FLOOR_MEM_KIB)
		return kf_fail(VG_ELIMIT, path,
			       "is sealed below the Argon2id floor (opslimit %lu, %lu KiB; floor "
			       "%u, %u KiB)",
			       (unsigned long)ops, (unsigned long)mem, KF_FLOOR_OPS,
			       KF_FLOOR_MEM_KIB);
	if (ops > KF_CAP_OPS || mem > KF_CAP_MEM_KIB)
		return kf_fail(VG_ELIMIT, path,
			       "demands Argon2id beyond the cap (opslimit %lu, %lu KiB; cap %u, "
			       "%u KiB)",
			       (unsigned long)ops, (unsigned long)mem, KF_CAP_OPS, KF_CAP_MEM_KIB);
	*nslots = n;
	*plen = l;
	return 0;
}

static int kf_open(struct vg_buf *payload_out, unsigned *slot_out, uint8_t *slotkey,
		   enum vg_keyfile_kind kind, const uint8_t *f, size_t len, const char *pass,
		   size_t passlen, const char *path)
{
	struct kf_secrets *s = NULL;
	struct vg_buf plain = VG_BUF_INIT_SECURE;
	uint8_t ad[KF_HEADER_LEN + 1];
	unsigned n = 0, i;
	size_t plen = 0;
	uint32_t ops, mem;
	int rc, match = -1, unwrapped = -1;

	if (payload_out == NULL || (f == NULL && len > 0) || (pass == NULL && passlen > 0))
		return vg_error_set(VG_EINVAL, "cannot open key file: bad argument");
	if ((rc = kf_check(&n, &plen, kind, f, len, path)) < 0)
		return rc;
	ops = kf_get_u32(f + 12);
	mem = kf_get_u32(f + 16);

	if ((s = sodium_malloc(sizeof(*s))) == NULL) {
		rc = vg_error_set(VG_ENOMEM, "cannot allocate secure memory");
		goto done;
	}
	if ((rc = vg_buf_grow(&plain, plen)) < 0)
		goto done;
	/*
	 * Derive for every slot even after a match, so that the time taken says nothing
	 * about which slot opened, or whether one did.
	 */
	for (i = 0; i < n; i++) {
		const uint8_t *slot = f + KF_HEADER_LEN + (size_t)i * KF_SLOT_LEN;

		if ((rc = kf_derive(s->derived, pass, passlen, slot, ops, mem)) < 0)
			goto done;
		kf_slot_ad(ad, f, i);
		if (crypto_aead_xchacha20poly1305_ietf_decrypt(
			s->value, NULL, NULL, slot + KF_SALT_LEN + KF_NONCE_LEN, KF_WRAPPED, ad,
			sizeof(ad), slot + KF_SALT_LEN, s->derived) == 0) {
			if (unwrapped < 0)
				unwrapped = (int)i;
			/* A value that does not open the payload is not the master key. */
			if (match < 0 && crypto_aead_xchacha20poly1305_ietf_decrypt(
					     plain.ptr, NULL, NULL, f + KF_PREFIX_LEN(n),
					     plen + KF_TAG_LEN, f, KF_PREFIX_LEN(n),
					     f + KF_PREFIX_LEN(n) - KF_NONCE_LEN, s->value) == 0) {
				match = (int)i;
				plain.len = plen;
				plain.ptr[plen] = '\0';
				if (slotkey != NULL)
					kf_slotkey_put(slotkey, slot, s->derived, ops, mem);
			}
		}
		sodium_memzero(s->derived, sizeof(s->derived));
		sodium_memzero(s->value, sizeof(s->value));
	}
	if (match < 0) {
		/*
		 * Only slot 0 ever wraps the master key: another slot that unwraps is a duress
		 * slot. Its message is a wrong passphrase's, word for word.
		 */
		int code = unwrapped > 0 ? VG_EDURESS : VG_EAUTH;
		if (unwrapped == 0)
			rc = kf_fail(VG_EAUTH, path, "was modified");
		else if (path != NULL)
			rc = vg_error_set(code, "wrong passphrase for key file '%s'", path);
		else
			rc = vg_error_set(code, "wrong passphrase");
		if (unwrapped > 0 && slot_out != NULL)
			*slot_out = (unsigned)unwrapped;
		goto done;
	}
	if ((rc = vg_buf_put(payload_out, plain.ptr, plain.len)) < 0)
		goto done;
	if (slot_out != NULL)
		*slot_out = (unsigned)match;
done:
	sodium_free(s); /* wipes */
	vg_buf_release(&plain);
	return rc;
}

int vg_keyfile_open(struct vg_buf *payload_out, unsigned *slot_out, enum vg_keyfile_kind kind,
		    const uint8_t *file, size_t len, const char *pass, size_t passlen)
{
	return kf_open(payload_out, slot_out, NULL, kind, file, len, pass, passlen, NULL);
}

int vg_keyfile_write(const char *path, int exclusive, enum vg_keyfile_kind kind, unsigned nslots,
		     const uint8_t *payload, size_t len, const char *pass, size_t passlen)
{
	struct vg_buf file = VG_BUF_INIT;
	int rc;

	if (path == NULL)
		return vg_error_set(VG_EINVAL, "cannot write key file: no path");
	if ((rc = vg_keyfile_seal(&file, kind, nslots, payload, len, pass, passlen)) < 0)
		goto done;
	rc = vg_fs_write_atomic(path, file.ptr, file.len, 0600, exclusive);
done:
	vg_buf_release(&file);
	return rc;
}

static int kf_read(struct vg_buf *payload_out, unsigned *slot_out, uint8_t *slotkey,
		   const char *path, enum vg_keyfile_kind kind, const char *pass, size_t passlen)
{
	struct vg_buf file = VG_BUF_INIT;
	int rc;

	if (path == NULL)
		return vg_error_set(VG_EINVAL, "cannot read key file: no path");
	if ((rc = vg_fs_read_file(&file, path, KF_FILE_MAX)) < 0)
		goto done;
	rc = kf_open(payload_out, slot_out, slotkey, kind, file.ptr, file.len, pass, passlen, path);
done:
	vg_buf_release(&file);
	return rc;
}

int vg_keyfile_read(struct vg_buf *payload_out, unsigned *slot_out, const char *path,
		    enum vg_keyfile_kind kind, const char *pass, size_t passlen)
{
	return kf_read(payload_out, slot_out, NULL, path, kind, pass, passlen);
}

int vg_keyfile_read_slotkey(struct vg_buf *payload_out, unsigned *slot_out, uint8_t *slotkey,
			    const char *path, enum vg_keyfile_kind kind, const char *pass,
			    size_t passlen)
{
	return kf_read(payload_out, slot_out, slotkey, path, kind, pass, passlen);
}
