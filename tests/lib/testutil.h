/*
 * Helpers for the cmocka suites: temporary directories, files, running stock tools, and
 * prerequisites that skip on a developer's machine but fail in CI (CI=true).
 */
#ifndef VIGIL_TESTUTIL_H
#define VIGIL_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "vigil/buf.h"

/* Nonzero when running under CI (CI=true), where missing prerequisites are failures. */
int vgt_ci(void);

/*
 * Skip the current test with a message, or fail it when CI=true. Use inside a cmocka
 * test function.
 */
#define VGT_REQUIRE(cond, ...)                                                                     \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			if (vgt_ci())                                                              \
				fail_msg("prerequisite missing under CI=true: " __VA_ARGS__);      \
			print_message("SKIP: " __VA_ARGS__);                                       \
			print_message("\n");                                                       \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

/* ../shared beside the checkout (VIGIL_SHARED_DIR), or NULL when it is absent. */
const char *vgt_shared_dir(void);

/* Nonzero when an executable named tool is on PATH. */
int vgt_have_tool(const char *tool);

/* A fresh private directory under $TMPDIR; the caller frees it and calls vgt_rmrf. */
char *vgt_tmpdir(void);
void vgt_rmrf(const char *dir);

/* Join dir and name into a static-lifetime-free malloc'd string. */
char *vgt_path(const char *dir, const char *name);

void vgt_write_file(const char *path, const void *data, size_t len);
/* Read a whole file; asserts it exists. */
void vgt_read_file(struct vg_buf *out, const char *path);

/*
 * Run argv[0] from PATH with argv, feeding stdin_data (may be NULL) and collecting
 * stdout and stderr into out and err (either may be NULL). Returns the exit status, or
 * 128+signal, or -1 when it could not be started.
 */
int vgt_run(const char *const argv[], const void *stdin_data, size_t stdin_len, struct vg_buf *out,
	    struct vg_buf *err);

#endif
