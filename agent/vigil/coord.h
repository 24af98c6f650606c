/*
 * What the coordinator's subcommands (cmd_cases.c, cmd_link.c, cmd_report.c,
 * cmd_export.c) share: fetching every page of a paged reply, and writing a file that holds
 * case data.
 */
#ifndef VIGIL_COORD_H
#define VIGIL_COORD_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "client.h"

extern const struct vg_command vg_cmd_cases, vg_cmd_link, vg_cmd_unlink, vg_cmd_report,
    vg_cmd_export;

/*
 * Send a request of cmd page by page ("from", then the reply's "next") and join the arrays
 * member of every page into *all (owned by the caller); *first (may be NULL) receives the
 * first page's reply, whose other members describe the whole. A refusal is printed and its
 * exit status returned; VG_EXIT_OK on success.
 */
int vg_coord_fetch(json_t **all, json_t **first, struct vg_client *c, enum vg_ipc_cmd cmd,
		   const char *member);

/*
 * Write len bytes of data (case data) to path, mode 0600, atomically (a temporary file
 * renamed into place), never replacing an existing file unless force; or to standard
 * output when path is NULL. Returns the exit status after printing any failure.
 */
int vg_coord_output(const char *path, bool force, const void *data, size_t len);

#endif
