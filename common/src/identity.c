#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "vigil/error.h"
#include "vigil/id.h"
#include "vigil/identity.h"

#define IDENTITY_PREFIX "vigil-id:"

bool vg_pseudonym_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > VG_PSEUDONYM_MAX || s[0] < 'a' || s[0] > 'z' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

void vg_pseudonym_random(char *out)
{
	/* No 0/o or 1/l, so a pseudonym read aloud or copied by hand survives. */
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";

	memcpy(out, "m-", 2);
	for (int i = 0; i < 8; i++)
		out[2 + i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	out[10] = '\0';
}

void vg_identity_format(char *out, const struct vg_identity *id)
{
	char pk[VG_MINISIGN_PK_B64_LEN + 1], r[VG_AGE_RECIPIENT_STR_LEN + 1];

	vg_minisign_pk_encode(pk, &id->sign);
	vg_age_recipient_encode(r, &id->age);
	/* Bounded: every part has a fixed maximum (VG_IDENTITY_STR_MAX). */
	snprintf(out, VG_IDENTITY_STR_MAX + 1, IDENTITY_PREFIX "%s:%s:%s", id->pseudonym, pk, r);
}

int vg_identity_parse(struct vg_identity *out, const char *s, size_t len)
{
	char buf[VG_IDENTITY_STR_MAX + 2];
	char *name, *pk, *r, *end;
	struct vg_identity id;

	while (len > 0 && (*s == ' ' || *s == '\t' || *s == '\n'))
		s++, len--;
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' ||
			   s[len - 1] == '\r'))
		len--;
	if (len > VG_IDENTITY_STR_MAX || memchr(s, '\0', len) != NULL)
		return vg_error_set(VG_EFORMAT, "not a vigil public identity (too long)");
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (strncmp(buf, IDENTITY_PREFIX, strlen(IDENTITY_PREFIX)) != 0)
		return vg_error_set(VG_EFORMAT, "not a vigil public identity (no '%s')",
				    IDENTITY_PREFIX);
	name = buf + strlen(IDENTITY_PREFIX);
	if ((pk = strchr(name, ':')) == NULL || (r = strchr(pk + 1, ':')) == NULL)
		return vg_error_set(VG_EFORMAT,
				    "public identity needs pseudonym, key and recipient");
	*pk++ = '\0';
	*r++ = '\0';
	if ((end = strchr(r, ':')) != NULL)
		return vg_error_set(VG_EFORMAT, "public identity has extra fields");
	memset(&id, 0, sizeof(id));
	if (!vg_pseudonym_valid(name))
		return vg_error_set(VG_EFORMAT, "bad pseudonym in public identity");
	memcpy(id.pseudonym, name, strlen(name) + 1);
	if (strlen(pk) != VG_MINISIGN_PK_B64_LEN ||
	    vg_minisign_pk_parse(&id.sign, pk, strlen(pk)) < 0)
		return vg_error_set(VG_EFORMAT, "bad signing key in public identity");
	{
		uint8_t keynum[VG_MINISIGN_KEYNUM_BYTES];
		vg_id_keynum(keynum, id.sign.pk);
		if (memcmp(keynum, id.sign.keynum, sizeof(keynum)) != 0)
			return vg_error_set(VG_EFORMAT, "signing key in public identity is damaged "
							"(key number does not match the key)");
	}
	if (vg_age_recipient_parse(&id.age, r, strlen(r)) < 0)
		return vg_error_set(VG_EFORMAT, "bad age recipient in public identity");
	*out = id;
	return 0;
}

/* 25 decimal digits in groups of five from the first 16 bytes of a domain-separated hash. */
static void code_from_hash(char *out, const uint8_t h[32])
{
	unsigned __int128 v = 0, mod = 1;
	char digits[25];

	for (int i = 0; i < 16; i++)
		v = v << 8 | h[i];
	for (int i = 0; i < 25; i++)
		mod *= 10;
	v %= mod;
	for (int i = 24; i >= 0; i--) {
		digits[i] = (char)('0' + (int)(v % 10));
		v /= 10;
	}
	for (int g = 0, k = 0; g < 5; g++) {
		memcpy(out + k, digits + 5 * g, 5);
		k += 5;
		out[k++] = g < 4 ? ' ' : '\0';
	}
}

void vg_fingerprint_member(char *out, const struct vg_identity *id)
{
	static const char domain[] = "vigil fingerprint v1 member";
	crypto_generichash_state st;
	uint8_t h[32];

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)domain, sizeof(domain)); /* with NUL */
	crypto_generichash_update(&st, id->sign.pk, sizeof(id->sign.pk));
	crypto_generichash_update(&st, id->age.pk, sizeof(id->age.pk));
	crypto_generichash_final(&st, h, sizeof(h));
	code_from_hash(out, h);
}

void vg_fingerprint_org(char *out, const struct vg_minisign_pk *org)
{
	static const char domain[] = "vigil fingerprint v1 organisation";
	crypto_generichash_state st;
	uint8_t h[32];

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)domain, sizeof(domain));
	crypto_generichash_update(&st, org->pk, sizeof(org->pk));
	crypto_generichash_final(&st, h, sizeof(h));
	code_from_hash(out, h);
}
