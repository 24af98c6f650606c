#include <string.h>

#include <sodium.h>

#include "vigil/error.h"
#include "vigil/id.h"

void vg_id_of_key(uint8_t out[VG_ID_BYTES], const struct vg_minisign_pk *pk)
{
	crypto_generichash(out, VG_ID_BYTES, pk->pk, sizeof(pk->pk), NULL, 0);
}

void vg_id_keynum(uint8_t out[VG_MINISIGN_KEYNUM_BYTES], const uint8_t pk[VG_MINISIGN_PK_BYTES])
{
	uint8_t h[VG_ID_BYTES];

	crypto_generichash(h, sizeof(h), pk, VG_MINISIGN_PK_BYTES, NULL, 0);
	memcpy(out, h, VG_MINISIGN_KEYNUM_BYTES);
}

/* The longest id vg_hex_find takes. */
#define VG_HEX_FIND_MAX 64

void vg_hex_encode(char *out, const uint8_t *in, size_t len)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

/*
 * The value of a lower-case hex digit, or -1. Without a branch on the digit: ids are random,
 * so a comparison per digit was a mispredicted jump half the time (an audit decodes five
 * ids per entry), and keys decoded here leak nothing through the branch predictor.
 */
static int hex_nibble(char ch)
{
	unsigned c = (unsigned char)ch;
	unsigned num = c ^ 48U;						    /* '0'..'9': 0..9 */
	unsigned num_ok = ((num - 10U) >> 8) & 0xffU;			    /* 0xff if num < 10 */
	unsigned alpha = c - 87U;					    /* 'a'..'f': 10..15 */
	unsigned alpha_ok = (((alpha - 10U) ^ (alpha - 16U)) >> 8) & 0xffU; /* 0xff if 10..15 */

	if ((num_ok | alpha_ok) == 0)
		return -1;
	return (int)((num & num_ok) | (alpha & alpha_ok));
}

int vg_hex_decode(uint8_t *out, size_t len, const char *s, size_t slen)
{
	if (len > SIZE_MAX / 2 || slen != 2 * len)
		return vg_error_set(VG_EFORMAT, "expected %zu hex digits, got %zu characters",
				    2 * len, slen);
	for (size_t i = 0; i < len; i++) {
		int hi = hex_nibble(s[2 * i]), lo = hex_nibble(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return vg_error_set(VG_EFORMAT, "not a lower-case hex digit at offset %zu",
					    hi < 0 ? 2 * i : 2 * i + 1);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int vg_hex_find(size_t *pos, const char *s, size_t min, size_t n, size_t idlen, vg_hex_id_fn id,
		vg_hex_accept_fn accept, void *ctx)
{
	size_t len = strlen(s), hits = 0;
	uint8_t want[VG_HEX_FIND_MAX];
	int nib[2];

	*pos = SIZE_MAX;
	if (len < min || len < 1 || len > 2 * idlen || idlen > VG_HEX_FIND_MAX)
		return VG_EFORMAT;
	/* The prefix as bytes (its whole ones) and, for an odd length, one nibble more. */
	for (size_t i = 0; i < len; i += 2) {
		if ((nib[0] = hex_nibble(s[i])) < 0 ||
		    (nib[1] = i + 1 < len ? hex_nibble(s[i + 1]) : 0) < 0)
			return VG_EFORMAT;
		want[i / 2] = (uint8_t)(nib[0] << 4 | nib[1]);
	}
	for (size_t i = 0; i < n; i++) {
		const uint8_t *x = id(ctx, i);

		if (memcmp(x, want, len / 2) != 0 ||
		    (len % 2 == 1 && (x[len / 2] >> 4) != (want[len / 2] >> 4)))
			continue;
		if (accept != NULL && !accept(ctx, i))
			continue;
		*pos = i;
		hits++;
	}
	if (hits > 1)
		*pos = SIZE_MAX;
	return hits == 1 ? 0 : hits > 1 ? VG_EINVAL : VG_ENOTFOUND;
}
