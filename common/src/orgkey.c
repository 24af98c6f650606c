#include <string.h>

#include <sodium.h>

#include "vigil/error.h"
#include "vigil/id.h"
#include "vigil/keyfile.h"
#include "vigil/orgkey.h"

/* Record type of the organisation key payload (FORMAT.md, "Organisation key"). */
#define REC_SIGN     1
#define REC_HDR	     3
#define PAYLOAD_SIZE (REC_HDR + VG_MINISIGN_SK_RAW_BYTES)

int vg_orgkey_encode(struct vg_buf *out, const struct vg_minisign_sk *sk)
{
	uint8_t *p = sodium_malloc(PAYLOAD_SIZE);
	int rc;

	if (p == NULL)
		return vg_error_set(VG_ENOMEM, "cannot allocate guarded memory");
	p[0] = REC_SIGN;
	p[1] = VG_MINISIGN_SK_RAW_BYTES & 0xff;
	p[2] = VG_MINISIGN_SK_RAW_BYTES >> 8;
	vg_minisign_sk_to_raw(p + REC_HDR, sk);
	rc = vg_buf_put(out, p, PAYLOAD_SIZE);
	sodium_free(p); /* wipes */
	return rc;
}

int vg_orgkey_decode(struct vg_minisign_sk **out, const uint8_t *payload, size_t len)
{
	struct vg_minisign_sk *sk = NULL;
	struct vg_minisign_pk pk;
	uint8_t keynum[VG_MINISIGN_KEYNUM_BYTES];
	int rc;

	*out = NULL;
	if (len < REC_HDR || payload[0] != REC_SIGN)
		return vg_error_set(VG_EFORMAT, "organisation key: first record is not a signing "
						"key");
	if ((size_t)(payload[1] | payload[2] << 8) != VG_MINISIGN_SK_RAW_BYTES ||
	    len < PAYLOAD_SIZE)
		return vg_error_set(VG_EFORMAT, "organisation key: signing key record has the "
						"wrong length");
	if (len != PAYLOAD_SIZE)
		return vg_error_set(VG_EFORMAT, "organisation key: unexpected records after the "
						"signing key");
	if ((rc = vg_minisign_sk_from_raw(&sk, payload + REC_HDR)) < 0)
		return vg_error_prefix(rc, "organisation key");
	vg_minisign_sk_public(&pk, sk);
	vg_id_keynum(keynum, pk.pk);
	if (memcmp(keynum, pk.keynum, sizeof(keynum)) != 0) {
		vg_minisign_sk_free(sk);
		return vg_error_set(VG_EFORMAT, "organisation key: key number is not the one "
						"derived from the key");
	}
	*out = sk;
	return 0;
}

int vg_orgkey_write(const char *path, const struct vg_minisign_sk *sk, const char *pass,
		    size_t passlen)
{
	struct vg_buf payload = VG_BUF_INIT_SECURE;
	int rc;

	if ((rc = vg_orgkey_encode(&payload, sk)) == 0)
		rc = vg_keyfile_write(path, 1, VG_KEYFILE_ORG, 1, payload.ptr, payload.len, pass,
				      passlen);
	vg_buf_release(&payload);
	return rc;
}

int vg_orgkey_read(struct vg_minisign_sk **out, const char *path, const char *pass, size_t passlen)
{
	struct vg_buf payload = VG_BUF_INIT_SECURE;
	int rc;

	*out = NULL;
	if ((rc = vg_keyfile_read(&payload, NULL, path, VG_KEYFILE_ORG, pass, passlen)) == 0)
		rc = vg_orgkey_decode(out, payload.ptr, payload.len);
	vg_buf_release(&payload);
	return rc;
}
