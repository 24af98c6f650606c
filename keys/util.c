#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "keys.h"
#include "vigil/error.h"
#include "vigil/fs.h"
#include "vigil/orgkey.h"
#include "vigil/term.h"

#define ANSWER_MAX 16

void vg_keys_print(FILE *f, const char *s)
{
	struct vg_buf b = VG_BUF_INIT;

	if (vg_term_sanitize(&b, s, strlen(s), false) == 0 && b.ptr != NULL)
		fputs((const char *)b.ptr, f);
	fputc('\n', f);
	vg_buf_release(&b);
}

int vg_keys_fail(int status, const char *fmt, ...)
{
	char msg[1024], line[1100];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "vigil-keys: %s", msg);
	vg_keys_print(stderr, line);
	return status;
}

int vg_keys_error(int code)
{
	return vg_keys_fail(vg_cli_status(code), "%s", vg_error_last());
}

int vg_keys_print_json(json_t *obj)
{
	int status = VG_EXIT_OK;

	if (obj == NULL)
		return vg_keys_fail(VG_EXIT_REFUSED, "out of memory");
	if (json_dumpf(obj, stdout, JSON_COMPACT | JSON_SORT_KEYS) < 0 ||
	    fputc('\n', stdout) == EOF)
		status = vg_keys_fail(VG_EXIT_REFUSED, "cannot write the output");
	json_decref(obj);
	return status;
}

static int usage_error(const struct vg_keys_command *cmd, const char *what, const char *arg)
{
	if (arg != NULL)
		vg_keys_fail(VG_EXIT_USAGE, "%s '%s'", what, arg);
	else
		vg_keys_fail(VG_EXIT_USAGE, "%s", what);
	fprintf(stderr, "usage: %s\n", cmd->usage);
	return VG_EXIT_USAGE;
}

int vg_keys_parse(const struct vg_keys_command *cmd, int argc, char **argv,
		  struct vg_keys_opt *opts, char ***operands, int *noperands, int min, int max)
{
	int n = 0, i;
	bool only_operands = false;

	for (struct vg_keys_opt *o = opts; o != NULL && o->name != NULL; o++) {
		o->value = NULL;
		o->set = false;
	}
	/* Operands are gathered in place at the front of argv. */
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		struct vg_keys_opt *hit = NULL;
		size_t len;

		if (!only_operands && strcmp(a, "--") == 0) {
			only_operands = true;
			continue;
		}
		if (only_operands || a[0] != '-' || a[1] == '\0') {
			argv[n++] = argv[i];
			continue;
		}
		for (struct vg_keys_opt *o = opts; o != NULL && o->name != NULL && hit == NULL;
		     o++) {
			len = strlen(o->name);
			if ((strncmp(a, o->name, len) == 0 &&
			     (a[len] == '\0' || (a[len] == '=' && o->takes_value))) ||
			    (o->alias != NULL && strcmp(a, o->alias) == 0))
				hit = o;
		}
		if (hit == NULL)
			return usage_error(cmd, "unknown option", a);
		if (hit->set)
			return usage_error(cmd, "option given twice:", hit->name);
		hit->set = true;
		if (!hit->takes_value)
			continue;
		len = strlen(hit->name);
		if (strncmp(a, hit->name, len) == 0 && a[len] == '=')
			hit->value = a + len + 1;
		else if (i + 1 < argc)
			hit->value = argv[++i];
		if (hit->value == NULL || hit->value[0] == '\0')
			return usage_error(cmd, "a value is needed by option", hit->name);
	}
	if (n < min)
		return usage_error(cmd, n == 0 ? "missing operand" : "missing operands", NULL);
	if (max >= 0 && n > max)
		return usage_error(cmd, "unexpected operand", argv[max]);
	if (operands != NULL)
		*operands = argv;
	if (noperands != NULL)
		*noperands = n;
	return 0;
}

int vg_keys_passphrase(struct vg_buf *out, const struct vg_keys *k, const char *prompt,
		       const char *confirm)
{
	struct vg_buf again = VG_BUF_INIT_SECURE;
	int rc = vg_term_passphrase(out, k->cli->passphrase_fd, prompt);

	/* A script gives it once on its descriptor; a person types a new one twice. */
	if (rc < 0 || confirm == NULL || k->cli->passphrase_fd >= 0)
		return rc;
	rc = vg_term_passphrase(&again, -1, confirm);
	if (rc == 0 && (again.len != out->len || sodium_memcmp(again.ptr, out->ptr, out->len) != 0))
		rc = vg_error_set(VG_EAUTH, "the passphrases do not match");
	vg_buf_release(&again);
	if (rc < 0)
		vg_buf_clear(out);
	return rc;
}

int vg_keys_confirm(bool *yes, const char *question)
{
	char answer[ANSWER_MAX + 1];
	size_t n = 0;
	int tty, rc = 0;

	*yes = false;
	tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (tty < 0)
		return vg_error_set(VG_EINVAL, "no terminal to ask on");
	if (write(tty, question, strlen(question)) < 0) {
		rc = vg_error_sys("cannot write to the terminal");
		goto done;
	}
	for (;;) {
		char c;
		ssize_t got = read(tty, &c, 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0 || c == '\n')
			break;
		if (n < ANSWER_MAX)
			answer[n++] = c;
	}
	answer[n] = '\0';
	*yes = strcmp(answer, "y") == 0 || strcmp(answer, "yes") == 0 || strcmp(answer, "Y") == 0;
done:
	close(tty);
	return rc;
}

int vg_keys_data_path(char *out, const struct vg_keys *k, const char *name)
{
	return vg_home_path(out, PATH_MAX, k->home.data, name);
}

int vg_keys_config_path(char *out, const struct vg_keys *k, const char *name)
{
	return vg_home_path(out, PATH_MAX, k->home.config, name);
}

int vg_keys_absolute(char *out, const char *path)
{
	char dir[PATH_MAX], real[PATH_MAX];
	const char *slash = strrchr(path, '/'), *base;
	int n;

	if (path[0] == '\0' || (slash != NULL && slash[1] == '\0'))
		return vg_error_set(VG_EINVAL, "'%s' is not a file name", path);
	if (slash == NULL) {
		n = snprintf(dir, sizeof(dir), ".");
		base = path;
	} else {
		n = slash == path ? snprintf(dir, sizeof(dir), "/")
				  : snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
		base = slash + 1;
	}
	if (n < 0 || (size_t)n >= sizeof(dir))
		return vg_error_set(VG_EINVAL, "path too long: '%s'", path);
	if (realpath(dir, real) == NULL)
		return vg_error_sys("cannot use directory '%s'", dir);
	n = snprintf(out, PATH_MAX, "%s/%s", strcmp(real, "/") == 0 ? "" : real, base);
	if (n < 0 || n >= PATH_MAX)
		return vg_error_set(VG_EINVAL, "path too long: '%s'", path);
	return 0;
}

/* a is b or lies under it (both absolute and resolved). */
static bool under(const char *a, const char *b)
{
	size_t n = strlen(b);

	if (strcmp(b, "/") == 0)
		return true;
	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

static bool holds_vault(const char *dir)
{
	char p[PATH_MAX];
	struct stat st;

	if (snprintf(p, sizeof(p), "%s/vault.key", dir) < (int)sizeof(p) && lstat(p, &st) == 0)
		return true;
	return snprintf(p, sizeof(p), "%s/data/vault.key", dir) < (int)sizeof(p) &&
	       lstat(p, &st) == 0;
}

int vg_keys_inside_home(bool *inside, const struct vg_keys *k, const char *path)
{
	char abs[PATH_MAX], real[PATH_MAX], *slash;
	const char *homes[4] = {k->home.data, k->home.config, k->home.run, k->cli->home};
	int rc;

	*inside = false;
	if ((rc = vg_keys_absolute(abs, path)) < 0)
		return rc;
	for (size_t i = 0; i < sizeof(homes) / sizeof(homes[0]); i++)
		if (homes[i] != NULL && realpath(homes[i], real) != NULL && under(abs, real))
			*inside = true;
	/* Any home: a directory on the way up that holds a vault. */
	while (!*inside && (slash = strrchr(abs, '/')) != NULL) {
		*slash = '\0';
		if (holds_vault(abs[0] != '\0' ? abs : "/"))
			*inside = true;
		if (abs[0] == '\0')
			break;
	}
	return 0;
}

int vg_keys_load(struct vg_roster_set **out, const struct vg_keys *k)
{
	struct vg_minisign_pk org;
	char dir[PATH_MAX];
	int rc;

	*out = NULL;
	if ((rc = vg_keys_data_path(dir, k, VG_KEYS_ROSTER_DIR)) < 0)
		return rc;
	rc = vg_roster_dir_org(&org, dir);
	if (rc == VG_ENOTFOUND)
		return vg_error_set(VG_ENOTFOUND,
				    "no organisation in '%s' (run 'vigil-keys org "
				    "init' first)",
				    k->home.data);
	if (rc < 0 || (rc = vg_roster_set_new(out, &org)) < 0)
		return rc;
	if ((rc = vg_roster_dir_load(*out, dir, NULL)) < 0) {
		vg_error_prefix(rc, "roster in '%s'", dir);
		vg_roster_set_free(*out);
		*out = NULL;
	}
	return rc;
}

int vg_keys_remember_orgkey(const struct vg_keys *k, const char *path)
{
	char abs[PATH_MAX], file[PATH_MAX], line[PATH_MAX + 1];
	int rc, n;

	if ((rc = vg_keys_absolute(abs, path)) < 0 || (rc = vg_mkdir_p(k->home.config, 0700)) < 0 ||
	    (rc = vg_keys_config_path(file, k, VG_KEYS_ORGKEY_PATH)) < 0)
		return rc;
	n = snprintf(line, sizeof(line), "%s\n", abs);
	if (n < 0 || (size_t)n >= sizeof(line))
		return vg_error_set(VG_EINVAL, "path too long: '%s'", abs);
	return vg_fs_write_atomic(file, line, (size_t)n, 0600, 0);
}

/* The path org init remembered, into out; VG_ENOTFOUND when none. */
static int remembered(char *out, const struct vg_keys *k)
{
	struct vg_buf b = VG_BUF_INIT;
	char p[PATH_MAX];
	int rc;

	if ((rc = vg_keys_config_path(p, k, VG_KEYS_ORGKEY_PATH)) < 0)
		return rc;
	if ((rc = vg_fs_read_file(&b, p, PATH_MAX)) < 0)
		goto done;
	if (b.len < 2 || b.ptr[b.len - 1] != '\n' || memchr(b.ptr, '\0', b.len) != NULL ||
	    memchr(b.ptr, '\n', b.len - 1) != NULL) {
		rc = vg_error_set(VG_EFORMAT, "'%s' is not one line naming a file", p);
		goto done;
	}
	memcpy(out, b.ptr, b.len - 1);
	out[b.len - 1] = '\0';
done:
	vg_buf_release(&b);
	return rc;
}

int vg_keys_open_orgkey(struct vg_minisign_sk **out, const struct vg_keys *k, const char *given,
			const struct vg_roster *r)
{
	struct vg_buf pass = VG_BUF_INIT_SECURE;
	struct vg_minisign_pk pk;
	char path[PATH_MAX], prompt[PATH_MAX + 64];
	int rc;

	*out = NULL;
	if (given != NULL) {
		if (snprintf(path, sizeof(path), "%s", given) >= (int)sizeof(path))
			return vg_error_set(VG_EINVAL, "path too long");
	} else if ((rc = remembered(path, k)) < 0) {
		if (rc == VG_ENOTFOUND)
			return vg_error_set(VG_EINVAL,
					    "no organisation key known in this home: pass "
					    "--org-key FILE");
		return rc;
	}
	snprintf(prompt, sizeof(prompt), "Passphrase of the organisation key '%s': ", path);
	if ((rc = vg_keys_passphrase(&pass, k, prompt, NULL)) < 0)
		goto done;
	if ((rc = vg_orgkey_read(out, path, (const char *)pass.ptr, pass.len)) < 0)
		goto done;
	vg_minisign_sk_public(&pk, *out);
	if (memcmp(&pk, &r->signer, sizeof(pk)) != 0) {
		vg_minisign_sk_free(*out);
		*out = NULL;
		rc = vg_error_set(VG_EMISMATCH, "'%s' is not the key of organisation '%s'", path,
				  r->name);
		goto done;
	}
	/* A key that moved (to another stick, say) is found there next time. */
	if (given != NULL && vg_keys_remember_orgkey(k, given) < 0)
		vg_keys_fail(VG_EXIT_OK, "note: cannot remember where the organisation key is: %s",
			     vg_error_last());
done:
	vg_buf_release(&pass);
	return rc;
}

int vg_keys_uint(uint64_t *out, const char *s, const char *what)
{
	uint64_t v = 0;

	if (s == NULL || s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return vg_error_set(VG_EINVAL, "%s '%s' is not a number", what, s ? s : "");
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return vg_error_set(VG_EINVAL, "%s '%s' is not a number", what, s);
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > VG_ENTRY_INT_MAX)
			return vg_error_set(VG_EINVAL, "%s '%s' is out of range", what, s);
	}
	*out = v;
	return 0;
}

int vg_keys_days(unsigned *out, const char *s)
{
	uint64_t v;
	int rc;

	*out = VG_ROSTER_EXPIRY_DAYS;
	if (s == NULL)
		return 0;
	if ((rc = vg_keys_uint(&v, s, "--days")) < 0)
		return rc;
	if (v < 1 || v > 366)
		return vg_error_set(VG_EINVAL, "--days must be 1 to 366");
	*out = (unsigned)v;
	return 0;
}

int vg_keys_sign_next(struct vg_roster_set *s, struct vg_roster *next, const struct vg_keys *k,
		      const char *orgkey)
{
	struct vg_minisign_sk *sk = NULL;
	struct vg_buf json = VG_BUF_INIT, sig = VG_BUF_INIT;
	char dir[PATH_MAX];
	int rc;

	if ((rc = vg_keys_open_orgkey(&sk, k, orgkey, vg_roster_set_current(s))) < 0 ||
	    (rc = vg_roster_sign(&json, &sig, next, sk)) < 0)
		goto done;
	/* The new version must pass every rule a verifier applies, before it is written. */
	if ((rc = vg_roster_set_add(s, json.ptr, json.len, (const char *)sig.ptr, sig.len, NULL)) <
	    0) {
		vg_error_prefix(rc, "the new roster version would be refused");
		goto done;
	}
	if ((rc = vg_keys_data_path(dir, k, VG_KEYS_ROSTER_DIR)) < 0 ||
	    (rc = vg_roster_dir_write(dir, next->version, json.ptr, json.len, (const char *)sig.ptr,
				      sig.len, &next->signer)) < 0)
		goto done;
done:
	vg_minisign_sk_free(sk);
	vg_buf_release(&json);
	vg_buf_release(&sig);
	return rc;
}

int vg_keys_write_output(const char *path, const uint8_t *data, size_t len, const char *what)
{
	if (path != NULL && strcmp(path, "-") != 0)
		return vg_fs_write_atomic(path, data, len, 0600, 1);
	if (isatty(STDOUT_FILENO))
		return vg_error_set(VG_EINVAL, "not writing %s to a terminal: use -o FILE", what);
	if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0)
		return vg_error_sys("cannot write %s", what);
	return 0;
}
