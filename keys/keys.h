/*
 * vigil-keys: the organisation's trust (organisation key, roster, enrolment, invitations,
 * revocation). What every subcommand shares: the home, options, passphrases, questions,
 * the organisation key, the home's roster directory, signing the next roster version, and
 * output. One file per subcommand, dispatched from the table in main.c.
 */
#ifndef VIGIL_KEYS_H
#define VIGIL_KEYS_H

#include <limits.h>
#include <stdbool.h>
#include <time.h>

#include <jansson.h>

#include "vigil/buf.h"
#include "vigil/cli.h"
#include "vigil/home.h"
#include "vigil/minisign.h"
#include "vigil/roster.h"

/* Exit statuses (CLI.md). */
enum {
	VG_EXIT_OK = 0,
	VG_EXIT_REFUSED = 1,
	VG_EXIT_USAGE = 2,
};

/* Files of a coordinator's home that vigil-keys reads or writes. */
#define VG_KEYS_ROSTER_DIR	 "roster"	/* <data>/roster: a roster directory */
#define VG_KEYS_ORGKEY_PATH	 "org-key-path" /* <config>/org-key-path: where the org key is */
#define VG_KEYS_DEFAULT_ORGKEY	 "vigil-org.key"
#define VG_KEYS_DEFAULT_RECOVERY "vigil-recovery.age"

struct vg_keys {
	const struct vg_cli *cli;
	struct vg_home home;
	const char *command; /* "enroll", "org init", ... for messages */
	time_t now;
};

struct vg_keys_command {
	const char *name; /* "org", "enroll", ... */
	const char *sub;  /* "init" for "org init"; NULL for a one-word command */
	int (*run)(struct vg_keys *k, int argc, char **argv); /* argv: after the command words */
	const char *usage;
	const char *summary;
	const char *help;
};

extern const struct vg_keys_command vg_keys_org_init, vg_keys_org_show, vg_keys_enroll,
    vg_keys_invite, vg_keys_revoke, vg_keys_late_accept, vg_keys_roster, vg_keys_renew,
    vg_keys_export_identity, vg_keys_publish, vg_keys_policy;

/* An option of a subcommand: "--name" (with alias "-o" or NULL); value or flag. */
struct vg_keys_opt {
	const char *name;
	const char *alias;
	bool takes_value;
	const char *value; /* set by vg_keys_parse */
	bool set;
};

/*
 * Parse a subcommand's arguments: each of opts ("--x V", "--x=V", or the alias), the rest
 * operands (at least min, at most max; "--" ends options). A usage error is printed with
 * the usage line and returns VG_EXIT_USAGE; 0 on success.
 */
int vg_keys_parse(const struct vg_keys_command *cmd, int argc, char **argv,
		  struct vg_keys_opt *opts, char ***operands, int *noperands, int min, int max);

/* Print "vigil-keys: <message>" (made safe for a terminal) on stderr; returns status. */
int vg_keys_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* vg_keys_fail with vg_error_last() and the status code calls for. */
int vg_keys_error(int code);
/* Print s made safe for a terminal and a newline on f. */
void vg_keys_print(FILE *f, const char *s);
/* obj as one compact JSON line on stdout; VG_EXIT_OK or a failure status. Steals obj. */
int vg_keys_print_json(json_t *obj);

/*
 * One passphrase from --passphrase-fd (the next line) or the terminal into out (secure).
 * With confirm (a new passphrase typed on a terminal) ask twice and refuse a mismatch.
 */
int vg_keys_passphrase(struct vg_buf *out, const struct vg_keys *k, const char *prompt,
		       const char *confirm) __attribute__((warn_unused_result));

/*
 * Ask a yes/no question on the terminal; *yes is true only for "y" or "yes". VG_EINVAL
 * when there is no terminal to ask on.
 */
int vg_keys_confirm(bool *yes, const char *question) __attribute__((warn_unused_result));

/* Paths under the home. */
int vg_keys_data_path(char *out, const struct vg_keys *k, const char *name)
    __attribute__((warn_unused_result));
int vg_keys_config_path(char *out, const struct vg_keys *k, const char *name)
    __attribute__((warn_unused_result));

/* An absolute form of path (its directory must exist), into out[PATH_MAX]. */
int vg_keys_absolute(char *out, const char *path) __attribute__((warn_unused_result));

/*
 * Whether path (whose directory exists) lies inside a vigil home: this home's data, config
 * or socket directory or --home directory, or under any directory that holds vault.key or
 * data/vault.key. *inside gets the answer.
 */
int vg_keys_inside_home(bool *inside, const struct vg_keys *k, const char *path)
    __attribute__((warn_unused_result));

/*
 * Every roster version of this home, verified against the organisation key in its
 * org.pub: *out owns the set. VG_ENOTFOUND (with a hint) when the home has no organisation.
 */
int vg_keys_load(struct vg_roster_set **out, const struct vg_keys *k)
    __attribute__((warn_unused_result));

/*
 * The organisation key: from given (--org-key) or the path remembered last, opened with a
 * passphrase (one line of --passphrase-fd, or the terminal) and checked to be the key
 * that signs roster r. A given path that opens is remembered for the next command.
 */
int vg_keys_open_orgkey(struct vg_minisign_sk **out, const struct vg_keys *k, const char *given,
			const struct vg_roster *r) __attribute__((warn_unused_result));

/* Remember path (made absolute) as where the organisation key is, in <config>. */
int vg_keys_remember_orgkey(const struct vg_keys *k, const char *path)
    __attribute__((warn_unused_result));

/* --days N: 1 to 366 days; NULL gives the default. VG_EINVAL. */
int vg_keys_days(unsigned *out, const char *s) __attribute__((warn_unused_result));

/* A decimal integer 0 .. 2^53 - 1 (no sign, no leading zero). VG_EINVAL. */
int vg_keys_uint(uint64_t *out, const char *s, const char *what)
    __attribute__((warn_unused_result));

/*
 * The signing step of enroll, revoke, late-accept and renew: open the organisation key
 * (given or remembered), sign next, check it against the set (the rules between
 * versions), and write it into the home's roster directory. next->hash is set.
 */
int vg_keys_sign_next(struct vg_roster_set *s, struct vg_roster *next, const struct vg_keys *k,
		      const char *orgkey) __attribute__((warn_unused_result));

/* Write data to path (created 0600, never replacing a file), or to stdout when path is
 * NULL and stdout is not a terminal. */
int vg_keys_write_output(const char *path, const uint8_t *data, size_t len, const char *what)
    __attribute__((warn_unused_result));

#endif
