#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vigil/error.h"
#include "vigil/home.h"

int vg_home_path(char *out, size_t outsz, const char *dir, const char *name)
{
	int n = snprintf(out, outsz, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= outsz)
		return vg_error_set(VG_EINVAL, "path too long: '%s/%s'", dir, name);
	return 0;
}

static int absolute(char *out, size_t outsz, const char *p)
{
	char cwd[PATH_MAX];
	int n;

	if (p[0] == '/') {
		n = snprintf(out, outsz, "%s", p);
	} else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return vg_error_sys("cannot get the current directory");
		n = snprintf(out, outsz, "%s/%s", cwd, p);
	}
	if (n < 0 || (size_t)n >= outsz)
		return vg_error_set(VG_EINVAL, "path too long: '%s'", p);
	/* Trailing slashes would double up in joined paths. */
	while (n > 1 && out[n - 1] == '/')
		out[--n] = '\0';
	return 0;
}

static int xdg(char *out, size_t outsz, const char *var, const char *fallback)
{
	const char *v = getenv(var), *home = getenv("HOME");
	char tmp[PATH_MAX];
	int n;

	if (v != NULL && v[0] == '/') /* the XDG spec ignores relative values */
		return vg_home_path(out, outsz, v, "vigil");
	if (home == NULL || home[0] != '/')
		return vg_error_set(VG_EINVAL,
				    "cannot tell where to keep vigil's files: set --home, "
				    "VIGIL_HOME or HOME");
	n = snprintf(tmp, sizeof(tmp), "%s/%s", home, fallback);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return vg_error_set(VG_EINVAL, "path too long under '%s'", home);
	return vg_home_path(out, outsz, tmp, "vigil");
}

int vg_home_resolve(struct vg_home *out, const char *home)
{
	char base[PATH_MAX];
	const char *rt;
	int rc;

	memset(out, 0, sizeof(*out));
	if (home == NULL || home[0] == '\0')
		home = getenv("VIGIL_HOME");
	if (home != NULL && home[0] != '\0') {
		if ((rc = absolute(base, sizeof(base), home)) < 0 ||
		    (rc = vg_home_path(out->data, sizeof(out->data), base, "data")) < 0 ||
		    (rc = vg_home_path(out->config, sizeof(out->config), base, "config")) < 0 ||
		    (rc = vg_home_path(out->run, sizeof(out->run), base, "run")) < 0)
			return rc;
		return 0;
	}
	if ((rc = xdg(out->data, sizeof(out->data), "XDG_DATA_HOME", ".local/share")) < 0 ||
	    (rc = xdg(out->config, sizeof(out->config), "XDG_CONFIG_HOME", ".config")) < 0)
		return rc;
	rt = getenv("XDG_RUNTIME_DIR");
	if (rt != NULL && rt[0] == '/')
		return vg_home_path(out->run, sizeof(out->run), rt, "vigil");
	return vg_home_path(out->run, sizeof(out->run), out->data, "run");
}

int vg_mkdir_p(const char *path, unsigned mode)
{
	char tmp[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(tmp))
		return vg_error_set(VG_EINVAL, "bad directory path '%s'", path);
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return vg_error_sys("cannot create directory '%s'", tmp);
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return vg_error_sys("cannot create directory '%s'", tmp);
	return 0;
}

int vg_home_create(const struct vg_home *h)
{
	int rc;

	if ((rc = vg_mkdir_p(h->data, 0700)) < 0 || (rc = vg_mkdir_p(h->config, 0700)) < 0)
		return rc;
	return 0;
}
