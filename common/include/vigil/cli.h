/*
 * The options every vigil program accepts anywhere on its command line (CLI.md):
 * --home DIR (or VIGIL_HOME), --passphrase-fd N, --json, --help/-h, --version.
 */
#ifndef VIGIL_CLI_H
#define VIGIL_CLI_H

#include <stdbool.h>

struct vg_cli {
	const char *home;  /* NULL: VIGIL_HOME or the XDG directories */
	int passphrase_fd; /* -1: the terminal */
	bool json;
	bool help;
	bool version;
	int argc; /* what remains, in order; argv[argc] is NULL */
	char **argv;
};

/*
 * Take the common options out of argv (which is reordered in place; argv[0] is dropped)
 * and leave the rest in out->argc/argv. "--" ends option processing. VG_EINVAL with a
 * message for a common option without its value or with a bad one (exit status 2).
 */
int vg_cli_parse(struct vg_cli *out, int argc, char **argv) __attribute__((warn_unused_result));

/* The exit status for a library error code: 2 for VG_EINVAL (usage), else 1. */
int vg_cli_status(int code);

#endif
