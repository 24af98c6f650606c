/*
 * libFuzzer harness for the age parsers. Every input goes to vg_age_header_parse, to
 * vg_age_decrypt with the fixed identity most C2SP vectors use (so mutated copies of the
 * seeds in corpus/age_header/ get past the stanza and into the MAC and the STREAM
 * payload), to vg_age_decrypt_with_key with the vectors' file key, and, when short, to
 * the recipient and identity parsers. Checked besides "no crash, no leak": only the
 * documented codes come back; an accepted header re-encodes to exactly its input bytes
 * (the grammar is canonical, so there is one encoding per header); a header the parser
 * refuses makes decryption fail with the same code; a failed decryption leaves no
 * plaintext; an accepted key string re-encodes to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vigil/age.h"
#include "vigil/buf.h"
#include "vigil/error.h"
#include "vigil/vigil.h"

#define FUZZ_IDENTITY "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0"
#define FUZZ_FILE_KEY "YELLOW SUBMARINE"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_code(int rc)
{
	switch (rc) {
	case 0:
	case VG_EFORMAT:
	case VG_EUNSUPPORTED:
	case VG_ENOKEY:
	case VG_EMAC:
	case VG_EPAYLOAD:
		return;
	default:
		abort();
	}
}

static void put_b64(struct vg_buf *b, const uint8_t *p, size_t n)
{
	size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	char *s = malloc(cap);

	if (s == NULL)
		abort();
	sodium_bin2base64(s, cap, p, n, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	if (vg_buf_puts(b, s) < 0)
		abort();
	free(s);
}

/* The one canonical encoding of a parsed header. */
static void reencode(struct vg_buf *b, const struct vg_age_header *h)
{
	struct vg_buf body = VG_BUF_INIT;

	if (vg_buf_puts(b, "age-encryption.org/v1\n") < 0)
		abort();
	for (size_t i = 0; i < h->nstanzas; i++) {
		const struct vg_age_stanza *st = &h->stanzas[i];
		size_t off = 0;

		if (vg_buf_printf(b, "-> %s", st->type) < 0)
			abort();
		for (size_t j = 0; j < st->nargs; j++) {
			if (vg_buf_printf(b, " %s", st->args[j]) < 0)
				abort();
		}
		if (vg_buf_putc(b, '\n') < 0)
			abort();
		vg_buf_clear(&body);
		put_b64(&body, st->body, st->body_len);
		for (;;) {
			size_t n = body.len - off < 64 ? body.len - off : 64;
			if (vg_buf_put(b, body.ptr + off, n) < 0 || vg_buf_putc(b, '\n') < 0)
				abort();
			off += n;
			if (n < 64)
				break;
		}
	}
	if (vg_buf_puts(b, "--- ") < 0)
		abort();
	put_b64(b, h->mac, sizeof(h->mac));
	if (vg_buf_putc(b, '\n') < 0)
		abort();
	vg_buf_release(&body);
}

static void fuzz_header(const uint8_t *data, size_t size, int *parse_rc)
{
	struct vg_age_header *h = NULL;
	struct vg_buf again = VG_BUF_INIT;
	int rc = vg_age_header_parse(&h, data, size);

	check_code(rc);
	*parse_rc = rc;
	if (rc < 0) {
		if (h != NULL || (rc != VG_EFORMAT && rc != VG_EUNSUPPORTED))
			abort();
		return;
	}
	if (h->nstanzas == 0 || h->len > size || h->len > VG_AGE_HEADER_MAX)
		abort();
	for (size_t i = 0; i < h->nstanzas; i++) {
		if (strcmp(h->stanzas[i].type, "X25519") == 0 &&
		    (h->stanzas[i].nargs != 1 || h->stanzas[i].body_len != 32))
			abort();
	}
	reencode(&again, h);
	if (again.len != h->len || memcmp(again.ptr, data, h->len) != 0)
		abort();
	vg_buf_release(&again);
	vg_age_header_free(h);
}

static void fuzz_decrypt(const uint8_t *data, size_t size, const struct vg_age_identity *id,
			 int parse_rc)
{
	struct vg_buf pt = VG_BUF_INIT_SECURE;
	int rc = vg_age_decrypt(&pt, id, data, size);

	check_code(rc);
	if (rc < 0 && pt.len != 0)
		abort();
	if (parse_rc < 0 && rc != parse_rc)
		abort();
	vg_buf_clear(&pt);
	rc = vg_age_decrypt_with_key(&pt, (const uint8_t *)FUZZ_FILE_KEY, data, size);
	check_code(rc);
	if (rc == VG_ENOKEY || (rc < 0 && pt.len != 0) || (parse_rc < 0 && rc != parse_rc))
		abort();
	vg_buf_release(&pt);
}

static void fuzz_keys(const uint8_t *data, size_t size)
{
	struct vg_age_recipient r;
	struct vg_age_identity *id = NULL;
	char s[VG_AGE_RECIPIENT_STR_LEN + 1];
	int rc;

	if (size > 5000)
		return;
	rc = vg_age_recipient_parse(&r, (const char *)data, size);
	check_code(rc);
	if (rc == 0) {
		vg_age_recipient_encode(s, &r);
		if (size != strlen(s) || memcmp(s, data, size) != 0)
			abort();
	}
	rc = vg_age_identity_parse(&id, (const char *)data, size);
	check_code(rc);
	if (rc == 0) {
		struct vg_buf enc = VG_BUF_INIT_SECURE;
		if (vg_age_identity_encode(&enc, id) < 0 || enc.len != size)
			abort();
		for (size_t i = 0; i < size; i++) {
			uint8_t c = data[i];
			if (c >= 'a' && c <= 'z')
				c = (uint8_t)(c - 'a' + 'A');
			if (enc.ptr[i] != c)
				abort();
		}
		vg_buf_release(&enc);
		vg_age_identity_free(id);
	} else if (id != NULL) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vg_age_identity *id;
	int parse_rc = 0;

	if (id == NULL) {
		if (vg_init() != 0 ||
		    vg_age_identity_parse(&id, FUZZ_IDENTITY, strlen(FUZZ_IDENTITY)) != 0)
			abort();
	}
	fuzz_header(data, size, &parse_rc);
	fuzz_decrypt(data, size, id, parse_rc);
	fuzz_keys(data, size);
	return 0;
}
