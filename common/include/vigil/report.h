/*
 * Reports of merged cases grouped by country, as a "cases of concern" list is published:
 * Markdown, one self-contained HTML file, a spreadsheet (CSV) and JSON for scripts. Pure:
 * no I/O, no clock (a date to show comes in the options), no globals.
 *
 * Input: a JSON array of merged cases, one per person, as the coordinator's merged view
 * gives them:
 *
 *   {"id": "<case id, hex>", "name": "<text>", "other_names": ["<text>", ...],
 *    "role": "<text>", "country": "<text>", "status": "<text>", "sentence": "<text>",
 *    "charges": "<text>",                 (status, sentence, charges: the latest known)
 *    "linked": ["<case id>", ...],        (other cases linked to this person; may be empty)
 *    "ref": "<text>",                     (a monitor's own reference, such as "KZ-001")
 *    "notes": "<text>",
 *    "events": [{"date": "YYYY" | "YYYY-MM" | "YYYY-MM-DD" | null, "type": "<text>",
 *                "place", "authority", "charges", "status", "sentence": "<text>",
 *                "monitor": "<pseudonym of the member who reported it>",
 *                "source": {"confidential": true|false, "type", "description",
 *                           "reliability": "<text>"},
 *                "notes": "<text>"}, ...]}
 *
 * id and name are required; every other member is optional, and absent, null or "" means
 * unknown. Other members are ignored (and kept by the JSON format). Events are shown in the
 * order given (the merged view's order). A string may hold any Unicode text except U+0000;
 * a date must exist (vg_record_date_valid).
 *
 * Output, all grouped by country (countries in byte order of their names, a case without
 * a country last under "Country unknown"; cases in input order within a country):
 * - md: a title, a summary line, a "##" heading per country, a "###" heading per person
 *   (name and other names), a paragraph (role, status, sentence, charges, notes, case ids)
 *   and a list of events with date, type, place, authority, charges, status, sentence,
 *   source, notes and monitor. Every record string is escaped for Markdown: characters
 *   that start emphasis, code, links, images, raw HTML, entities, tables or strike-through
 *   are backslash-escaped, line breaks and control characters become spaces, so no record
 *   can add structure, HTML or a link with a hidden target. (A bare URL in a record may
 *   still be shown as a link by GitHub-flavoured renderers, with its own address visible.)
 * - html: one file with nothing to load: a Content-Security-Policy of
 *   "default-src 'none'; style-src 'sha256-…'" (the hash of the one inline stylesheet, so
 *   no other style, no script, no image, font, frame or connection is allowed), no script
 *   element, a print stylesheet (@media print), and an inline SVG bar chart of events per
 *   country and month (events dated to the month or day; the others are counted in its
 *   caption). Every record string is HTML-escaped (& < > " ') in text and attributes.
 * - csv: RFC 4180 with CRLF line ends and a UTF-8 byte-order mark (so spreadsheets read
 *   Cyrillic right); one row per event (a case without events has one row) with the
 *   columns case_ref, person, aliases (other names joined by "; "), role, country, event,
 *   date, place, authority, charges, status, sentence, source, notes, case_id, monitor,
 *   case_notes. A cell that begins with = + - @ (ASCII or full-width), a tab, CR or LF,
 *   possibly after spaces or invisible format characters, is prefixed with ' so that no
 *   spreadsheet runs it as a formula (OWASP "CSV injection").
 * - json: {"countries": [{"country": <text or null>, "cases": [<input case>, ...]}, ...],
 *   "include_confidential": <bool>}, keys sorted, two-space indent, a final newline.
 *
 * In md, html and csv, line separators and control characters become spaces (csv keeps
 * line breaks inside quoted cells) and bidirectional override, embedding and isolate
 * controls (U+202A..U+202E, U+2066..U+2069) are dropped, so a record cannot reorder how
 * the text around it reads.
 *
 * Sources: a source whose "confidential" is true or absent (FORMAT.md: confidential unless
 * said otherwise) is left out of every format unless include_confidential is set; md and
 * html then say how many were left out. Included confidential sources are marked so.
 */
#ifndef VIGIL_REPORT_H
#define VIGIL_REPORT_H

#include <stdbool.h>

#include <jansson.h>

#include "vigil/buf.h"

enum vg_report_format {
	VG_REPORT_MD,
	VG_REPORT_HTML,
	VG_REPORT_CSV,
	VG_REPORT_JSON,
};

#define VG_REPORT_OPTIONS_VERSION 1

struct vg_report_options {
	unsigned version;	   /* VG_REPORT_OPTIONS_VERSION */
	bool include_confidential; /* show sources marked confidential */
	const char *title;	   /* NULL: "Cases of concern"; escaped like record text */
	const char *generated;	   /* NULL, or text shown under the title (a date) */
};

#define VG_REPORT_OPTIONS_INIT                                                                     \
	{                                                                                          \
		VG_REPORT_OPTIONS_VERSION, false, NULL, NULL                                       \
	}

/* "md", "html", "csv" or "json" into *out; VG_EINVAL for any other name. */
int vg_report_format_parse(enum vg_report_format *out, const char *name)
    __attribute__((warn_unused_result));

/*
 * Append the report of cases (the array above) in format to out; opts NULL means the
 * defaults. out may be a secure buffer (the report holds case data). VG_EFORMAT for input
 * of the wrong shape (the message names the case id and member, never a value), VG_EINVAL
 * for bad options, VG_ENOMEM. On failure out is truncated back to its length on entry.
 */
int vg_report_write(struct vg_buf *out, const json_t *cases, enum vg_report_format format,
		    const struct vg_report_options *opts) __attribute__((warn_unused_result));

#endif
