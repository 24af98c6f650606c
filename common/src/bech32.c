#include <string.h>

#include <sodium.h>

#include "bech32.h"
#include "vigil/error.h"

#define CHECKSUM_LEN 6

static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t polymod_step(uint32_t chk, uint8_t v)
{
	static const uint32_t gen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
	uint32_t top = chk >> 25;

	chk = ((chk & 0x1ffffff) << 5) ^ v;
	for (int i = 0; i < 5; i++)
		chk ^= ((top >> i) & 1) ? gen[i] : 0;
	return chk;
}

/* The checksum state after the expanded HRP (BIP 173 hrp_expand), hrp in lower case. */
static uint32_t polymod_hrp(const char *hrp, size_t n)
{
	uint32_t chk = 1;

	for (size_t i = 0; i < n; i++)
		chk = polymod_step(chk, (uint8_t)hrp[i] >> 5);
	chk = polymod_step(chk, 0);
	for (size_t i = 0; i < n; i++)
		chk = polymod_step(chk, (uint8_t)hrp[i] & 31);
	return chk;
}

/* The 5-bit value of a lower-case data character, or -1. */
static int charset_value(char c)
{
	const char *p;

	if (c == '\0')
		return -1;
	p = strchr(charset, c);
	return p == NULL ? -1 : (int)(p - charset);
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static char upper_of(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

size_t vg_bech32_encoded_len(size_t hrp_len, size_t len)
{
	if (len > (SIZE_MAX - hrp_len - 1 - CHECKSUM_LEN) / 2)
		return SIZE_MAX;
	return hrp_len + 1 + (len * 8 + 4) / 5 + CHECKSUM_LEN;
}

int vg_bech32_encode(char *out, size_t cap, const char *hrp, const uint8_t *data, size_t len,
		     int upper)
{
	size_t hrp_len = strlen(hrp), total = vg_bech32_encoded_len(hrp_len, len), o = 0;
	uint32_t chk, acc = 0;
	unsigned bits = 0;

	if (hrp_len < 1 || hrp_len > VG_BECH32_HRP_MAX)
		return vg_error_set(VG_EINVAL, "bech32: human-readable part of %zu characters",
				    hrp_len);
	for (size_t i = 0; i < hrp_len; i++) {
		if (hrp[i] < 33 || hrp[i] > 126 || (hrp[i] >= 'A' && hrp[i] <= 'Z'))
			return vg_error_set(VG_EINVAL, "bech32: invalid human-readable part");
	}
	if (total > VG_BECH32_MAX_LEN || total >= cap)
		return vg_error_set(VG_EINVAL, "bech32: %zu bytes do not fit", len);

	chk = polymod_hrp(hrp, hrp_len);
	memcpy(out, hrp, hrp_len);
	o = hrp_len;
	out[o++] = '1';
	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8) | data[i];
		bits += 8;
		while (bits >= 5) {
			uint8_t v = (acc >> (bits - 5)) & 31;
			bits -= 5;
			chk = polymod_step(chk, v);
			out[o++] = charset[v];
		}
		acc &= (1u << bits) - 1;
	}
	if (bits > 0) {
		uint8_t v = (acc << (5 - bits)) & 31;
		chk = polymod_step(chk, v);
		out[o++] = charset[v];
	}
	for (int i = 0; i < CHECKSUM_LEN; i++)
		chk = polymod_step(chk, 0);
	chk ^= 1;
	for (int i = 0; i < CHECKSUM_LEN; i++)
		out[o++] = charset[(chk >> (5 * (5 - i))) & 31];
	out[o] = '\0';
	if (upper) {
		for (size_t i = 0; i < o; i++)
			out[i] = upper_of(out[i]);
	}
	sodium_memzero(&acc, sizeof(acc));
	return (int)o;
}

int vg_bech32_decode(char hrp[VG_BECH32_HRP_MAX + 1], uint8_t *data, size_t data_cap,
		     size_t *data_len, int *upper, const char *s, size_t len)
{
	int has_lower = 0, has_upper = 0, rc = 0;
	size_t sep = 0, dchars, nbytes, o = 0;
	uint32_t chk, acc = 0;
	unsigned bits = 0;

	*data_len = 0;
	if (len > VG_BECH32_MAX_LEN)
		return vg_error_set(VG_EFORMAT, "bech32: longer than %d characters",
				    VG_BECH32_MAX_LEN);
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c < 33 || c > 126)
			return vg_error_set(VG_EFORMAT, "bech32: invalid character at %zu", i);
		has_lower |= c >= 'a' && c <= 'z';
		has_upper |= c >= 'A' && c <= 'Z';
		if (c == '1')
			sep = i;
	}
	if (has_lower && has_upper)
		return vg_error_set(VG_EFORMAT, "bech32: mixed upper and lower case");
	if (sep == 0)
		return vg_error_set(VG_EFORMAT, "bech32: missing human-readable part or separator");
	if (sep > VG_BECH32_HRP_MAX)
		return vg_error_set(VG_EFORMAT, "bech32: human-readable part too long");
	dchars = len - sep - 1;
	if (dchars < CHECKSUM_LEN)
		return vg_error_set(VG_EFORMAT, "bech32: checksum too short");
	for (size_t i = 0; i < sep; i++)
		hrp[i] = lower(s[i]);
	hrp[sep] = '\0';
	nbytes = (dchars - CHECKSUM_LEN) * 5 / 8;
	if (data != NULL && nbytes > data_cap)
		return vg_error_set(VG_EFORMAT, "bech32: data longer than %zu bytes", data_cap);

	chk = polymod_hrp(hrp, sep);
	for (size_t i = 0; i < dchars; i++) {
		int v = charset_value(lower(s[sep + 1 + i]));
		if (v < 0) {
			rc = vg_error_set(VG_EFORMAT, "bech32: invalid data character at %zu",
					  sep + 1 + i);
			goto done;
		}
		chk = polymod_step(chk, (uint8_t)v);
		if (i >= dchars - CHECKSUM_LEN)
			continue;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (data != NULL)
				data[o] = (uint8_t)(acc >> bits);
			o++;
			acc &= (1u << bits) - 1;
		}
	}
	if (chk != 1) {
		rc = vg_error_set(VG_EFORMAT, "bech32: bad checksum");
		goto done;
	}
	/* BIP 173 convertbits without padding: what is left over must be < 5 zero bits. */
	if (bits >= 5 || acc != 0) {
		rc = vg_error_set(VG_EFORMAT, "bech32: non-canonical padding");
		goto done;
	}
	*data_len = o;
	if (upper != NULL)
		*upper = has_upper;
done:
	sodium_memzero(&acc, sizeof(acc));
	return rc;
}
