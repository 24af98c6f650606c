/*
 * What report.c shares with the writers of each format (report_html.c, report_csv.c): the
 * checked input, grouped by country, and text helpers. Private to the library.
 */
#ifndef VIGIL_REPORT_INT_H
#define VIGIL_REPORT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "vigil/buf.h"
#include "vigil/report.h"

struct vg_report__case {
	const json_t *obj;
	const char *country; /* NULL when unknown */
	size_t index;	     /* in the input */
};

/* The input after checking: cases sorted by country (unknown last), then input order. */
struct vg_report__doc {
	struct vg_report__case *cases;
	size_t ncases;
	size_t ncountries;
	size_t nevents;
	size_t nomitted; /* confidential sources left out */
	const struct vg_report_options *opts;
};

/* Whether d->cases[i] is the first case of its country. */
bool vg_report__country_starts(const struct vg_report__doc *d, size_t i);

/* Member key of obj as text: NULL when absent, null or "" (checked to be a string). */
const char *vg_report__str(const json_t *obj, const char *key);

/* The source of an event to show, or NULL (none, or confidential and not included). */
const json_t *vg_report__source(const struct vg_report__doc *d, const json_t *event);

/* Whether a source counts as confidential: "confidential" true or absent. */
bool vg_report__confidential(const json_t *source);

/*
 * Append text s: bidi override, embedding and isolate controls dropped; line separators,
 * and control characters (line breaks too unless keep_breaks) as one space each; every
 * other ASCII byte through esc (NULL: as it is), which appends it escaped.
 */
int vg_report__put_text(struct vg_buf *out, const char *s, bool keep_breaks,
			int (*esc)(struct vg_buf *out, char c)) __attribute__((warn_unused_result));

/* What differs between the formats that write sentences (Markdown, HTML). */
struct vg_report__style {
	int (*text)(struct vg_buf *out, const char *s); /* record text, escaped */
	const char *confidential;			/* the mark of a confidential source */
};

/* Whether text ends a sentence by itself, so that no full stop is added. */
bool vg_report__ends_sentence(const char *s);

/* " Label: value." when value is known; *first drops the leading space once. */
int vg_report__field(struct vg_buf *out, bool *first, const char *label, const char *value,
		     const struct vg_report__style *st) __attribute__((warn_unused_result));

/* An event's sentences after its type: place, authority, charges, status, sentence,
 * counsel, the source (src, may be NULL), notes. */
int vg_report__event_fields(struct vg_buf *out, bool *first, const json_t *ev, const json_t *src,
			    const struct vg_report__style *st) __attribute__((warn_unused_result));

/* A person's sentences: role, status, sentence, charges, notes. */
int vg_report__person_fields(struct vg_buf *out, bool *first, const json_t *c,
			     const struct vg_report__style *st) __attribute__((warn_unused_result));

/* "1 person" / "2 people" style counts. */
int vg_report__put_count(struct vg_buf *out, size_t n, const char *one, const char *many)
    __attribute__((warn_unused_result));

int vg_report__html(struct vg_buf *out, const struct vg_report__doc *d)
    __attribute__((warn_unused_result));
int vg_report__csv(struct vg_buf *out, const struct vg_report__doc *d)
    __attribute__((warn_unused_result));

#endif
