/*
 * mock_logind: a stand-in for systemd-logind on a test bus (never installed), so the
 * auto-lock test can make a "machine" suspend and sessions lock.
 *
 *   mock_logind serve UID   own org.freedesktop.login1 on the bus of
 *                           DBUS_SYSTEM_BUS_ADDRESS; sessions _31 (owned by UID) and _32
 *                           (owned by UID + 1); print "ready", then obey lines on stdin:
 *                           "sleep" (PrepareForSleep true), "wake" (false), "lock N"
 *                           (Session.Lock on session _3N); "quit" or EOF ends it.
 *   mock_logind spoof       without owning the name, send PrepareForSleep(true) and a
 *                           Lock of session _31 from an ordinary connection, then exit:
 *                           a daemon that trusts it is fooled by any local program.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#define NAME	"org.freedesktop.login1"
#define MANAGER "org.freedesktop.login1.Manager"
#define SESSION "org.freedesktop.login1.Session"
#define ROOT	"/org/freedesktop/login1"
#define S1	"/org/freedesktop/login1/session/_31"
#define S2	"/org/freedesktop/login1/session/_32"

static uint32_t owner_uid;

static int get_user(sd_bus *bus, const char *path, const char *iface, const char *prop,
		    sd_bus_message *reply, void *ud, sd_bus_error *err)
{
	uint32_t uid = owner_uid + (strcmp(path, S2) == 0 ? 1 : 0);
	char user[64];

	(void)bus, (void)iface, (void)prop, (void)ud, (void)err;
	snprintf(user, sizeof(user), "/org/freedesktop/login1/user/_%u", uid);
	return sd_bus_message_append(reply, "(uo)", uid, user);
}

static const sd_bus_vtable session_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("User", "(uo)", get_user, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_SIGNAL("Lock", "", 0),
    SD_BUS_VTABLE_END,
};

static const sd_bus_vtable manager_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_SIGNAL("PrepareForSleep", "b", 0),
    SD_BUS_VTABLE_END,
};

static int die(const char *what, int rc)
{
	fprintf(stderr, "mock_logind: %s: %s\n", what, strerror(-rc));
	return 1;
}

static int spoof(sd_bus *bus)
{
	int rc;

	if ((rc = sd_bus_emit_signal(bus, ROOT, MANAGER, "PrepareForSleep", "b", 1)) < 0 ||
	    (rc = sd_bus_emit_signal(bus, S1, SESSION, "Lock", "")) < 0 ||
	    (rc = sd_bus_flush(bus)) < 0)
		return die("cannot send", rc);
	puts("sent");
	return 0;
}

static int obey(sd_bus *bus, const char *line)
{
	char path[64];
	int n;

	if (strcmp(line, "sleep") == 0 || strcmp(line, "wake") == 0)
		return sd_bus_emit_signal(bus, ROOT, MANAGER, "PrepareForSleep", "b",
					  strcmp(line, "sleep") == 0);
	if (sscanf(line, "lock %d", &n) == 1 && (n == 1 || n == 2)) {
		snprintf(path, sizeof(path), "/org/freedesktop/login1/session/_3%d", n);
		return sd_bus_emit_signal(bus, path, SESSION, "Lock", "");
	}
	fprintf(stderr, "mock_logind: unknown command '%s'\n", line);
	return 0;
}

static int serve(sd_bus *bus)
{
	char line[64];
	int rc;

	if ((rc = sd_bus_add_object_vtable(bus, NULL, ROOT, MANAGER, manager_vtable, NULL)) < 0 ||
	    (rc = sd_bus_add_object_vtable(bus, NULL, S1, SESSION, session_vtable, NULL)) < 0 ||
	    (rc = sd_bus_add_object_vtable(bus, NULL, S2, SESSION, session_vtable, NULL)) < 0 ||
	    (rc = sd_bus_request_name(bus, NAME, 0)) < 0)
		return die("cannot serve", rc);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		struct pollfd p[2] = {{.fd = STDIN_FILENO, .events = POLLIN},
				      {.fd = sd_bus_get_fd(bus), .events = POLLIN}};
		while ((rc = sd_bus_process(bus, NULL)) > 0)
			;
		if (rc < 0)
			return die("bus", rc);
		if ((rc = sd_bus_flush(bus)) < 0)
			return die("flush", rc);
		if (poll(p, 2, -1) < 0)
			return die("poll", -1);
		if (p[0].revents != 0) {
			if (fgets(line, sizeof(line), stdin) == NULL)
				return 0;
			line[strcspn(line, "\n")] = '\0';
			if (strcmp(line, "quit") == 0)
				return 0;
			if ((rc = obey(bus, line)) < 0)
				return die("cannot send", rc);
			if ((rc = sd_bus_flush(bus)) < 0)
				return die("flush", rc);
			printf("done %s\n", line);
			fflush(stdout);
		}
	}
}

int main(int argc, char **argv)
{
	sd_bus *bus = NULL;
	int rc;

	if (argc < 2 || (strcmp(argv[1], "serve") == 0 && argc != 3)) {
		fprintf(stderr, "usage: mock_logind serve UID | mock_logind spoof\n");
		return 2;
	}
	if ((rc = sd_bus_open_system(&bus)) < 0)
		return die("cannot connect to DBUS_SYSTEM_BUS_ADDRESS", rc);
	if (strcmp(argv[1], "serve") == 0) {
		owner_uid = (uint32_t)strtoul(argv[2], NULL, 10);
		rc = serve(bus);
	} else {
		rc = spoof(bus);
	}
	sd_bus_flush_close_unref(bus);
	return rc;
}
