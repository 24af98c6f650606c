/*
 * A case's state, derived from its entries (common/FORMAT.md 4.6, "A case's view"). Pure:
 * no store, no keys, no I/O; the daemon's case index and the coordinator's merged view
 * both feed it the entries they can read.
 *
 * Each entry is reduced to a struct vg_case_item: what the derivation needs (type, the ids
 * it supersedes, an event's date and status, a person's name and country), optionally with
 * its whole body for a full view. The derivation:
 * - an entry is withdrawn when a redaction that is not itself withdrawn supersedes it; an
 *   event whose reporting entry is withdrawn is withdrawn with its corrections, and a case
 *   whose open entry is withdrawn is withdrawn;
 * - the person is the open body's, replaced by a correction with a person that supersedes
 *   it (or supersedes a correction of it), and so on;
 * - events are the event entries, each replaced by the correction that supersedes it;
 * - a superseded entry with more than one live successor is a conflict: every successor is
 *   shown, marked, never the last writer alone (clocks are not trusted);
 * - events are ordered by date (vg_record_date_cmp: a less precise date first, unknown
 *   last), ties by the order of the entry that reported the event first, then by id;
 * - the status is that of the last event in this order that has one.
 *
 * Text held by an item is its own (copied, wiped when released): items may outlive the
 * document they came from. Not thread-safe; no globals.
 */
#ifndef VIGIL_CASES_H
#define VIGIL_CASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "vigil/buf.h"
#include "vigil/entry.h"
#include "vigil/id.h"

#define VG_CASE_DATE_MAX 10 /* "YYYY-MM-DD" */
#define VG_CASE_ID_HEX	 (2 * VG_CASE_ID_BYTES)

/* What the derivation needs of one entry of a case. */
struct vg_case_item {
	uint8_t id[VG_ID_BYTES]; /* entry id, or a draft's id (FORMAT.md 9) */
	uint64_t order;		 /* the author's sequence number or the draft number: ties */
	enum vg_entry_type type;
	bool draft;
	char date[VG_CASE_DATE_MAX + 1];    /* an event's date; "" when unknown or no event */
	char *status;			    /* an event's status, or NULL */
	char *name;			    /* a person's name (open, person correction), or NULL */
	char *country;			    /* a person's country, or NULL */
	uint8_t (*supersedes)[VG_ID_BYTES]; /* correct, redact: the ids named; else NULL */
	size_t nsupersedes;
	json_t *body; /* the whole body (a reference), or NULL when only summarised */
};

/*
 * Fill item from the body of an entry of type type (it must pass vg_record_check; checked
 * again here). With keep_body the item holds a reference to body for vg_case_view.
 * VG_EFORMAT (with vg_record_check's message), VG_ENOMEM. Release with
 * vg_case_item_release, also after a failure.
 */
int vg_case_item_init(struct vg_case_item *item, const uint8_t id[VG_ID_BYTES], uint64_t order,
		      enum vg_entry_type type, bool draft, json_t *body, bool keep_body)
    __attribute__((warn_unused_result));
/* Wipe and free what the item holds; the item is zeroed. */
void vg_case_item_release(struct vg_case_item *item);

/*
 * One version of the person or of an event as the case shows it: items[item] is the entry
 * whose body holds it; root is the entry that first reported it (the open entry, or the
 * event entry a chain of corrections started from); conflict tells that other versions of
 * the same person or event are live too (their indexes in vg_case_state.events or
 * persons share group).
 */
struct vg_case_version {
	size_t item;
	size_t root;
	size_t group; /* versions sharing a group compete */
	bool conflict;
};

/* A case's state. Indexes refer to the items it was derived from. */
struct vg_case_state {
	bool opened;	 /* an open entry is among the items */
	bool withdrawn;	 /* its open entry is redacted: the case is withdrawn */
	bool draft;	 /* every item is a draft */
	size_t open;	 /* the open entry (when opened) */
	size_t npersons; /* person versions, highest order first; [0] is shown */
	struct vg_case_version *persons;
	size_t nevents; /* event versions in date order */
	struct vg_case_version *events;
	size_t nwithdrawn; /* withdrawn entries (redacted), in item order */
	size_t *withdrawn_items;
	size_t nconflicts;     /* groups (person or event) with more than one version */
	const char *name;      /* of the shown person (borrowed from the items), or NULL */
	const char *country;   /* likewise */
	const char *status;    /* of the last event in date order that has one, or NULL */
	const char *last_date; /* the latest known event date, or NULL */
};

/*
 * Derive the state of a case from its items (any order; ids distinct). Superseded ids that
 * name no item, or an item of the wrong kind (a person correction naming an event), are
 * ignored. VG_ENOMEM. Free with vg_case_state_free.
 */
int vg_case_derive(struct vg_case_state **out, const struct vg_case_item *items, size_t n)
    __attribute__((warn_unused_result));
void vg_case_state_free(struct vg_case_state *st);

/*
 * The full view of a case as `vigil case show --json` prints it (agent/PROTOCOL.md,
 * "case_show"), events first .. first + max - 1 (max 0: all). Every item the view shows
 * must hold its body (VG_EINVAL otherwise). *out is owned by the caller.
 */
int vg_case_view(json_t **out, const uint8_t case_id[VG_CASE_ID_BYTES],
		 const struct vg_case_item *items, size_t n, const struct vg_case_state *st,
		 size_t first, size_t max) __attribute__((warn_unused_result));

/* The summary `vigil case list --json` prints for one case. NULL when out of memory. */
json_t *vg_case_summary(const uint8_t case_id[VG_CASE_ID_BYTES], const struct vg_case_state *st,
			size_t nitems);

/*
 * A compact binary form of an item without its body, for the daemon's sealed case index
 * (FORMAT.md 9): encode appends case_id and the item to out; decode reads one from
 * *p (advancing it and *left) into item (released by the caller, also after a failure)
 * and case_id_out. VG_EFORMAT for a malformed or truncated record, VG_ENOMEM.
 */
int vg_case_item_encode(struct vg_buf *out, const uint8_t case_id[VG_CASE_ID_BYTES],
			const struct vg_case_item *item) __attribute__((warn_unused_result));
int vg_case_item_decode(struct vg_case_item *item, uint8_t case_id_out[VG_CASE_ID_BYTES],
			const uint8_t **p, size_t *left) __attribute__((warn_unused_result));

/*
 * Whether a partial date x ("YYYY", "YYYY-MM", "YYYY-MM-DD") may fall on or after since:
 * compared at the precision both have ("2017-03" is on or after "2017-03-15").
 */
bool vg_case_date_since(const char *x, const char *since);

#endif
