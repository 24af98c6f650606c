/*
 * The configuration file, <config>/vigil.conf (INI, read with inih):
 *
 *   [agent]
 *   autolock = 600    ; seconds without use before the daemon locks the vault; 0: never
 *   log_level = info  ; what the daemon's log holds: error, warn, info or debug
 *
 *   [sync]
 *   interval = 900    ; seconds between background syncs while unlocked; 0: none
 *   timeout = 600     ; the wall-clock cap of one sync, 5 to 86400 seconds
 *   proxy =           ; http://HOST:PORT, an HTTP CONNECT proxy for https remotes
 *
 * A missing file means the defaults. Unknown sections and keys, a key given twice, bad
 * values and syntax errors are refused with the line number, so a typo never silently
 * weakens a setting.
 */
#ifndef VIGIL_CONFIG_H
#define VIGIL_CONFIG_H

#include <stddef.h>

#define VG_CONFIG_FILE "vigil.conf"
#define VG_CONFIG_MAX  65536 /* largest configuration file read */

#define VG_CONFIG_AUTOLOCK_DEFAULT 600
#define VG_CONFIG_AUTOLOCK_MAX	   31536000 /* a year */

#define VG_CONFIG_SYNC_INTERVAL_DEFAULT 900    /* 15 minutes */
#define VG_CONFIG_SYNC_INTERVAL_MAX	604800 /* a week */

#define VG_CONFIG_SYNC_TIMEOUT_DEFAULT 600 /* VG_SYNC_SECONDS_DEFAULT */
#define VG_CONFIG_SYNC_TIMEOUT_MIN     5
#define VG_CONFIG_SYNC_TIMEOUT_MAX     86400
#define VG_CONFIG_TEXT_MAX	       256 /* a text setting, with its NUL */

/*
 * Log levels of the daemon's log, each including those before it: error (what stops the
 * daemon or a write), warn (what it refused or could not do and went on without), info
 * (starts, stops, locks, unlocks, syncs, imports: the default), debug (one line per
 * connection and per request: its name, outcome and duration). No level ever logs a
 * request's parameters, a reply, a key, a passphrase or a record's contents.
 */
#define VG_LOG_ERROR		    0
#define VG_LOG_WARN		    1
#define VG_LOG_INFO		    2
#define VG_LOG_DEBUG		    3
#define VG_CONFIG_LOG_LEVEL_DEFAULT VG_LOG_INFO

/* The level's name ("error", "warn", "info", "debug"); NULL when out of range. */
const char *vg_log_level_name(unsigned level);

#define VG_CONFIG_KEYS 5 /* settings this version knows */

struct vg_config {
	unsigned autolock;	/* seconds; 0 disables auto-lock */
	unsigned sync_interval; /* seconds between background syncs; 0 disables them */
	unsigned log_level;	/* VG_LOG_*: the daemon logs this level and those above */
	unsigned sync_timeout;	/* seconds one sync may take */
	char sync_proxy[VG_CONFIG_TEXT_MAX]; /* "" or http://HOST:PORT */
	int line[VG_CONFIG_KEYS]; /* where each setting was given (vg_config_item); 0: default */
};

/* One setting as `vigil config show` prints it. */
struct vg_config_item {
	const char *section, *key;
	unsigned value, fallback;	  /* effective and default values */
	const char *unit;		  /* "seconds", "level" or "url" for a word setting */
	const char *word, *fallback_word; /* a word setting's values; NULL: numbers */
	int line;			  /* the line of the file that set it; 0: the default */
};

/* The i-th setting of c (i < VG_CONFIG_KEYS), in the file's order. */
void vg_config_item(struct vg_config_item *out, const struct vg_config *c, size_t i);

/* The defaults. */
void vg_config_init(struct vg_config *c);

/*
 * Parse text (len bytes; NUL bytes are refused) into out, starting from the defaults.
 * name says where it came from in messages: "'<name>' line N: unknown key 'x' in [agent]".
 * VG_EFORMAT with the line number of the first error; out is left at the defaults then.
 */
int vg_config_parse(struct vg_config *out, const char *text, size_t len, const char *name)
    __attribute__((warn_unused_result));

/*
 * Read and parse the file at path; a missing file gives the defaults. VG_ELIMIT for a file
 * larger than VG_CONFIG_MAX, VG_EIO, and vg_config_parse's codes.
 */
int vg_config_load(struct vg_config *out, const char *path) __attribute__((warn_unused_result));

#endif
