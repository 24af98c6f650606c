/*
 * vigil-keys: the organisation's trust. One file per subcommand, dispatched from the
 * table below.
 */
#include <stdio.h>
#include <string.h>

#include "keys.h"
#include "vigil/error.h"
#include "vigil/harden.h"
#include "vigil/vigil.h"

static const struct vg_keys_command *const commands[] = {
    &vg_keys_org_init,	      &vg_keys_org_show,    &vg_keys_enroll, &vg_keys_invite,
    &vg_keys_revoke,	      &vg_keys_late_accept, &vg_keys_renew,  &vg_keys_roster,
    &vg_keys_export_identity, &vg_keys_publish,	    &vg_keys_policy,
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fputs("usage: vigil-keys <command> [options]\n\ncommands:\n", f);
	for (size_t i = 0; i < NCOMMANDS; i++) {
		char name[32];
		snprintf(name, sizeof(name), "%s%s%s", commands[i]->name,
			 commands[i]->sub ? " " : "", commands[i]->sub ? commands[i]->sub : "");
		fprintf(f, "  %-16s %s\n", name, commands[i]->summary);
	}
	fputs("\noptions every command takes, anywhere on the line:\n"
	      "  --home DIR         data and config directory under DIR (or VIGIL_HOME)\n"
	      "  --passphrase-fd N  read passphrases from descriptor N, one per line, in the\n"
	      "                     order the command's --help gives\n"
	      "  --json             output for scripts\n"
	      "  --help             what a command does\n",
	      f);
}

int main(int argc, char **argv)
{
	const struct vg_keys_command *cmd = NULL;
	struct vg_keys k;
	struct vg_cli cli;
	int rc, words = 1;

	if (vg_init_without_git() < 0 || vg_harden_process() < 0)
		return vg_keys_fail(VG_EXIT_REFUSED, "%s", vg_error_last());
	if ((rc = vg_cli_parse(&cli, argc, argv)) < 0)
		return vg_keys_error(rc);
	if (cli.version) {
		printf("vigil-keys %s\n", vg_version());
		return VG_EXIT_OK;
	}
	if (cli.argc == 0) {
		usage(cli.help ? stdout : stderr);
		return cli.help ? VG_EXIT_OK : VG_EXIT_USAGE;
	}
	for (size_t i = 0; i < NCOMMANDS && cmd == NULL; i++) {
		if (strcmp(cli.argv[0], commands[i]->name) != 0)
			continue;
		if (commands[i]->sub == NULL) {
			cmd = commands[i];
		} else if (cli.argc > 1 && strcmp(cli.argv[1], commands[i]->sub) == 0) {
			cmd = commands[i];
			words = 2;
		}
	}
	if (cmd == NULL) {
		if (strcmp(cli.argv[0], "org") == 0)
			return vg_keys_fail(VG_EXIT_USAGE, "usage: vigil-keys org init|show");
		return vg_keys_fail(VG_EXIT_USAGE,
				    "'%s' is not a vigil-keys command (see 'vigil-keys --help')",
				    cli.argv[0]);
	}
	if (cli.help) {
		printf("usage: %s\n\n%s", cmd->usage, cmd->help);
		return VG_EXIT_OK;
	}
	memset(&k, 0, sizeof(k));
	k.cli = &cli;
	k.command = cmd->name;
	k.now = time(NULL);
	if ((rc = vg_home_resolve(&k.home, cli.home)) < 0)
		return vg_keys_error(rc);
	rc = cmd->run(&k, cli.argc - words, cli.argv + words);
	if (fflush(stdout) != 0 && rc == VG_EXIT_OK)
		rc = vg_keys_fail(VG_EXIT_REFUSED, "cannot write the output");
	return rc;
}
