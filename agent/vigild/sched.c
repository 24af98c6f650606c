/*
 * The background sync's schedule. While the vault is unlocked and [sync] interval is not 0,
 * a try is due: the first one shortly after the keys are held (what was written offline
 * goes out, and a revoked device learns it soon), then every interval (jittered by a tenth
 * either way, so devices of one organisation spread over the host). A failed try (the
 * remote unreachable, a cap hit) doubles the wait after each failure in a row, up to
 * SCHED_BACKOFF_FACTOR intervals or a day, each wait drawn between its half and its whole
 * ("equal jitter"), and a success resets it. A sync a client asks for ('vigil sync',
 * join, publish) is recorded the same way and restarts the back-off from the beginning.
 *
 * The try itself runs on the loop's thread (agent/vigild/sync.c), bounded by the sync's
 * caps and time budget; between tries the loop only wakes for clients and timers.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "agent.h"
#include "vigil/error.h"

/* The first try after the keys are held, unless the interval is shorter. */
#define SCHED_FIRST_MS 30000
/* While failing, the wait grows to this many intervals at most, and never past a day. */
#define SCHED_BACKOFF_FACTOR 8
#define SCHED_BACKOFF_MAX_MS (24ULL * 3600 * 1000)

static uint64_t interval_ms(const struct vg_agent *a)
{
	return (uint64_t)a->config.sync_interval * 1000;
}

/* Uniform in [lo, hi] (hi - lo below 2^32, as every wait here is). */
static uint64_t between(uint64_t lo, uint64_t hi)
{
	uint64_t span = hi - lo;

	if (span == 0 || span >= UINT32_MAX)
		return lo;
	return lo + randombytes_uniform((uint32_t)span + 1);
}

/* The wait before the next try, after failures tries failed in a row (0: the last
 * succeeded). */
static uint64_t wait_ms(const struct vg_agent *a, unsigned failures)
{
	uint64_t base = interval_ms(a), cap, d;

	if (failures == 0)
		return between(base - base / 10, base + base / 10);
	cap = base * SCHED_BACKOFF_FACTOR;
	if (cap > SCHED_BACKOFF_MAX_MS)
		cap = SCHED_BACKOFF_MAX_MS;
	if (cap < base)
		cap = base;
	d = base;
	for (unsigned i = 0; i < failures && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	return between(d / 2, d);
}

static bool enabled(const struct vg_agent *a)
{
	return a->vault != NULL && a->config.sync_interval > 0 && !a->stop;
}

void vg_agent_sched_arm(struct vg_agent *a, uint64_t now)
{
	uint64_t first;

	if (!enabled(a)) {
		/* Locked: the schedule starts again from the next unlock. */
		a->sched.next = 0;
		return;
	}
	if (a->sched.next != 0)
		return;
	first = interval_ms(a) < SCHED_FIRST_MS ? interval_ms(a) : SCHED_FIRST_MS;
	a->sched.next = now + between(first - first / 10, first);
}

int64_t vg_agent_sched_in(const struct vg_agent *a, uint64_t now)
{
	if (!enabled(a) || a->sched.next == 0)
		return -1;
	return a->sched.next > now ? (int64_t)(a->sched.next - now) : 0;
}

void vg_agent_sched_record(struct vg_agent *a, int rc, bool asked)
{
	a->sched.last_try = time(NULL);
	a->sched.tried = true;
	if (rc == 0) {
		a->sched.failures = 0;
		snprintf(a->sched.last_result, sizeof(a->sched.last_result), "ok");
	} else {
		/* A try someone asked for starts the back-off again from its first step. */
		a->sched.failures = asked ? 1 : a->sched.failures + 1;
		snprintf(a->sched.last_result, sizeof(a->sched.last_result), "%s", vg_error_last());
	}
	if (enabled(a))
		a->sched.next = vg_agent_now() + wait_ms(a, a->sched.failures);
}

void vg_agent_sched_due(struct vg_agent *a, uint64_t now)
{
	const char *why = NULL;

	if (vg_agent_sched_in(a, now) != 0)
		return;
	if (!vg_agent_sync_ready(a, &why)) {
		/* Not joined or no remote yet: look again an interval later; not a failure. */
		a->sched.next = now + wait_ms(a, 0);
		return;
	}
	/* As after a failure, unless the sync records its outcome (it does once it ran): a
	 * try that stops before never leaves the schedule due, which would spin the loop. */
	a->sched.next = now + wait_ms(a, a->sched.failures + 1);
	vg_agent_sync_background(a);
}

static void utc(char *out, size_t outsz, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int vg_agent_sched_status(struct vg_agent *a, json_t *reply)
{
	char when[32];
	const char *state = "scheduled", *why = NULL;
	int64_t in = vg_agent_sched_in(a, vg_agent_now());
	json_t *next = json_null(), *next_in = json_null(), *last = json_null(),
	       *result = json_null();

	if (a->config.sync_interval == 0)
		state = "off";
	else if (a->vault == NULL)
		state = "locked";
	else if (!vg_agent_sync_ready(a, &why))
		state = why;
	if (strcmp(state, "scheduled") == 0 && in >= 0) {
		int64_t s = (in + 999) / 1000;
		utc(when, sizeof(when), time(NULL) + (time_t)s);
		next = json_string(when);
		next_in = json_integer((json_int_t)s);
	}
	if (a->sched.tried) {
		utc(when, sizeof(when), a->sched.last_try);
		last = json_string(when);
		result = json_string(a->sched.last_result);
	}
	if (json_object_set_new(reply, "background_sync", json_string(state)) < 0 ||
	    json_object_set_new(reply, "sync_interval",
				json_integer((json_int_t)a->config.sync_interval)) < 0 ||
	    json_object_set_new(reply, "next_sync", next) < 0 ||
	    json_object_set_new(reply, "next_sync_in", next_in) < 0 ||
	    json_object_set_new(reply, "sync_failures",
				json_integer((json_int_t)a->sched.failures)) < 0 ||
	    json_object_set_new(reply, "last_try", last) < 0 ||
	    json_object_set_new(reply, "last_result", result) < 0)
		return vg_error_set(VG_ENOMEM, "cannot build the reply");
	return 0;
}
