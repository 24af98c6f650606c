/*
 * Entries: one signed, encrypted change to a case, as two files stock tools read
 * (<id>.age and <id>.age.minisig). Specified in common/FORMAT.md, section 4; verification
 * order in section 5.
 *
 * Sealing builds the canonical plaintext, pads it to the organisation's bucket, encrypts it
 * to exactly the recipients given (those of the roster version named in the metadata),
 * signs the .age bytes and computes the id. Verifying checks sizes, the signature and the
 * trusted comment before a single byte of the .age file is parsed, then the id and the
 * stanza count. Opening decrypts a verified entry and checks the plaintext's canonical form,
 * padding and its repetition of the signed metadata.
 *
 * Documents are jansson values; jansson's memory is wiped on free (see vg_init).
 */
#ifndef VIGIL_ENTRY_H
#define VIGIL_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "vigil/age.h"
#include "vigil/buf.h"
#include "vigil/id.h"
#include "vigil/minisign.h"

#define VG_ENTRY_PLAINTEXT_MAX	(1024 * 1024)
#define VG_ENTRY_AGE_MAX	(VG_ENTRY_PLAINTEXT_MAX + 64 * 1024)
#define VG_ENTRY_SIG_MAX	(1024 + 512)
#define VG_ENTRY_INT_MAX	9007199254740991ULL /* 2^53 - 1 */
#define VG_ENTRY_BUCKET_MIN	256
#define VG_ENTRY_BUCKET_MAX	65536
#define VG_ENTRY_BUCKET_DEFAULT 1024
#define VG_CASE_ID_BYTES	16
#define VG_ENTRY_DEPTH_MAX	32
/* The constant untrusted comment of every vigil signature. */
#define VG_SIGNATURE_COMMENT "vigil signature"

/* The trusted comment's fields (FORMAT.md 4.3). */
struct vg_entry_meta {
	uint8_t org[VG_ID_BYTES];
	uint8_t author[VG_ID_BYTES];
	uint64_t seq;
	uint8_t prev[VG_ID_BYTES]; /* all zero when seq == 1 */
	uint64_t roster;
};

/* Both files of an entry and its id. */
struct vg_entry {
	struct vg_buf age;
	struct vg_buf sig;
	uint8_t id[VG_ID_BYTES];
	struct vg_entry_meta meta;
};

enum vg_entry_type {
	VG_ENTRY_OPEN,
	VG_ENTRY_EVENT,
	VG_ENTRY_CORRECT,
	VG_ENTRY_REDACT,
	VG_ENTRY_LINK,
	VG_ENTRY_UNLINK,
};

/*
 * Reusable guarded working memory for sealing or opening many entries (an import, a
 * coordinator's sync): the plaintext and the age secrets of each operation live here
 * instead of in fresh guarded allocations, and are wiped after each call. Not shared
 * between threads.
 */
struct vg_entry_work {
	struct vg_buf age;
	struct vg_buf pt;
};
#define VG_ENTRY_WORK_INIT                                                                         \
	{                                                                                          \
		VG_BUF_INIT_SECURE, VG_BUF_INIT_SECURE                                             \
	}
void vg_entry_work_release(struct vg_entry_work *w);

void vg_entry_init(struct vg_entry *e);
void vg_entry_release(struct vg_entry *e);

/* "open", "event", ...; NULL for an unknown value. */
const char *vg_entry_type_name(enum vg_entry_type t);

/* The trusted comment, NUL-terminated, into out (at least VG_MINISIGN_COMMENT_MAX + 1). */
int vg_entry_tc_format(char *out, size_t outsz, const struct vg_entry_meta *m)
    __attribute__((warn_unused_result));
/* Strict parse of the grammar of FORMAT.md 4.3 (len bytes, no NUL needed). VG_EFORMAT. */
int vg_entry_tc_parse(struct vg_entry_meta *out, const char *tc, size_t len)
    __attribute__((warn_unused_result));

/* The id of an entry from its two files (FORMAT.md 4.2); VG_EFORMAT for a bad .minisig. */
int vg_entry_compute_id(uint8_t out[VG_ID_BYTES], const uint8_t *age, size_t agelen,
			const char *sig, size_t siglen) __attribute__((warn_unused_result));

/* What to seal: the document's case, type, client time and body. */
struct vg_entry_content {
	enum vg_entry_type type;
	uint8_t case_id[VG_CASE_ID_BYTES];
	const char *time; /* "YYYY-MM-DDTHH:MM:SSZ"; NULL means the current UTC time */
	json_t *body;	  /* an object; borrowed */
};

/*
 * Seal content as the entry described by meta (whose author must be the id of sk's key)
 * to exactly the n recipients given, padded to bucket. out must be initialised; on success
 * it holds both files, the id and the metadata. When file_key_out is not NULL the age file
 * key is written there (VG_AGE_FILE_KEY_BYTES, guarded memory of the caller). work may be
 * NULL.
 */
int vg_entry_seal(struct vg_entry *out, uint8_t *file_key_out, const struct vg_minisign_sk *sk,
		  const struct vg_entry_meta *meta, const struct vg_age_recipient *rcpts, size_t n,
		  size_t bucket, const struct vg_entry_content *content, struct vg_entry_work *work)
    __attribute__((warn_unused_result));

/*
 * How a verifier finds the signer and the recipient count: given the metadata of an entry
 * whose signature is not yet checked, return the key of its author and the number of
 * recipients of the roster version it names, or VG_ENOTFOUND (unknown author or version)
 * with a message. Only the key's signature makes the metadata trustworthy.
 */
typedef int (*vg_entry_resolve_fn)(void *ctx, const struct vg_entry_meta *meta,
				   struct vg_minisign_pk *pk_out, size_t *nstanzas_out);

/*
 * Verify an entry without decrypting it (FORMAT.md 5, steps 1-4): sizes; strict signature
 * file with the constant untrusted comment; trusted comment grammar; its org equal to org;
 * the author's key from resolve, whose id must be the signed author id; both signatures
 * (ED only); then the id (and, when expected_id is not NULL, equality with it, for file
 * names); then the age header: only X25519 stanzas, exactly as many as resolve said. On
 * success fills meta_out and id_out (either may be NULL). VG_ELIMIT, VG_EFORMAT,
 * VG_EBADSIG, VG_EMISMATCH, VG_ENOTFOUND, each with the reason.
 */
int vg_entry_verify(struct vg_entry_meta *meta_out, uint8_t *id_out, const uint8_t *age,
		    size_t agelen, const char *sig, size_t siglen, const uint8_t org[VG_ID_BYTES],
		    vg_entry_resolve_fn resolve, void *ctx, const uint8_t *expected_id)
    __attribute__((warn_unused_result));

/*
 * Which check of vg_entry_verify an entry failed, in the order they run (FORMAT.md 5), for
 * verifiers that report a kind of failure (the audit) rather than only refuse.
 */
enum vg_entry_check {
	VG_ENTRY_CHECK_NONE = 0,  /* passed */
	VG_ENTRY_CHECK_FORMAT,	  /* sizes, signature file, trusted comment grammar */
	VG_ENTRY_CHECK_ORG,	  /* another organisation */
	VG_ENTRY_CHECK_RESOLVE,	  /* resolve refused: unknown author or roster version */
	VG_ENTRY_CHECK_SIGNATURE, /* the signature or the global signature */
	VG_ENTRY_CHECK_ID,	  /* the id is not the expected one (file name) */
	VG_ENTRY_CHECK_STANZAS,	  /* age header malformed, a stanza not X25519, a wrong count */
};

/* What vg_entry_verify_step says beyond pass or fail. */
struct vg_entry_step {
	enum vg_entry_check failed; /* the check that failed; NONE when it passed */
	/* BLAKE2b-512 of the .age file, the signature's prehash: set once the signature
	 * check ran, so on success. A key of the file's bytes for verifiers that compare
	 * files (the audit) without hashing them again. */
	uint8_t age_hash[VG_MINISIGN_HASH_BYTES];
};

/* vg_entry_verify, filling *step (not NULL). */
int vg_entry_verify_step(struct vg_entry_meta *meta_out, uint8_t *id_out, const uint8_t *age,
			 size_t agelen, const char *sig, size_t siglen,
			 const uint8_t org[VG_ID_BYTES], vg_entry_resolve_fn resolve, void *ctx,
			 const uint8_t *expected_id, struct vg_entry_step *step)
    __attribute__((warn_unused_result));

/*
 * Decrypt a verified entry with an identity, or with a file key when id is NULL, and
 * check its plaintext (vg_entry_plaintext_check). *doc_out receives the document (the
 * caller json_decref's it). work may be NULL.
 */
int vg_entry_open(json_t **doc_out, const struct vg_entry_meta *meta, const uint8_t *age,
		  size_t agelen, const struct vg_age_identity *id, const uint8_t *file_key,
		  size_t bucket, struct vg_entry_work *work) __attribute__((warn_unused_result));

/*
 * Check a decrypted plaintext: length a multiple of bucket with minimal padding of spaces
 * and one final LF, canonical JSON (FORMAT.md 4.5), exactly the top-level members, and
 * org, author, seq equal to meta's (VG_EMISMATCH otherwise). On success *doc_out (may be
 * NULL) receives the document.
 */
int vg_entry_plaintext_check(json_t **doc_out, const uint8_t *pt, size_t len, size_t bucket,
			     const struct vg_entry_meta *meta) __attribute__((warn_unused_result));

/* Canonical JSON of v appended to out (FORMAT.md 4.5); VG_EFORMAT for a value it forbids. */
int vg_json_canonical(struct vg_buf *out, const json_t *v) __attribute__((warn_unused_result));

#endif
