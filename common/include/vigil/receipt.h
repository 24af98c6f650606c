/*
 * Receipts (common/FORMAT.md 17): a coordinator's signed, plaintext statement of how far it
 * has verified and decrypted each member's feed, one per commit of its branch
 * refs/heads/receipts/<coordinator id>. This module is the format: encoding, the strict
 * parser, the trusted comment, signing and verifying. What a device does with a receipt is
 * in vigil/deliver.h and sync.
 */
#ifndef VIGIL_RECEIPT_H
#define VIGIL_RECEIPT_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/buf.h"
#include "vigil/id.h"
#include "vigil/minisign.h"

#define VG_RECEIPT_JSON_MAX    (4 * 1024 * 1024)
#define VG_RECEIPT_SIG_MAX     (1024 + 512)
#define VG_RECEIPT_MEMBERS_MAX 10000
#define VG_RECEIPT_FILE	       "receipt.json"
#define VG_RECEIPT_SIG_FILE    "receipt.json.minisig"
#define VG_RECEIPT_REF_PREFIX  "refs/heads/receipts/"

/* One member's covered prefix: every entry 1..seq; entry is the id of the one at seq. */
struct vg_receipt_mark {
	uint8_t id[VG_ID_BYTES];
	uint64_t seq;
	uint8_t entry[VG_ID_BYTES];
};

struct vg_receipt {
	uint8_t org[VG_ID_BYTES];
	uint8_t coordinator[VG_ID_BYTES];
	uint64_t n;			 /* 1, 2, 3, ... on its branch */
	uint8_t prev[VG_ID_BYTES];	 /* hash of receipt n - 1; zero when n == 1 */
	uint64_t roster;		 /* the coordinator's current roster version */
	struct vg_receipt_mark *members; /* strictly ascending by id; malloc'd */
	size_t nmembers;
	uint8_t hash[VG_ID_BYTES]; /* BLAKE2b-256 of receipt.json: set by parse and sign */
};

/* The trusted comment's fields (FORMAT.md 17.3). */
struct vg_receipt_tc {
	uint8_t org[VG_ID_BYTES];
	uint8_t coordinator[VG_ID_BYTES];
	uint64_t n;
	uint8_t prev[VG_ID_BYTES];
	uint8_t hash[VG_ID_BYTES];
};

void vg_receipt_init(struct vg_receipt *r);
void vg_receipt_release(struct vg_receipt *r);

/* Append a mark (members must then be added in ascending id order). */
int vg_receipt_add(struct vg_receipt *r, const uint8_t id[VG_ID_BYTES], uint64_t seq,
		   const uint8_t entry[VG_ID_BYTES]) __attribute__((warn_unused_result));

/* The member's mark, or NULL. */
const struct vg_receipt_mark *vg_receipt_find(const struct vg_receipt *r,
					      const uint8_t id[VG_ID_BYTES]);

/* receipt.json (canonical JSON and one LF) appended to out; VG_EFORMAT for a bad field. */
int vg_receipt_encode(struct vg_buf *out, const struct vg_receipt *r)
    __attribute__((warn_unused_result));

/*
 * Strict parse of receipt.json (len bytes, FORMAT.md 17.2) into out (initialised by the
 * caller, released and refilled): size cap, one final LF, exactly the members, ranges,
 * order, canonical form. Fills out->hash. VG_ELIMIT, VG_EFORMAT, VG_EUNSUPPORTED (v).
 */
int vg_receipt_parse(struct vg_receipt *out, const uint8_t *json, size_t len)
    __attribute__((warn_unused_result));

int vg_receipt_tc_format(char *out, size_t outsz, const struct vg_receipt *r)
    __attribute__((warn_unused_result));
int vg_receipt_tc_parse(struct vg_receipt_tc *out, const char *tc, size_t len)
    __attribute__((warn_unused_result));

/*
 * Encode r, fill r->hash and sign it with sk (whose author id must be r->coordinator):
 * receipt.json appended to json_out, receipt.json.minisig to sig_out. Neither is changed
 * on failure.
 */
int vg_receipt_sign(struct vg_buf *json_out, struct vg_buf *sig_out, struct vg_receipt *r,
		    const struct vg_minisign_sk *sk) __attribute__((warn_unused_result));

/*
 * Verify a receipt (FORMAT.md 17.3) signed by the coordinator whose key is pk (the caller
 * found it in a roster and checked its role) and whose author id is coordinator, for the
 * organisation org: sizes, strict signature file with the constant untrusted comment,
 * both signatures (ED), then the trusted comment (org, coordinator, hash of the file), then
 * the document and its agreement with the comment. out is initialised by the caller.
 * VG_ELIMIT, VG_EFORMAT, VG_EBADSIG, VG_EMISMATCH.
 */
int vg_receipt_verify(struct vg_receipt *out, const uint8_t *json, size_t jlen, const char *sig,
		      size_t siglen, const uint8_t org[VG_ID_BYTES],
		      const uint8_t coordinator[VG_ID_BYTES], const struct vg_minisign_pk *pk)
    __attribute__((warn_unused_result));

#endif
