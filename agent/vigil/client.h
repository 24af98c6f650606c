/*
 * What every vigil subcommand shares: the home, talking to vigild (started on demand),
 * passphrases, and output. One request per connection: connect, send, relay progress,
 * read the reply, close.
 */
#ifndef VIGIL_CLIENT_H
#define VIGIL_CLIENT_H

#include <limits.h>
#include <stdbool.h>

#include <jansson.h>

#include "vigil/buf.h"
#include "vigil/cli.h"
#include "vigil/home.h"
#include "vigil/ipc.h"

/* Exit statuses (CLI.md). */
enum {
	VG_EXIT_OK = 0,
	VG_EXIT_REFUSED = 1,
	VG_EXIT_USAGE = 2,
};

struct vg_client {
	const struct vg_cli *cli;
	const char *command; /* "init", ... for messages */
	struct vg_home home;
};

/* A subcommand: argv[0] is its name; returns the exit status. */
struct vg_command {
	const char *name;
	int (*run)(struct vg_client *c, int argc, char **argv);
	const char *usage;   /* "vigil init [--name PSEUDONYM]" */
	const char *summary; /* one line for 'vigil --help' */
	const char *help;    /* what follows the usage line in '--help' */
};

enum vg_call_flags {
	VG_CALL_START = 1 << 0,	     /* start vigild when none answers */
	VG_CALL_NEEDS_KEYS = 1 << 1, /* on "locked", unlock with a passphrase and retry once */
};

/*
 * Send req (not consumed) to the daemon and return its final reply in *reply (owned by the
 * caller), after printing progress messages on a terminal. A refusal is a reply with "ok"
 * false, not an error. Without VG_CALL_START, a daemon that is not running is VG_ENOTFOUND.
 * With VG_CALL_NEEDS_KEYS, a "locked" refusal asks for the passphrase (terminal or
 * --passphrase-fd), unlocks and sends req again; with no passphrase to be had, *reply is
 * the refusal "vault is locked". Errors (no daemon, unsafe socket directory, broken
 * connection) are negative codes with vg_error's message.
 */
int vg_client_call(json_t **reply, struct vg_client *c, const json_t *req, unsigned flags)
    __attribute__((warn_unused_result));
/* vg_client_call passing descriptor fd alongside the request (SCM_RIGHTS), for import. */
int vg_client_call_fd(json_t **reply, struct vg_client *c, const json_t *req, unsigned flags,
		      int fd) __attribute__((warn_unused_result));

/* The reply's "ok". */
bool vg_client_ok(const json_t *reply);

/*
 * Print a refusal reply as "vigil: <error>" and return its exit status (2 for "usage",
 * else 1).
 */
int vg_client_refused(const json_t *reply);

/* Print "vigil: <message>" (sanitised) on stderr; returns status. */
int vg_client_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* vg_client_fail with vg_error_last(), and the status the code calls for. */
int vg_client_error(int code);

/*
 * One passphrase from --passphrase-fd or the terminal (prompt) into out (secure).
 * With confirm (a new passphrase on a terminal), ask twice and refuse a mismatch.
 */
int vg_client_passphrase(struct vg_buf *out, const struct vg_client *c, const char *prompt,
			 const char *confirm) __attribute__((warn_unused_result));

/* Print obj as one compact JSON line on stdout, without "type" and "ok". */
int vg_client_print_json(const json_t *obj);

/*
 * vg_client_call, then the exit status a command ends with when it failed: VG_EXIT_OK when
 * the daemon answered ok (*reply is the answer), else the error or the refusal printed
 * and its status.
 */
int vg_client_exchange(json_t **reply, struct vg_client *c, const json_t *req, unsigned flags);

/*
 * The outcome of a command that reports one fact: {key: value} with --json, else line on
 * stdout. Returns the exit status.
 */
int vg_client_print_outcome(const struct vg_client *c, const char *key, bool value,
			    const char *line);

/* A path under the data directory. */
int vg_client_data_path(char *out, const struct vg_client *c, const char *name)
    __attribute__((warn_unused_result));

/*
 * The public identity line and its fingerprint code: two lines, or with --json
 * {"identity": ..., "fingerprint": ...}. Either may be NULL (a bad reply): refused.
 */
int vg_client_print_identity(const struct vg_client *c, const char *identity,
			     const char *fingerprint);

/* Print s made safe for a terminal, then a newline, on stdout. */
void vg_client_print_line(const char *s);

/* A program called name beside this executable (a build tree, or one installed prefix):
 * its path into out and true when it is there and executable. */
bool vg_client_sibling(char *out, size_t outsz, const char *name);

/* Subcommands, one file each. */
extern const struct vg_command vg_cmd_init, vg_cmd_id, vg_cmd_unlock, vg_cmd_lock, vg_cmd_status,
    vg_cmd_passwd, vg_cmd_shutdown, vg_cmd_remote, vg_cmd_sync, vg_cmd_join, vg_cmd_alarm,
    vg_cmd_config;
extern const struct vg_command vg_cmd_case, vg_cmd_import;
/* The subcommands of "case" ("case new", ...), NULL-terminated: main picks them by word. */
extern const struct vg_command *const vg_cmd_case_subs[];
/* Works without the daemon. */
extern const struct vg_command vg_cmd_panic;
extern const struct vg_command vg_cmd_duress;
/* Runs vigil-audit (no daemon, no vault). */
extern const struct vg_command vg_cmd_audit;

/*
 * Parse a subcommand's own options: --help was handled by main. Every argument in argv
 * after argv[0] must be one of the flags (no value) or options (with a value, "--x V" or
 * "--x=V"); anything else is a usage error (returns 2 after printing it). On success
 * returns 0 and fills values[i] for options[i] (NULL when absent) and sets[i] for flags[i].
 */
int vg_client_options(const struct vg_command *cmd, int argc, char **argv, const char *const *flags,
		      bool *sets, const char *const *options, const char **values);

#endif
