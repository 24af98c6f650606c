/*
 * vigil audit: check a repository as an auditor, with no vault, no daemon and no secret
 * key (CLI.md "Auditor"; FORMAT.md 18).
 *
 * The work needs libgit2, which this program never loads (its start-up would cost every
 * other command two thirds of its time): the options are checked here, then the audit
 * runs in vigil-audit (agent/audit/), found beside this executable or in vigil's libexec
 * directory, as vigild is started.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

#ifndef VIGIL_LIBEXECDIR
#define VIGIL_LIBEXECDIR "/usr/libexec/vigil"
#endif

/* vigil-audit beside this executable, else in the libexec directory. */
static void find_helper(char *out, size_t outsz)
{
	if (!vg_client_sibling(out, outsz, "vigil-audit"))
		snprintf(out, outsz, "%s/vigil-audit", VIGIL_LIBEXECDIR);
}

static int run(struct vg_client *c, int argc, char **argv)
{
	static const char *const options[] = {"--remote",  "--org", "--state",
					      "--threads", "--now", NULL};
	const char *values[6];
	char path[PATH_MAX];
	char *args[16];
	int n = 0, status;

	if ((status = vg_client_options(&vg_cmd_audit, argc, argv, NULL, NULL, options, values)) !=
	    0)
		return status;
	if (values[0] == NULL || values[1] == NULL) {
		vg_client_fail(VG_EXIT_USAGE, "--remote and --org are required");
		fprintf(stderr, "usage: %s\n", vg_cmd_audit.usage);
		return VG_EXIT_USAGE;
	}
	find_helper(path, sizeof(path));
	args[n++] = "vigil-audit";
	for (int i = 0; options[i] != NULL; i++) {
		if (values[i] == NULL)
			continue;
		args[n++] = (char *)options[i];
		args[n++] = (char *)values[i];
	}
	if (c->cli->json)
		args[n++] = "--json";
	args[n] = NULL;
	fflush(stdout);
	execv(path, args);
	return vg_client_fail(VG_EXIT_REFUSED, "cannot run '%s': %s", path, strerror(errno));
}

const struct vg_command vg_cmd_audit = {
    "audit",
    run,
    "vigil audit --remote URL|PATH --org ORG-PUBKEY [--state FILE] [--json]",
    "verify a repository as an auditor: roster, branches, entries, feeds",
    "Verifies a repository with the organisation's public key only: no vault, no daemon,\n"
    "no secret key. The roster branch from version 1 (signatures, hash chain, expiry), every\n"
    "file of every member branch, every entry (signature, id, author a member of the roster\n"
    "version it names, role, number of recipients), every member's feed (gaps, forks,\n"
    "duplicate sequence numbers, revocation cutoffs, late_accept) and one .age signed in\n"
    "two entries.\n"
    "\n"
    "Prints a summary per member and one line per finding: severity, kind, member,\n"
    "sequence number, path (the same lines as packaging/audit-with-stock-tools.sh), then\n"
    "the reason. Quarantined and late-accepted entries are notices, not failures. Exits 1\n"
    "when anything fails.\n"
    "\n"
    "  --remote URL|PATH  the repository: a path or a file:// URL\n"
    "  --org ORG-PUBKEY   the organisation's public key (RW...), from a trusted source\n"
    "  --state FILE       what this audit verified, kept for the next one, which then\n"
    "                     reports any branch or roster that went backwards; without it the\n"
    "                     audit says it could not check for rollbacks\n"
    "  --threads N        verifying threads (default: one per core)\n"
    "  --now YYYY-MM-DD   audit as of this date (roster expiry)\n"
    "  --json             {\"ok\", \"roster\", \"members\": [...], \"findings\": [...], ...}\n",
};
