#include <stdlib.h>
#include <string.h>

#include "vigil/cli.h"
#include "vigil/error.h"

static int parse_fd(int *out, const char *s)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 0 || v > 1024)
		return -1;
	*out = (int)v;
	return 0;
}

int vg_cli_parse(struct vg_cli *out, int argc, char **argv)
{
	int n = 0, i;

	memset(out, 0, sizeof(*out));
	out->passphrase_fd = -1;
	out->argv = argv;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;

		if (strcmp(a, "--") == 0) {
			for (i++; i < argc; i++)
				argv[n++] = argv[i];
			break;
		}
		if (strcmp(a, "--json") == 0) {
			out->json = true;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			out->help = true;
		} else if (strcmp(a, "--version") == 0) {
			out->version = true;
		} else if (strncmp(a, "--home", 6) == 0 && (a[6] == '\0' || a[6] == '=')) {
			val = a[6] == '=' ? a + 7 : (i + 1 < argc ? argv[++i] : NULL);
			if (val == NULL || *val == '\0')
				return vg_error_set(VG_EINVAL, "--home needs a directory");
			out->home = val;
		} else if (strncmp(a, "--passphrase-fd", 15) == 0 &&
			   (a[15] == '\0' || a[15] == '=')) {
			val = a[15] == '=' ? a + 16 : (i + 1 < argc ? argv[++i] : NULL);
			if (parse_fd(&out->passphrase_fd, val) < 0)
				return vg_error_set(VG_EINVAL,
						    "--passphrase-fd needs a descriptor number");
		} else {
			argv[n++] = argv[i];
		}
	}
	argv[n] = NULL;
	out->argc = n;
	if (out->home == NULL) {
		const char *env = getenv("VIGIL_HOME");
		if (env != NULL && env[0] != '\0')
			out->home = env;
	}
	return 0;
}

int vg_cli_status(int code)
{
	return code == VG_EINVAL ? 2 : 1;
}
