/*
 * Reading the trusted comments vigil signs (FORMAT.md 11.3, 17.3): fixed words, lower-case
 * hex ids and decimal numbers in a fixed order, nothing else. A cursor over the comment;
 * each step refuses with a message that starts with what the comment is ("roster trusted
 * comment: ..."). Internal to the library.
 */
#ifndef VIGIL_TC_H
#define VIGIL_TC_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/id.h"

struct vg_tc {
	const char *p, *end;
	const char *what; /* "roster trusted comment" */
};

/* The exact text s next. */
int vg_tc_lit(struct vg_tc *c, const char *s) __attribute__((warn_unused_result));
/* 64 lower-case hex digits: an id, named field in messages. */
int vg_tc_hex(struct vg_tc *c, uint8_t out[VG_ID_BYTES], const char *field)
    __attribute__((warn_unused_result));
/* A decimal number from 1 to VG_ENTRY_INT_MAX without a leading zero. */
int vg_tc_num(struct vg_tc *c, uint64_t *out, const char *field)
    __attribute__((warn_unused_result));
/* Nothing after the last field (named last in the message). */
int vg_tc_end(const struct vg_tc *c, const char *last) __attribute__((warn_unused_result));

#endif
