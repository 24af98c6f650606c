/*
 * vigil-audit: the work of `vigil audit` (agent/vigil/cmd_audit.c), in a program of its own
 * because it needs libgit2, which vigil never loads. vigil checks the options and runs it
 * with exactly these:
 *
 *   vigil-audit --remote URL|PATH --org ORG-PUBKEY [--state FILE] [--threads N]
 *               [--now YYYY-MM-DD] [--json]
 *
 * Output and exit statuses are those of `vigil audit` (CLI.md): 0 clean, 1 a failing
 * finding or no audit possible, 2 a usage error.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "vigil/audit.h"
#include "vigil/error.h"
#include "vigil/harden.h"
#include "vigil/minisign.h"
#include "vigil/vigil.h"

#define USAGE                                                                                      \
	"usage: vigil audit --remote URL|PATH --org ORG-PUBKEY [--state FILE] [--threads N] "      \
	"[--now YYYY-MM-DD] [--json]\n"

static int fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("vigil: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

static int parse_date(time_t *out, const char *s)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end == NULL || *end != '\0' || strlen(s) != 10)
		return -1;
	tm.tm_hour = 12;
	*out = timegm(&tm);
	return 0;
}

static void print_human(const struct vg_audit_report *r, const char *remote)
{
	printf("audit of %s\n", remote);
	if (r->roster_version > 0)
		printf("roster: versions 1 to %llu verified, the newest expires %s\n",
		       (unsigned long long)r->roster_version, r->roster_expires);
	else
		printf("roster: no version verified\n");
	for (size_t i = 0; i < r->nmembers; i++) {
		const struct vg_audit_member *m = &r->members[i];
		printf("member %s (%s): ", m->name, m->role);
		if (!m->branch)
			printf("no branch");
		else
			printf("%llu entries, %llu valid, head %llu, %llu quarantined, %llu "
			       "late-accepted",
			       (unsigned long long)m->entries, (unsigned long long)m->valid,
			       (unsigned long long)m->head, (unsigned long long)m->quarantined,
			       (unsigned long long)m->late);
		printf(m->failures ? ": %llu failures\n" : ": ok\n",
		       (unsigned long long)m->failures);
	}
	for (size_t i = 0; i < r->nfindings; i++) {
		const struct vg_audit_finding *f = &r->findings[i];
		char seq[24];
		if (f->seq > 0)
			snprintf(seq, sizeof(seq), "%llu", (unsigned long long)f->seq);
		else
			snprintf(seq, sizeof(seq), "-");
		printf("%s %s %s %s %s %s\n", vg_audit_severity_name(f->severity), f->kind,
		       f->member, seq, f->path, f->message);
	}
	if (r->failures + r->notices > r->nfindings)
		printf("(%zu more findings not shown)\n", r->failures + r->notices - r->nfindings);
	printf("audit: %llu entries, %llu valid, on %u threads in %.2f s: %zu failures, %zu "
	       "notices%s\n",
	       (unsigned long long)r->entries, (unsigned long long)r->verified, r->threads,
	       r->seconds, r->failures, r->notices, r->state_written ? "; state saved" : "");
}

static int print_json(const struct vg_audit_report *r, const char *remote)
{
	json_t *o = json_object(), *members = json_array(), *findings = json_array();
	int rc;

	if (o == NULL || members == NULL || findings == NULL) {
		json_decref(o);
		json_decref(members);
		json_decref(findings);
		return -1;
	}
	for (size_t i = 0; i < r->nmembers; i++) {
		const struct vg_audit_member *m = &r->members[i];
		char hex[VG_ID_HEX_LEN + 1];
		vg_hex_encode(hex, m->id, VG_ID_BYTES);
		json_array_append_new(
		    members, json_pack("{s:s, s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I}",
				       "member", m->name, "id", hex, "role", m->role, "branch",
				       m->branch, "entries", (json_int_t)m->entries, "valid",
				       (json_int_t)m->valid, "head", (json_int_t)m->head,
				       "quarantined", (json_int_t)m->quarantined, "late_accepted",
				       (json_int_t)m->late, "failures", (json_int_t)m->failures));
	}
	for (size_t i = 0; i < r->nfindings; i++) {
		const struct vg_audit_finding *f = &r->findings[i];
		json_array_append_new(
		    findings, json_pack("{s:s, s:s, s:s, s:o, s:s, s:s}", "severity",
					vg_audit_severity_name(f->severity), "kind", f->kind,
					"member", f->member, "seq",
					f->seq > 0 ? json_integer((json_int_t)f->seq) : json_null(),
					"path", f->path, "message", f->message));
	}
	json_object_set_new(o, "ok", json_boolean(r->failures == 0));
	json_object_set_new(o, "remote", json_string(remote));
	json_object_set_new(o, "roster",
			    r->roster_version > 0
				? json_pack("{s:I, s:s}", "version", (json_int_t)r->roster_version,
					    "expires", r->roster_expires)
				: json_null());
	json_object_set_new(o, "entries", json_integer((json_int_t)r->entries));
	json_object_set_new(o, "verified", json_integer((json_int_t)r->verified));
	json_object_set_new(o, "failures", json_integer((json_int_t)r->failures));
	json_object_set_new(o, "notices", json_integer((json_int_t)r->notices));
	json_object_set_new(o, "threads", json_integer(r->threads));
	json_object_set_new(o, "seconds", json_real(r->seconds));
	json_object_set_new(
	    o, "state",
	    json_pack("{s:b, s:b}", "read", r->state_read, "written", r->state_written));
	json_object_set_new(o, "members", members);
	json_object_set_new(o, "findings", findings);
	rc = json_dumpf(o, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(o);
	return rc;
}

int main(int argc, char **argv)
{
	struct vg_audit_options o;
	struct vg_audit_report *r = NULL;
	struct vg_minisign_pk org;
	const char *remote = NULL, *orgkey = NULL;
	char abs[PATH_MAX];
	bool json = false;
	int rc;

	memset(&o, 0, sizeof(o));
	if (vg_init() < 0 || vg_harden_process() < 0)
		return fail(1, "%s", vg_error_last());
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--json") == 0) {
			json = true;
			continue;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(USAGE, stdout);
			return 0;
		}
		if (v == NULL) {
			fputs(USAGE, stderr);
			return fail(2, "'%s' needs a value or is not an option", a);
		}
		i++;
		if (strcmp(a, "--remote") == 0) {
			remote = v;
		} else if (strcmp(a, "--org") == 0) {
			orgkey = v;
		} else if (strcmp(a, "--state") == 0) {
			o.state = v;
		} else if (strcmp(a, "--threads") == 0) {
			char *end;
			unsigned long n = strtoul(v, &end, 10);
			if (*end != '\0' || n < 1 || n > VG_AUDIT_THREADS_MAX || v[0] == '0')
				return fail(2, "--threads takes 1 to 64, not '%s'", v);
			o.threads = (unsigned)n;
		} else if (strcmp(a, "--now") == 0) {
			if (parse_date(&o.now, v) < 0)
				return fail(2, "--now takes a date YYYY-MM-DD, not '%s'", v);
		} else {
			fputs(USAGE, stderr);
			return fail(2, "'%s' is not an option of 'vigil audit'", a);
		}
	}
	if (remote == NULL || orgkey == NULL) {
		fputs(USAGE, stderr);
		return fail(2, "%s", "--remote and --org are required");
	}
	if (vg_minisign_pk_parse(&org, orgkey, strlen(orgkey)) < 0)
		return fail(2, "--org: not a minisign public key line (RW...): %s",
			    vg_error_last());
	/* A relative path is the auditor's own directory's. */
	if (remote[0] != '/' && strncmp(remote, "file://", 7) != 0) {
		if (realpath(remote, abs) == NULL)
			return fail(1, "no repository at '%s'", remote);
		remote = abs;
	}
	o.remote = remote;
	o.org = &org;
	if ((rc = vg_audit_run(&r, &o)) < 0)
		return fail(1, "audit: %s", vg_error_last());
	if (json ? print_json(r, remote) < 0 : (print_human(r, remote), 0))
		rc = fail(1, "%s", "cannot write the output");
	else if (fflush(stdout) != 0)
		rc = fail(1, "%s", "cannot write the output");
	else
		rc = r->failures > 0 ? 1 : 0;
	vg_audit_report_free(r);
	return rc;
}
