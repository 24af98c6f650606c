/*
 * The audit (common/FORMAT.md 18; CLI.md "Auditor"): everything anyone holding only the
 * organisation's public key can check of a repository, without a vault, a daemon or a
 * secret key. The roster branch from version 1 (signatures, hash chain, layout, expiry),
 * every member branch (layout of every file), every entry (signature, id, author a member
 * of the version it names, role, stanza count), every author's feed (duplicates, forks,
 * gaps, revocation cutoffs, late_accept), one .age signed more than once and, with a state
 * file, rollbacks since the last audit.
 *
 * The result is a list of findings, each with a kind, a severity, a member, a sequence
 * number and a path: what the stock-tool script (packaging/audit-with-stock-tools.sh)
 * prints too. Entries are read and verified on several threads (pthreads), each walking
 * whole directories entries/<xx> of a branch with its own handle on the repository; one
 * leaf directory and one entry per thread are in memory at a time, and what is kept per
 * entry is about a hundred bytes.
 *
 * Nothing here prints. The repository is only read; the state file is replaced atomically.
 */
#ifndef VIGIL_AUDIT_H
#define VIGIL_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "vigil/id.h"
#include "vigil/minisign.h"

#define VG_AUDIT_ENTRIES_MAX  10000000		 /* entries in one repository */
#define VG_AUDIT_REFS_MAX     100000		 /* member branches */
#define VG_AUDIT_FINDINGS_MAX 100000		 /* findings kept (the rest only counted) */
#define VG_AUDIT_STATE_MAX    (16 * 1024 * 1024) /* state file */
#define VG_AUDIT_THREADS_MAX  64
#define VG_AUDIT_QUEUE	      1024 /* directories entries/<xx> waiting for a thread */
#define VG_AUDIT_PATH_MAX     256
#define VG_AUDIT_MESSAGE_MAX  256
#define VG_AUDIT_MEMBER_MAX   (VG_ID_HEX_LEN + 1)

enum vg_audit_severity {
	VG_AUDIT_INFO = 0, /* recorded, handled by the rules (quarantine, late_accept) */
	VG_AUDIT_FAIL = 1, /* the audit fails */
};

struct vg_audit_finding {
	const char *kind; /* "signature", "fork", ... (FORMAT.md 18.2); static */
	enum vg_audit_severity severity;
	char member[VG_AUDIT_MEMBER_MAX]; /* pseudonym, 64-hex author id, or "-" */
	uint64_t seq;			  /* 0: none */
	char path[VG_AUDIT_PATH_MAX];	  /* printable ASCII without spaces, or "-" */
	char message[VG_AUDIT_MESSAGE_MAX];
};

struct vg_audit_member {
	uint8_t id[VG_ID_BYTES];
	char name[VG_AUDIT_MEMBER_MAX]; /* pseudonym, or the hex id when not a member */
	const char *role;		/* "monitor", ..., "revoked", "none" */
	bool branch;			/* has a branch in the repository */
	uint64_t entries;		/* entry pairs on the branch */
	uint64_t valid;			/* entries valid on their own */
	uint64_t quarantined, late;
	uint64_t head;	   /* highest sequence number of a valid entry */
	uint64_t failures; /* failing findings naming it */
};

struct vg_audit_report {
	uint64_t roster_version; /* newest version verified; 0: none */
	char roster_expires[11];
	uint64_t entries;  /* entry pairs walked */
	uint64_t verified; /* entries valid on their own */
	size_t failures, notices;
	struct vg_audit_finding *findings; /* sorted: member, sequence, kind, path */
	size_t nfindings;		   /* kept; failures + notices may be more */
	struct vg_audit_member *members;   /* sorted by name */
	size_t nmembers;
	unsigned threads;
	bool state_read;    /* an earlier state was compared */
	bool state_written; /* the state file was replaced */
	double seconds;
};

struct vg_audit_options {
	const char *remote;		  /* a path to a repository, or a file:// URL */
	const struct vg_minisign_pk *org; /* the organisation key, from the auditor */
	const char *state;		  /* state file (read when present, then replaced); NULL */
	time_t now;			  /* for roster expiry; 0: time(NULL) */
	unsigned threads;		  /* 0: one per online core */
	unsigned queue; /* directories waiting for a thread: 0 is VG_AUDIT_QUEUE; tests use 1 */
};

/*
 * Audit the repository. Returns 0 with *out (the caller frees it with
 * vg_audit_report_free) whatever was found: findings are the result, not errors.
 * Negative when no audit could be made: VG_ENOTFOUND (no repository there), VG_EFORMAT
 * (a malformed state file, or one of another organisation), VG_ELIMIT (a cap), VG_EIO,
 * VG_ENOMEM.
 */
int vg_audit_run(struct vg_audit_report **out, const struct vg_audit_options *o)
    __attribute__((warn_unused_result));
void vg_audit_report_free(struct vg_audit_report *r);

const char *vg_audit_severity_name(enum vg_audit_severity s);

#endif
