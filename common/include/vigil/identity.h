/*
 * Public identities and fingerprint codes (common/FORMAT.md, "Public identities").
 *
 * A member's public identity is one shareable line, a single shell word:
 *   vigil-id:<pseudonym>:<minisign public key, base64 "RW...">:<age recipient "age1...">
 * A fingerprint code is 25 decimal digits in five groups of five (83 bits) over both keys,
 * for two people to compare aloud.
 */
#ifndef VIGIL_IDENTITY_H
#define VIGIL_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>

#include "vigil/age.h"
#include "vigil/minisign.h"

#define VG_PSEUDONYM_MAX   32
#define VG_FINGERPRINT_LEN 29 /* "ddddd ddddd ddddd ddddd ddddd" */
#define VG_IDENTITY_STR_MAX                                                                        \
	(9 + VG_PSEUDONYM_MAX + 1 + VG_MINISIGN_PK_B64_LEN + 1 + VG_AGE_RECIPIENT_STR_LEN)

struct vg_identity {
	char pseudonym[VG_PSEUDONYM_MAX + 1];
	struct vg_minisign_pk sign;
	struct vg_age_recipient age;
};

/* 1 to 32 characters of [a-z0-9-], starting with a letter, not ending with '-'. */
bool vg_pseudonym_valid(const char *s);
/* A random pseudonym ("m-" and 8 letters or digits) into out[VG_PSEUDONYM_MAX + 1]. */
void vg_pseudonym_random(char *out);

/* The public identity line, NUL-terminated, into out[VG_IDENTITY_STR_MAX + 1]. */
void vg_identity_format(char *out, const struct vg_identity *id);
/* Strict parse of a public identity line (surrounding whitespace allowed). VG_EFORMAT. */
int vg_identity_parse(struct vg_identity *out, const char *s, size_t len)
    __attribute__((warn_unused_result));

/* The fingerprint code of a member's two keys, into out[VG_FINGERPRINT_LEN + 1]. */
void vg_fingerprint_member(char *out, const struct vg_identity *id);
/* The fingerprint code of an organisation's signing key, into out[VG_FINGERPRINT_LEN + 1]. */
void vg_fingerprint_org(char *out, const struct vg_minisign_pk *org);

#endif
