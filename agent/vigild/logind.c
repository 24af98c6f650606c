/*
 * Auto-lock when the machine suspends or the user's session locks, as systemd-logind
 * announces it on the system bus (DESIGN.md "Daemon and client"): a laptop taken while
 * asleep or behind a lock screen holds no unlocked key.
 *
 * Two signals, accepted only from the bus name org.freedesktop.login1 (the bus itself
 * matches the sender, so another client cannot fake them):
 *   - Manager.PrepareForSleep(true): the machine is about to suspend or hibernate;
 *   - Session.Lock on a session object whose User property names this daemon's uid (a
 *     lock of another user's session changes nothing here).
 * No delay inhibitor is taken: the keys are dropped while the machine is still going down,
 * which takes logind's own announcement time, and nothing else depends on it.
 *
 * The bus is optional: without one (a container, a minimal system) vigild logs once and
 * goes on with the idle auto-lock only; `vigil status` says whether logind is watched.
 * sd_bus_open_system honours DBUS_SYSTEM_BUS_ADDRESS, which is how the tests point the
 * daemon at a bus with a mock logind.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "agent.h"
#include "vigil/error.h"

#define LOGIND_NAME	 "org.freedesktop.login1"
#define LOGIND_MANAGER	 "org.freedesktop.login1.Manager"
#define LOGIND_SESSION	 "org.freedesktop.login1.Session"
#define LOGIND_CALL_USEC (2 * 1000 * 1000) /* a session's owner is asked for at most 2 s */

struct vg_agent_logind {
	sd_bus *bus;
};

static int on_sleep(sd_bus_message *m, void *ud, sd_bus_error *err)
{
	struct vg_agent *a = ud;
	int start = 0;

	(void)err;
	if (sd_bus_message_read(m, "b", &start) < 0)
		return 0;
	if (start)
		vg_agent_lock(a, "the machine is going to sleep");
	return 0;
}

static int on_session_lock(sd_bus_message *m, void *ud, sd_bus_error *err)
{
	struct vg_agent *a = ud;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	const char *path = sd_bus_message_get_path(m);
	const char *user_path = NULL;
	uint32_t uid = 0;
	int rc;

	(void)err;
	if (path == NULL)
		return 0;
	/* Whose session: the signal itself does not say. */
	rc = sd_bus_get_property(a->logind->bus, LOGIND_NAME, path, LOGIND_SESSION, "User", &e,
				 &reply, "(uo)");
	if (rc < 0 || sd_bus_message_read(reply, "(uo)", &uid, &user_path) < 0) {
		/* Unknown owner: locking is the safe answer. */
		vg_agent_warn("a session locked whose owner logind did not tell");
		vg_agent_lock(a, "a session locked");
	} else if ((uid_t)uid == a->uid) {
		vg_agent_lock(a, "the session locked");
	} else {
		vg_agent_log("a session of uid %u locked: not this user's", (unsigned)uid);
	}
	sd_bus_error_free(&e);
	sd_bus_message_unref(reply);
	return 0;
}

void vg_agent_logind_open(struct vg_agent *a)
{
	struct vg_agent_logind *l;
	int rc;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		vg_agent_warn("logind not watched: out of memory");
		return;
	}
	if ((rc = sd_bus_open_system(&l->bus)) < 0 ||
	    (rc = sd_bus_set_method_call_timeout(l->bus, LOGIND_CALL_USEC)) < 0 ||
	    (rc = sd_bus_match_signal(l->bus, NULL, LOGIND_NAME, "/org/freedesktop/login1",
				      LOGIND_MANAGER, "PrepareForSleep", on_sleep, a)) < 0 ||
	    (rc = sd_bus_match_signal(l->bus, NULL, LOGIND_NAME, NULL, LOGIND_SESSION, "Lock",
				      on_session_lock, a)) < 0) {
		vg_agent_warn("logind not watched (no auto-lock on suspend or session lock): %s",
			      strerror(-rc));
		sd_bus_flush_close_unref(l->bus);
		free(l);
		return;
	}
	a->logind = l;
	vg_agent_log("watching logind for suspend and session locks");
}

void vg_agent_logind_close(struct vg_agent *a)
{
	if (a->logind == NULL)
		return;
	sd_bus_flush_close_unref(a->logind->bus);
	free(a->logind);
	a->logind = NULL;
}

bool vg_agent_logind_watched(const struct vg_agent *a)
{
	return a->logind != NULL;
}

int vg_agent_logind_fd(const struct vg_agent *a)
{
	return a->logind != NULL ? sd_bus_get_fd(a->logind->bus) : -1;
}

int vg_agent_logind_poll(struct vg_agent *a, struct pollfd *pfd, int timeout_ms)
{
	uint64_t usec = UINT64_MAX;
	int fd, events;

	*pfd = (struct pollfd){.fd = -1};
	if (a->logind == NULL)
		return timeout_ms;
	if ((fd = sd_bus_get_fd(a->logind->bus)) < 0 ||
	    (events = sd_bus_get_events(a->logind->bus)) < 0)
		return timeout_ms;
	*pfd = (struct pollfd){.fd = fd, .events = (short)events};
	if (sd_bus_get_timeout(a->logind->bus, &usec) >= 0 && usec != UINT64_MAX) {
		/* An absolute CLOCK_MONOTONIC time; 0 means at once. */
		struct timespec ts;
		uint64_t now;
		int64_t ms;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
		ms = usec > now ? (int64_t)((usec - now + 999) / 1000) : 0;
		if (timeout_ms < 0 || ms < timeout_ms)
			timeout_ms = ms > INT32_MAX ? INT32_MAX : (int)ms;
	}
	return timeout_ms;
}

void vg_agent_logind_process(struct vg_agent *a)
{
	int rc;

	if (a->logind == NULL)
		return;
	while ((rc = sd_bus_process(a->logind->bus, NULL)) > 0)
		;
	if (rc < 0) {
		/* The bus went away (dbus restarted): no more watching, said once. */
		vg_agent_warn("logind no longer watched: %s", strerror(-rc));
		vg_agent_logind_close(a);
	}
}
