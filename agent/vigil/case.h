/*
 * What the case subcommands (cmd_case.c, cmd_case_show.c) share: fetching a case's whole
 * view page by page, and printing record text safely.
 */
#ifndef VIGIL_CASE_H
#define VIGIL_CASE_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "client.h"

extern const struct vg_command vg_cmd_case_new, vg_cmd_case_event, vg_cmd_case_correct,
    vg_cmd_case_redact, vg_cmd_case_show, vg_cmd_case_list;

/*
 * The whole view of a case (every page of "case_show" joined: "events" complete, "first"
 * and "next" dropped) into *view, owned by the caller. A refusal is printed and its exit
 * status returned; VG_EXIT_OK on success.
 */
int vg_case_fetch(json_t **view, struct vg_client *c, const char *case_id);

/* Print s made safe for a terminal (record text), newlines kept and indented by indent. */
void vg_case_print_text(FILE *f, const char *s, const char *indent);

/* A one-line description of an event of a view ("2017-01 arrest (detained)"), sanitised. */
void vg_case_print_event_line(FILE *f, const json_t *ev);

#endif
