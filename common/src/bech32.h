/*
 * Bech32 (BIP 173) as age uses it, written here because no packaged C library offers it.
 *
 * Differences from BIP 173, as in the age specification: there is no 90-character limit
 * (age's post-quantum recipients are about 1,950 characters), so strings are bounded by
 * VG_BECH32_MAX_LEN instead. Everything else is BIP 173: a human-readable part (HRP) of 1
 * to 83 characters, the separator '1', the data part and a 6-character checksum computed
 * over the lower-case form; a string is all lower case or all upper case, never mixed.
 * Data are bytes regrouped into 5-bit values; the padding of the last group is strict
 * (fewer than 5 bits, all zero), so every byte string has exactly one encoding.
 *
 * Decoded data may be secret (age identities): the functions keep no copy of it beyond
 * the caller's buffers, and their error messages never quote the input.
 */
#ifndef VIGIL_BECH32_H
#define VIGIL_BECH32_H

#include <stddef.h>
#include <stdint.h>

/* Longest string accepted or produced (characters, without NUL). */
#define VG_BECH32_MAX_LEN 4096
#define VG_BECH32_HRP_MAX 83

/* Characters in the encoding of len bytes under an HRP of hrp_len characters. */
size_t vg_bech32_encoded_len(size_t hrp_len, size_t len);

/*
 * Encode data under hrp (lower case, printable ASCII) into out, NUL-terminated, in upper
 * case when upper is nonzero. cap is the size of out. Returns the length written, or
 * VG_EINVAL when hrp is invalid or the result does not fit in cap or VG_BECH32_MAX_LEN.
 */
int vg_bech32_encode(char *out, size_t cap, const char *hrp, const uint8_t *data, size_t len,
		     int upper);

/*
 * Decode s (len bytes, not necessarily NUL-terminated) and verify its checksum. The HRP
 * is written to hrp in lower case and NUL-terminated; the data to data (at most data_cap
 * bytes, *data_len set; with data NULL the string is only checked and *data_len says
 * how many bytes it holds); *upper tells whether s was in upper case (may be NULL).
 * Returns 0 or VG_EFORMAT with a message "bech32: ..." (mixed case, bad checksum, too
 * long, ...). On failure *data_len is 0 and data may hold a partial result, which the
 * caller wipes with its buffer.
 */
int vg_bech32_decode(char hrp[VG_BECH32_HRP_MAX + 1], uint8_t *data, size_t data_cap,
		     size_t *data_len, int *upper, const char *s, size_t len);

#endif
