/*
 * Invitations (common/FORMAT.md, section 12): what a coordinator hands a new member so
 * that `vigil join` trusts nothing on first use. One file: a canonical JSON line naming the
 * organisation key, the remote, an optional host-key or certificate pin, the oldest roster
 * version (and its hash) the member may accept, and the member's transport credential
 * encrypted to the member; then a minisign signature of that line by the organisation key.
 *
 * The organisation key inside is only as good as the fingerprint code (vg_fingerprint_org)
 * the member compares aloud with the coordinator's: parsing checks that the invitation is
 * signed by the key it names, not that this key is the right one.
 */
#ifndef VIGIL_INVITE_H
#define VIGIL_INVITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil/buf.h"
#include "vigil/id.h"
#include "vigil/identity.h"
#include "vigil/minisign.h"
#include "vigil/roster.h"

#define VG_INVITE_MAX		 (64 * 1024)
#define VG_INVITE_REMOTE_MAX	 1024
#define VG_INVITE_CREDENTIAL_MAX (16 * 1024) /* the encrypted credential, in bytes */
#define VG_INVITE_PIN_LEN	 (7 + 64)    /* "sha256:" and 64 hex digits */

struct vg_invite {
	struct vg_minisign_pk org_key;
	uint8_t org[VG_ID_BYTES];
	char name[VG_ROSTER_NAME_MAX + 1];
	uint8_t member[VG_ID_BYTES]; /* the author id the invitation is for */
	char pseudonym[VG_PSEUDONYM_MAX + 1];
	char remote[VG_INVITE_REMOTE_MAX + 1];
	bool has_pin;
	uint8_t pin[32]; /* SHA-256 of the ssh host key blob or the TLS certificate (DER) */
	uint64_t roster_version;
	uint8_t roster_hash[VG_ID_BYTES];
	struct vg_buf credential; /* an age file to the member; empty when none */
};

void vg_invite_init(struct vg_invite *inv);
void vg_invite_release(struct vg_invite *inv);

/*
 * Fill inv for member m of roster r (its newest verified version), with remote (printable
 * ASCII without spaces, 1 to VG_INVITE_REMOTE_MAX bytes) and pin (NULL for none). When
 * credential is not NULL its clen bytes (1 .. 8192) are encrypted to the member's age
 * recipient (VG_EINVAL for an auditor, who has none). VG_EINVAL for a revoked member or
 * a bad remote.
 */
int vg_invite_prepare(struct vg_invite *inv, const struct vg_roster *r,
		      const struct vg_roster_member *m, const char *remote, const uint8_t *pin,
		      const uint8_t *credential, size_t clen) __attribute__((warn_unused_result));

/* "sha256:<64 hex>" or OpenSSH's "SHA256:<43 base64>" into out[32]. VG_EINVAL. */
int vg_invite_pin_parse(uint8_t out[32], const char *s) __attribute__((warn_unused_result));

/* The invitation file, signed with the organisation key sk, appended to out. */
int vg_invite_write(struct vg_buf *out, const struct vg_invite *inv,
		    const struct vg_minisign_sk *sk) __attribute__((warn_unused_result));

/*
 * Parse an invitation file strictly (FORMAT.md 12) and verify that the organisation key it
 * names signed it (algorithm ED, both signatures, the trusted comment agreeing with the
 * document). inv must be initialised; on failure it is released. VG_ELIMIT above
 * VG_INVITE_MAX, VG_EFORMAT, VG_EBADSIG, VG_EMISMATCH, VG_EUNSUPPORTED.
 */
int vg_invite_parse(struct vg_invite *inv, const uint8_t *text, size_t len)
    __attribute__((warn_unused_result));

#endif
