#include <stdio.h>
#include <string.h>

#include "client.h"
#include "vigil/config.h"
#include "vigil/error.h"

/*
 * vigil config show: the effective settings and where each came from, read here from the
 * file the daemon reads (no daemon needed). A file the daemon would refuse is refused the
 * same way, with its line number.
 */
static int show(struct vg_client *c)
{
	char path[PATH_MAX];
	struct vg_config cfg;
	struct vg_config_item it;
	json_t *out = NULL, *items = NULL, *o;
	int rc, status = VG_EXIT_OK;

	if ((rc = vg_home_path(path, sizeof(path), c->home.config, VG_CONFIG_FILE)) < 0 ||
	    (rc = vg_config_load(&cfg, path)) < 0)
		return vg_client_error(rc);
	if (c->cli->json &&
	    ((out = json_pack("{s:s}", "file", path)) == NULL || (items = json_array()) == NULL ||
	     json_object_set_new(out, "settings", items) < 0)) {
		json_decref(out);
		return vg_client_fail(VG_EXIT_REFUSED, "out of memory");
	}
	if (!c->cli->json) {
		fputs("file: ", stdout);
		vg_client_print_line(path);
	}
	for (size_t i = 0; i < VG_CONFIG_KEYS; i++) {
		vg_config_item(&it, &cfg, i);
		if (!c->cli->json && it.word != NULL) {
			printf("[%s] %s = %s  ; %s, ", it.section, it.key, it.word, it.unit);
			if (it.line > 0)
				printf("from line %d of the file (default %s)\n", it.line,
				       it.fallback_word[0] != '\0' ? it.fallback_word : "none");
			else
				puts("default");
			continue;
		}
		if (!c->cli->json) {
			printf("[%s] %s = %u  ; %s, ", it.section, it.key, it.value, it.unit);
			if (it.line > 0)
				printf("from line %d of the file (default %u)\n", it.line,
				       it.fallback);
			else
				puts("default");
			continue;
		}
		/* A word setting gives its value and default as words, a number as numbers. */
		o = json_pack(
		    "{s:s,s:s,s:o,s:o,s:s,s:s,s:o}", "section", it.section, "key", it.key, "value",
		    it.word != NULL ? json_string(it.word) : json_integer(it.value), "default",
		    it.word != NULL ? json_string(it.fallback_word) : json_integer(it.fallback),
		    "unit", it.unit, "origin", it.line > 0 ? "file" : "default", "line",
		    it.line > 0 ? json_integer(it.line) : json_null());
		if (o == NULL || json_array_append_new(items, o) < 0) {
			json_decref(out);
			return vg_client_fail(VG_EXIT_REFUSED, "out of memory");
		}
	}
	if (c->cli->json) {
		if (vg_client_print_json(out) < 0)
			status = vg_client_fail(VG_EXIT_REFUSED, "cannot write the output");
		json_decref(out);
	}
	return status;
}

static int run(struct vg_client *c, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "show") == 0)
		return show(c);
	vg_client_fail(VG_EXIT_USAGE, "usage: %s", vg_cmd_config.usage);
	return VG_EXIT_USAGE;
}

const struct vg_command vg_cmd_config = {
    "config",
    run,
    "vigil config show",
    "print the effective settings and where each came from",
    "Reads <config>/vigil.conf as the daemon does (see vigil.conf(5)) and prints every\n"
    "setting's effective value and its origin: the line of the file that set it, or the\n"
    "default. A file the daemon would refuse (an unknown key, a bad value, a key given\n"
    "twice) is refused here too, with its line number. Needs no daemon and no passphrase.\n"
    "A running daemon reads the file when it starts: restart it to apply a change.\n"
    "\n"
    "  --json  {\"file\", \"settings\": [{\"section\", \"key\", \"value\", \"default\", \"unit\",\n"
    "           \"origin\": \"file\"|\"default\", \"line\"}]} (value and default: numbers,\n"
    "           or words where the unit is \"level\")\n",
};
