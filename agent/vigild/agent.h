/*
 * vigild's state and its parts. Everything the daemon knows lives in one struct vg_agent,
 * passed down; there are no mutable globals. The daemon is one thread: a poll loop over the
 * listening socket, a signalfd and the open connections (server.c), requests dispatched
 * from a table (commands.c), the vault held or wiped (keyring.c), events logged (log.c).
 */
#ifndef VIGILD_AGENT_H
#define VIGILD_AGENT_H

#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>

#include "vigil/config.h"
#include "vigil/entry.h"
#include "vigil/id.h"
#include "vigil/home.h"
#include "vigil/ipc.h"
#include "vigil/vault.h"

#define VG_AGENT_CONNS_MAX 32
/* A connection that sends no complete request for this long is closed. */
#define VG_AGENT_IDLE_MS 60000
/* After an error reply, what is still read and thrown away before closing. */
#define VG_AGENT_DRAIN_MAX (16 * 1024 * 1024)
#define VG_AGENT_DRAIN_MS  5000
/* How long a reply may wait for a client that does not read. */
#define VG_AGENT_SEND_TIMEOUT_S 5

struct vg_agent_conn {
	int fd;
	struct vg_ipc_reader in;
	bool draining;	   /* an error was answered: discard input until EOF */
	size_t drained;	   /* bytes discarded so far */
	uint64_t deadline; /* ms on the agent's clock when the connection is closed */
};

/* The background sync's schedule and what the last try gave (sched.c). */
struct vg_agent_sched {
	uint64_t next;	       /* ms on the agent's clock of the next try; 0: none armed */
	unsigned failures;     /* tries failed in a row since the last success */
	bool tried;	       /* a sync ran since the daemon started */
	time_t last_try;       /* wall clock of the last try, background or asked for */
	char last_result[512]; /* "ok", or why it failed (ids and paths, never a record) */
};

struct vg_agent {
	struct vg_home home;
	struct vg_config config;
	char config_path[PATH_MAX];
	char vault_path[PATH_MAX];
	char identity_path[PATH_MAX];
	char lock_path[PATH_MAX];
	char log_path[PATH_MAX];
	char sock_path[VG_IPC_PATH_MAX + 1];
	uid_t uid; /* effective uid: the only peer served */
	bool foreground;
	bool activated;	    /* the socket came from systemd (LISTEN_FDS) */
	bool own_socket;    /* bound here: unlinked at exit */
	bool removed_stale; /* a dead daemon's socket was removed at start */
	dev_t sock_dev;	    /* the socket file bound here, so only it is unlinked */
	ino_t sock_ino;
	int listen_fd;
	int lock_fd; /* holds the flock that makes this the home's only daemon */
	int signal_fd;
	struct vg_vault *vault;		/* NULL while locked */
	long vault_locked_kib;		/* how much more memory was locked once it was held */
	uint64_t last_use;		/* ms, when the keys were last unlocked or used */
	struct vg_store *store;		/* <data>/store.db, opened on first use */
	struct vg_agent_cases *cases;	/* the case index while unlocked (cases.c) */
	struct vg_agent_coord *coord;	/* a coordinator's merged index while unlocked (coord.c) */
	struct vg_agent_logind *logind; /* the system bus, when logind is watched (logind.c) */
	struct vg_agent_conn *conns[VG_AGENT_CONNS_MAX];
	size_t nconns;
	bool stop;
	bool duress;  /* the duress passphrase was given: wipe once the reply is sent */
	bool revoked; /* a sync found this device revoked: wipe once the reply is sent */
	struct vg_agent_sched sched;
	struct vg_net *net_idle; /* a waiting network helper, started before unlock (sync.c) */
	/*
	 * A sync is running: the vault is in use, so a lock asked for meanwhile (a signal,
	 * logind) is noted in lock_pending, stops a network transfer at once, and is done as
	 * soon as the sync returns.
	 */
	bool syncing;
	char lock_pending[64];
	int wake_fds[2]; /* what a sync's waits watch: signals, the system bus */
};

/* Milliseconds on CLOCK_BOOTTIME, which keeps counting while the machine sleeps. */
uint64_t vg_agent_now(void);

/*
 * log.c: one line "<UTC time> vigild[<pid>]: [<level>: ]<event>" on stderr (the log file
 * when detached), when level is at or above the configured [agent] log_level (VG_LOG_*,
 * config.h); info lines carry no level word. Events only: ids, counts, uids, request
 * names; never a passphrase, key, request parameter, reply or record.
 */
void vg_agent_log_at(unsigned level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define vg_agent_log(...)   vg_agent_log_at(VG_LOG_INFO, __VA_ARGS__)
#define vg_agent_error(...) vg_agent_log_at(VG_LOG_ERROR, __VA_ARGS__)
#define vg_agent_warn(...)  vg_agent_log_at(VG_LOG_WARN, __VA_ARGS__)
#define vg_agent_debug(...) vg_agent_log_at(VG_LOG_DEBUG, __VA_ARGS__)
/* The level from the configuration (VG_LOG_INFO until it is set). */
void vg_agent_log_level(unsigned level);

/* logind.c: lock when the machine suspends or this user's session locks. */
void vg_agent_logind_open(struct vg_agent *a); /* never fatal: without a bus, logs why */
void vg_agent_logind_close(struct vg_agent *a);
bool vg_agent_logind_watched(const struct vg_agent *a);
/* Fill pfd (fd -1 when not watched) and return timeout_ms shortened to the bus's own. */
int vg_agent_logind_poll(struct vg_agent *a, struct pollfd *pfd, int timeout_ms);
void vg_agent_logind_process(struct vg_agent *a); /* after poll, whatever it said */
int vg_agent_logind_fd(const struct vg_agent *a); /* the bus, -1 when not watched */

/* server.c: SIGUSR1 locks, SIGTERM, SIGINT and SIGHUP stop (set a->stop). */
void vg_agent_signals(struct vg_agent *a);

/* server.c */
/*
 * Load the configuration, take the home's lock, check the run directory and bind the
 * socket, or take systemd's when listen_fds (from LISTEN_FDS, for this pid) is not 0.
 * Errors carry a message for the user.
 */
int vg_agent_setup(struct vg_agent *a, int listen_fds) __attribute__((warn_unused_result));
/* Serve until a stop signal or a shutdown request. */
int vg_agent_run(struct vg_agent *a) __attribute__((warn_unused_result));
/* Close connections, lock, unlink the socket bound here, release the lock. */
void vg_agent_release(struct vg_agent *a);
/* Send a message on a connection; a failure is logged and closes it later. */
int vg_agent_send(struct vg_agent_conn *c, json_t *msg);

/* commands.c: answer one request line (already framed). Returns 0 to keep the connection,
 * 1 to answer no more on it (an error reply was sent: drain and close). */
int vg_agent_handle(struct vg_agent *a, struct vg_agent_conn *c, const char *line, size_t len);

/* keyring.c */
/* Wipe the keys; reason goes to the log. No-op when locked. */
void vg_agent_lock(struct vg_agent *a, const char *reason);
/* Open the vault with a passphrase; hold it (replacing what was held) when it opens. */
int vg_agent_unlock(struct vg_agent *a, const uint8_t *pass, size_t passlen)
    __attribute__((warn_unused_result));
/*
 * The process's locked memory (VmLck) in KiB, or -1 when unknown. Taken before a vault is
 * allocated and passed to vg_agent_hold, it tells whether the vault's pages were locked.
 */
long vg_agent_vmlck(void);
/* Hold a vault (taking ownership), replacing any held; before_kib from vg_agent_vmlck. */
void vg_agent_hold(struct vg_agent *a, struct vg_vault *v, long before_kib);
/*
 * Guarded allocations an unlocked vault holds (the vault, signing key, age identity and
 * vault key: a page or more each). libsodium locks each only while RLIMIT_MEMLOCK allows,
 * silently; less than this much newly locked memory means some key page is not locked.
 */
#define VG_AGENT_VAULT_PAGES 4
/* Note a use of the keys, which restarts the auto-lock countdown. */
void vg_agent_touch(struct vg_agent *a);
/* ms until auto-lock, or -1 when none is due (locked, or auto-lock off). */
int64_t vg_agent_autolock_in(const struct vg_agent *a, uint64_t now);
/* Make <data>/identity.pub (0644) say the held vault's public identity. */
int vg_agent_sync_identity(struct vg_agent *a) __attribute__((warn_unused_result));

/* cases.c: the monitor's case commands and the case index. */
struct vg_agent_cases;
/* The store, opened on first use (kept open until the daemon stops). */
int vg_agent_store(struct vg_agent *a) __attribute__((warn_unused_result));
/*
 * After a request: when the store saw an I/O error, record that it must be verified and
 * stop the daemon (the next start checks it before anything more is written).
 */
void vg_agent_store_failed(struct vg_agent *a);
/*
 * Forget the case index (wiped). With save, a changed index is first sealed into the store
 * under the vault key, so the next unlock reads it instead of every entry. Called by
 * vg_agent_lock while the vault is still held.
 */
void vg_agent_cases_drop(struct vg_agent *a, bool save);
int vg_agent_case_write(struct vg_agent *a, struct vg_agent_conn *c,
			const struct vg_ipc_request *req, json_t *reply, const char **code);
int vg_agent_case_show(struct vg_agent *a, struct vg_agent_conn *c,
		       const struct vg_ipc_request *req, json_t *reply, const char **code);
int vg_agent_case_list(struct vg_agent *a, struct vg_agent_conn *c,
		       const struct vg_ipc_request *req, json_t *reply, const char **code);
int vg_agent_import(struct vg_agent *a, struct vg_agent_conn *c, const struct vg_ipc_request *req,
		    json_t *reply, const char **code);
struct vg_roster_set;
/* The home's verified roster versions; *out NULL when the home holds none (not joined). */
int vg_agent_roster_load(struct vg_agent *a, struct vg_roster_set **out)
    __attribute__((warn_unused_result));
/*
 * Append count entries of type with the same body (checked here) to case_id in this
 * device's feed, in one transaction (durable on return), and add them to the case index.
 * ids_out receives their ids. A device that has not joined is refused (no drafts).
 */
int vg_agent_case_append(struct vg_agent *a, struct vg_agent_conn *c, enum vg_entry_type type,
			 const uint8_t case_id[VG_CASE_ID_BYTES], json_t *body, size_t count,
			 uint8_t (*ids_out)[VG_ID_BYTES]) __attribute__((warn_unused_result));

/* coord.c: a coordinator's merged view of every monitor's cases, links, export. */
struct vg_agent_coord;
/* Forget the merged index (wiped); called with vg_agent_cases_drop. */
void vg_agent_coord_drop(struct vg_agent *a);
int vg_agent_cases(struct vg_agent *a, struct vg_agent_conn *c, const struct vg_ipc_request *req,
		   json_t *reply, const char **code);
int vg_agent_duplicates(struct vg_agent *a, struct vg_agent_conn *c,
			const struct vg_ipc_request *req, json_t *reply, const char **code);
int vg_agent_link(struct vg_agent *a, struct vg_agent_conn *c, const struct vg_ipc_request *req,
		  json_t *reply, const char **code);
int vg_agent_export(struct vg_agent *a, struct vg_agent_conn *c, const struct vg_ipc_request *req,
		    json_t *reply, const char **code);

/* sync.c: remote, join, sync, publish, alarms; the sync members of "status". */
int vg_agent_sync_status(struct vg_agent *a, json_t *reply) __attribute__((warn_unused_result));
int vg_agent_remote_show(struct vg_agent *a, struct vg_agent_conn *c,
			 const struct vg_ipc_request *req, json_t *reply, const char **code);
int vg_agent_remote_set(struct vg_agent *a, struct vg_agent_conn *c,
			const struct vg_ipc_request *req, json_t *reply, const char **code);
int vg_agent_sync(struct vg_agent *a, struct vg_agent_conn *c, const struct vg_ipc_request *req,
		  json_t *reply, const char **code);
int vg_agent_join(struct vg_agent *a, struct vg_agent_conn *c, const struct vg_ipc_request *req,
		  json_t *reply, const char **code);
int vg_agent_publish(struct vg_agent *a, struct vg_agent_conn *c, const struct vg_ipc_request *req,
		     json_t *reply, const char **code);
int vg_agent_alarm_clear(struct vg_agent *a, struct vg_agent_conn *c,
			 const struct vg_ipc_request *req, json_t *reply, const char **code);
/*
 * Whether a background sync can run: keys held, a remote in the vault, a roster in the
 * home (joined); otherwise *why says which ("locked", "no remote", "not joined").
 */
bool vg_agent_sync_ready(struct vg_agent *a, const char **why);
/* Start a waiting vigil-net when none waits (at start, before any unlock, and after each
 * sync, which takes the waiting one). Never fatal: a sync starts one itself. */
void vg_agent_net_ready(struct vg_agent *a);
/* One sync nobody asked for (the schedule's): logged and recorded, no reply. A device
 * found revoked is wiped at once. */
void vg_agent_sync_background(struct vg_agent *a);

/* sched.c: when the background sync runs; the schedule's members of "status". */
/* Arm the schedule when the keys are held and it is not armed; disarm it when locked. */
void vg_agent_sched_arm(struct vg_agent *a, uint64_t now);
/* ms until the next background try (0: due now), or -1 when none is armed. */
int64_t vg_agent_sched_in(const struct vg_agent *a, uint64_t now);
/* Run the background try when it is due (the loop calls this on every wake-up). */
void vg_agent_sched_due(struct vg_agent *a, uint64_t now);
/*
 * Record a sync's outcome (rc, with vg_error_last() for a failure) and schedule the next
 * try: an interval after a success, backed off after failures; asked: a client asked for
 * it, which restarts the back-off.
 */
void vg_agent_sched_record(struct vg_agent *a, int rc, bool asked);
/* "background_sync", "sync_interval", "next_sync", "next_sync_in", "sync_failures",
 * "last_try", "last_result" into reply. */
int vg_agent_sched_status(struct vg_agent *a, json_t *reply) __attribute__((warn_unused_result));

/* duress.c: every passphrase check; the duress passphrase and what it does. */
/*
 * vg_vault_read of the home's vault with a message for a missing one; the duress
 * passphrase comes back as VG_EAUTH with a wrong passphrase's message, and sets
 * a->duress: the request's handler answers as for a wrong passphrase, then the server
 * calls vg_agent_wipe.
 */
int vg_agent_vault_read(struct vg_agent *a, struct vg_vault **out, const uint8_t *pass,
			size_t passlen) __attribute__((warn_unused_result));
/*
 * Destroy the keys as vigil panic does (the daemon itself spared), then stop; why is the
 * log line (for duress nothing but "stopping", as any stop).
 */
void vg_agent_wipe(struct vg_agent *a, const char *why);
int vg_agent_duress_set(struct vg_agent *a, struct vg_agent_conn *c,
			const struct vg_ipc_request *req, json_t *reply, const char **code);
int vg_agent_duress_clear(struct vg_agent *a, struct vg_agent_conn *c,
			  const struct vg_ipc_request *req, json_t *reply, const char **code);

#endif
