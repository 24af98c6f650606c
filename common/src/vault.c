#include <string.h>

#include <sodium.h>

#include "vigil/error.h"
#include "vigil/fs.h"
#include "vigil/id.h"
#include "vigil/keyfile.h"
#include "vigil/vault.h"

/* Record types of the vault payload (FORMAT.md, "Vault"). */
enum {
	REC_SIGN = 1,	   /* key number (8) || Ed25519 secret key (64) */
	REC_AGE = 2,	   /* X25519 secret scalar (32) */
	REC_KEY = 3,	   /* vault key (32) */
	REC_PSEUDONYM = 4, /* 1..32 bytes of [a-z0-9-] */
	REC_KNOWN_MAX = 4,
};

void vg_vault_free(struct vg_vault *v)
{
	if (v == NULL)
		return;
	vg_minisign_sk_free(v->sign);
	vg_age_identity_free(v->age);
	if (v->key != NULL)
		sodium_free(v->key);
	if (v->slotkey != NULL)
		sodium_free(v->slotkey);
	vg_buf_release(&v->extra);
	sodium_free(v);
}

static int vault_alloc(struct vg_vault **out)
{
	struct vg_vault *v = sodium_malloc(sizeof(*v));

	*out = NULL;
	if (v == NULL)
		return vg_error_set(VG_ENOMEM, "cannot allocate guarded memory");
	memset(v, 0, sizeof(*v));
	vg_buf_init_secure(&v->extra);
	v->key = sodium_malloc(VG_VAULT_KEY_BYTES);
	v->slotkey = sodium_malloc(VG_KEYFILE_SLOTKEY_BYTES + 1);
	if (v->key == NULL || v->slotkey == NULL) {
		vg_vault_free(v);
		return vg_error_set(VG_ENOMEM, "cannot allocate guarded memory");
	}
	sodium_memzero(v->slotkey, VG_KEYFILE_SLOTKEY_BYTES + 1); /* last byte 0: none kept */
	*out = v;
	return 0;
}

int vg_vault_generate(struct vg_vault **out, const char *pseudonym)
{
	struct vg_vault *v = NULL;
	int rc;

	*out = NULL;
	if (pseudonym != NULL && !vg_pseudonym_valid(pseudonym))
		return vg_error_set(
		    VG_EINVAL,
		    "pseudonym '%s' is not 1-32 of a-z, 0-9 and '-' starting with a letter",
		    pseudonym);
	if ((rc = vault_alloc(&v)) < 0)
		return rc;
	if (pseudonym != NULL)
		memcpy(v->pseudonym, pseudonym, strlen(pseudonym) + 1);
	else
		vg_pseudonym_random(v->pseudonym);
	randombytes_buf(v->key, VG_VAULT_KEY_BYTES);
	if ((rc = vg_minisign_sk_generate(&v->sign)) < 0 ||
	    (rc = vg_age_identity_generate(&v->age)) < 0 || (rc = vg_vault_duress_clear(v)) < 0) {
		vg_vault_free(v);
		return rc;
	}
	*out = v;
	return 0;
}

int vg_vault_duress_set(struct vg_vault *v, const char *pass, size_t passlen)
{
	uint8_t *rec = sodium_malloc(VG_VAULT_DURESS_BYTES);
	int rc;

	if (rec == NULL)
		return vg_error_set(VG_ENOMEM, "cannot allocate secure memory");
	if ((rc = vg_keyfile_derive(rec, rec + 16, pass, passlen)) == 0)
		rc = vg_vault_record_set(v, VG_VAULT_REC_DURESS, rec, VG_VAULT_DURESS_BYTES);
	sodium_free(rec); /* wipes */
	return rc;
}

int vg_vault_duress_clear(struct vg_vault *v)
{
	uint8_t *rec = sodium_malloc(VG_VAULT_DURESS_BYTES);
	int rc;

	if (rec == NULL)
		return vg_error_set(VG_ENOMEM, "cannot allocate secure memory");
	/* A random salt and key: what a duress passphrase nobody knows would give. */
	randombytes_buf(rec, VG_VAULT_DURESS_BYTES);
	rc = vg_vault_record_set(v, VG_VAULT_REC_DURESS, rec, VG_VAULT_DURESS_BYTES);
	sodium_free(rec);
	return rc;
}

void vg_vault_identity(struct vg_identity *out, const struct vg_vault *v)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->pseudonym, v->pseudonym, sizeof(out->pseudonym));
	vg_minisign_sk_public(&out->sign, v->sign);
	vg_age_identity_recipient(&out->age, v->age);
}

static int put_record(struct vg_buf *out, uint8_t type, const uint8_t *val, size_t len)
{
	uint8_t hdr[3] = {type, (uint8_t)(len & 0xff), (uint8_t)(len >> 8)};
	int rc;

	if (len > 0xffff)
		return vg_error_set(VG_EINVAL, "vault record too long");
	if ((rc = vg_buf_put(out, hdr, sizeof(hdr))) < 0)
		return rc;
	return vg_buf_put(out, val, len);
}

int vg_vault_encode(struct vg_buf *out, const struct vg_vault *v)
{
	uint8_t *raw = sodium_malloc(VG_MINISIGN_SK_RAW_BYTES);
	int rc;

	if (raw == NULL)
		return vg_error_set(VG_ENOMEM, "cannot allocate guarded memory");
	vg_minisign_sk_to_raw(raw, v->sign);
	rc = put_record(out, REC_SIGN, raw, VG_MINISIGN_SK_RAW_BYTES);
	if (rc == 0) {
		vg_age_identity_to_raw(raw, v->age);
		rc = put_record(out, REC_AGE, raw, VG_AGE_X25519_BYTES);
	}
	if (rc == 0)
		rc = put_record(out, REC_KEY, v->key, VG_VAULT_KEY_BYTES);
	if (rc == 0)
		rc = put_record(out, REC_PSEUDONYM, (const uint8_t *)v->pseudonym,
				strlen(v->pseudonym));
	if (rc == 0 && v->extra.len > 0)
		rc = vg_buf_put(out, v->extra.ptr, v->extra.len);
	sodium_free(raw);
	return rc;
}

int vg_vault_decode(struct vg_vault **out, const uint8_t *p, size_t len)
{
	struct vg_vault *v = NULL;
	unsigned seen = 0;
	size_t off = 0;
	int rc;

	*out = NULL;
	if ((rc = vault_alloc(&v)) < 0)
		return rc;
	while (off < len) {
		uint8_t type;
		size_t n;

		if (len - off < 3) {
			rc = vg_error_set(VG_EFORMAT, "vault: truncated record header");
			goto done;
		}
		type = p[off];
		n = (size_t)p[off + 1] | (size_t)p[off + 2] << 8;
		if (len - off - 3 < n) {
			rc = vg_error_set(VG_EFORMAT, "vault: truncated record");
			goto done;
		}
		if (type >= 1 && type <= REC_KNOWN_MAX) {
			if (seen & (1u << type)) {
				rc = vg_error_set(VG_EFORMAT, "vault: record %u appears twice",
						  type);
				goto done;
			}
			seen |= 1u << type;
		}
		const uint8_t *val = p + off + 3;
		switch (type) {
		case REC_SIGN:
			rc = n == VG_MINISIGN_SK_RAW_BYTES
				 ? vg_minisign_sk_from_raw(&v->sign, val)
				 : vg_error_set(VG_EFORMAT, "vault: bad signing key");
			break;
		case REC_AGE:
			rc = n == VG_AGE_X25519_BYTES
				 ? vg_age_identity_from_raw(&v->age, val)
				 : vg_error_set(VG_EFORMAT, "vault: bad age identity");
			break;
		case REC_KEY:
			if (n != VG_VAULT_KEY_BYTES)
				rc = vg_error_set(VG_EFORMAT, "vault: bad vault key");
			else
				memcpy(v->key, val, n);
			break;
		case REC_PSEUDONYM:
			if (n < 1 || n > VG_PSEUDONYM_MAX) {
				rc = vg_error_set(VG_EFORMAT, "vault: bad pseudonym");
				break;
			}
			memcpy(v->pseudonym, val, n);
			v->pseudonym[n] = '\0';
			if (!vg_pseudonym_valid(v->pseudonym))
				rc = vg_error_set(VG_EFORMAT, "vault: bad pseudonym");
			break;
		case 0:
			rc = vg_error_set(VG_EFORMAT, "vault: record of type 0");
			break;
		default:
			/* Added by a later part of vigil: kept verbatim. */
			rc = vg_buf_put(&v->extra, p + off, 3 + n);
			break;
		}
		if (rc < 0)
			goto done;
		off += 3 + n;
	}
	if (seen != (1u << REC_SIGN | 1u << REC_AGE | 1u << REC_KEY | 1u << REC_PSEUDONYM)) {
		rc = vg_error_set(VG_EFORMAT, "vault: a required record is missing");
		goto done;
	}
	*out = v;
	v = NULL;
done:
	vg_vault_free(v);
	return rc;
}

int vg_vault_write(const char *path, int exclusive, const struct vg_vault *v, const char *pass,
		   size_t passlen)
{
	struct vg_buf payload = VG_BUF_INIT_SECURE, file = VG_BUF_INIT;
	const uint8_t *duress = NULL;
	uint8_t *random_slot = NULL;
	size_t dlen = 0;
	int rc;

	/* Slot 1 is the duress slot, keyed from record 8; a random one when there is none. */
	if (vg_vault_record_get(v, VG_VAULT_REC_DURESS, &duress, &dlen) < 0 ||
	    dlen != VG_VAULT_DURESS_BYTES) {
		if ((random_slot = sodium_malloc(VG_VAULT_DURESS_BYTES)) == NULL)
			return vg_error_set(VG_ENOMEM, "cannot allocate secure memory");
		randombytes_buf(random_slot, VG_VAULT_DURESS_BYTES);
		duress = random_slot;
	}
	if (pass == NULL && v->slotkey[VG_KEYFILE_SLOTKEY_BYTES] != 1) {
		sodium_free(random_slot);
		return vg_error_set(VG_EINVAL, "cannot reseal the vault: no passphrase and no kept "
					       "slot key");
	}
	/* The slot key written is kept (the pointee, not v itself, changes): a later reseal
	 * without passphrase keeps this passphrase. */
	if ((rc = vg_vault_encode(&payload, v)) == 0 &&
	    (rc = vg_keyfile_seal_slotkey(&file, VG_KEYFILE_VAULT, VG_VAULT_SLOTS, payload.ptr,
					  payload.len, pass, passlen, v->slotkey, 1, duress,
					  duress + 16)) == 0) {
		v->slotkey[VG_KEYFILE_SLOTKEY_BYTES] = 1;
		rc = vg_fs_write_atomic(path, file.ptr, file.len, 0600, exclusive);
	}
	vg_buf_release(&payload);
	vg_buf_release(&file);
	sodium_free(random_slot);
	return rc;
}

int vg_vault_read(struct vg_vault **out, const char *path, const char *pass, size_t passlen)
{
	struct vg_buf payload = VG_BUF_INIT_SECURE;
	uint8_t *slotkey = sodium_malloc(VG_KEYFILE_SLOTKEY_BYTES);
	int rc;

	*out = NULL;
	if (slotkey == NULL)
		return vg_error_set(VG_ENOMEM, "cannot allocate guarded memory");
	rc =
	    vg_keyfile_read_slotkey(&payload, NULL, slotkey, path, VG_KEYFILE_VAULT, pass, passlen);
	if (rc == 0)
		rc = vg_vault_decode(out, payload.ptr, payload.len);
	if (rc == 0) {
		memcpy((*out)->slotkey, slotkey, VG_KEYFILE_SLOTKEY_BYTES);
		(*out)->slotkey[VG_KEYFILE_SLOTKEY_BYTES] = 1;
	}
	sodium_free(slotkey);
	vg_buf_release(&payload);
	return rc;
}

int vg_vault_record_get(const struct vg_vault *v, uint8_t type, const uint8_t **val, size_t *len)
{
	const uint8_t *p = v->extra.ptr;
	size_t off = 0, n;

	if (type <= REC_KNOWN_MAX)
		return vg_error_set(VG_EINVAL, "vault record %u is not an extra record", type);
	/* extra holds whole records only: vg_vault_decode and vg_vault_record_set check so. */
	while (off + 3 <= v->extra.len) {
		n = (size_t)p[off + 1] | (size_t)p[off + 2] << 8;
		if (p[off] == type) {
			*val = p + off + 3;
			*len = n;
			return 0;
		}
		off += 3 + n;
	}
	return vg_error_set(VG_ENOTFOUND, "no vault record of type %u", type);
}

int vg_vault_record_set(struct vg_vault *v, uint8_t type, const uint8_t *val, size_t len)
{
	struct vg_buf next = VG_BUF_INIT_SECURE;
	const uint8_t *p = v->extra.ptr;
	size_t off = 0, n;
	int rc = 0;

	if (type <= REC_KNOWN_MAX)
		return vg_error_set(VG_EINVAL, "vault record %u is not an extra record", type);
	if (len > 0xffff)
		return vg_error_set(VG_EINVAL, "vault record too long");
	while (rc == 0 && off + 3 <= v->extra.len) {
		n = (size_t)p[off + 1] | (size_t)p[off + 2] << 8;
		if (p[off] != type)
			rc = vg_buf_put(&next, p + off, 3 + n);
		off += 3 + n;
	}
	if (rc == 0 && val != NULL)
		rc = put_record(&next, type, val, len);
	if (rc < 0) {
		vg_buf_release(&next);
		return rc;
	}
	vg_buf_release(&v->extra);
	v->extra = next;
	return 0;
}

uint64_t vg_vault_generation(const struct vg_vault *v)
{
	const uint8_t *val;
	size_t len;
	uint64_t g = 0;

	if (vg_vault_record_get(v, VG_VAULT_REC_GENERATION, &val, &len) < 0 || len != 8)
		return 0;
	for (int i = 0; i < 8; i++)
		g |= (uint64_t)val[i] << (8 * i);
	return g;
}

int vg_vault_set_generation(struct vg_vault *v, uint64_t g)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(g >> (8 * i));
	return vg_vault_record_set(v, VG_VAULT_REC_GENERATION, b, sizeof(b));
}

int vg_vault_copy(struct vg_vault **out, const struct vg_vault *v)
{
	struct vg_buf payload = VG_BUF_INIT_SECURE;
	int rc;

	*out = NULL;
	if ((rc = vg_vault_encode(&payload, v)) == 0 &&
	    (rc = vg_vault_decode(out, payload.ptr, payload.len)) == 0)
		memcpy((*out)->slotkey, v->slotkey, VG_KEYFILE_SLOTKEY_BYTES + 1);
	vg_buf_release(&payload);
	return rc;
}
