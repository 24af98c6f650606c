/*
 * vigil: the command-line client of vigild. One file per subcommand, dispatched from the
 * table below.
 */
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "coord.h"
#include "vigil/error.h"
#include "vigil/harden.h"
#include "vigil/vigil.h"

static const struct vg_command *const commands[] = {
    &vg_cmd_init,   &vg_cmd_id,	      &vg_cmd_unlock, &vg_cmd_lock,   &vg_cmd_status,
    &vg_cmd_passwd, &vg_cmd_shutdown, &vg_cmd_panic,  &vg_cmd_case,   &vg_cmd_import,
    &vg_cmd_remote, &vg_cmd_sync,     &vg_cmd_join,   &vg_cmd_alarm,  &vg_cmd_duress,
    &vg_cmd_cases,  &vg_cmd_link,     &vg_cmd_unlink, &vg_cmd_report, &vg_cmd_export,
    &vg_cmd_config, &vg_cmd_audit,
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fputs("usage: vigil <command> [options]\n\ncommands:\n", f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fputs("\noptions every command takes, anywhere on the line:\n"
	      "  --home DIR         data, config and socket directory under DIR (or VIGIL_HOME)\n"
	      "  --passphrase-fd N  read passphrases from descriptor N, one per line\n"
	      "  --json             output for scripts\n"
	      "  --help             what a command does\n",
	      f);
}

int main(int argc, char **argv)
{
	const struct vg_command *cmd = NULL;
	struct vg_client c;
	struct vg_cli cli;
	int rc;

	if (vg_init_without_git() < 0 || vg_harden_process() < 0)
		return vg_client_fail(VG_EXIT_REFUSED, "%s", vg_error_last());
	if ((rc = vg_cli_parse(&cli, argc, argv)) < 0)
		return vg_client_error(rc);
	if (cli.version) {
		printf("vigil %s\n", vg_version());
		return VG_EXIT_OK;
	}
	if (cli.argc == 0) {
		usage(cli.help ? stdout : stderr);
		return cli.help ? VG_EXIT_OK : VG_EXIT_USAGE;
	}
	for (size_t i = 0; i < NCOMMANDS && cmd == NULL; i++)
		if (strcmp(cli.argv[0], commands[i]->name) == 0)
			cmd = commands[i];
	if (cmd == NULL)
		return vg_client_fail(
		    VG_EXIT_USAGE, "'%s' is not a vigil command (see 'vigil --help')", cli.argv[0]);
	/* "vigil case new ...": the subcommand's own table entry, usage and help. */
	for (size_t i = 0;
	     strcmp(cmd->name, "case") == 0 && cli.argc > 1 && vg_cmd_case_subs[i] != NULL; i++) {
		if (strcmp(cli.argv[1], vg_cmd_case_subs[i]->name + sizeof("case")) == 0) {
			cmd = vg_cmd_case_subs[i];
			cli.argv++;
			cli.argc--;
			break;
		}
	}
	if (cli.help) {
		printf("usage: %s\n\n%s", cmd->usage, cmd->help);
		return VG_EXIT_OK;
	}
	memset(&c, 0, sizeof(c));
	c.cli = &cli;
	c.command = cmd->name;
	if ((rc = vg_home_resolve(&c.home, cli.home)) < 0)
		return vg_client_error(rc);
	rc = cmd->run(&c, cli.argc, cli.argv);
	if (fflush(stdout) != 0 && rc == VG_EXIT_OK)
		rc = vg_client_fail(VG_EXIT_REFUSED, "cannot write the output");
	return rc;
}
