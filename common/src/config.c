#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <ini.h>

#include "vigil/buf.h"
#include "vigil/config.h"
#include "vigil/error.h"
#include "vigil/fs.h"
#include "vigil/net.h"

/* inih's line buffer (INI_MAX_LINE): longer lines would be split, so they are refused. */
#define LINE_MAX_BYTES 196

struct key {
	const char *section;
	const char *name;
	int (*parse)(struct vg_config *c, const char *value, const char **why);
	size_t field; /* offsetof what it sets, for vg_config_item */
};

/* Seconds: decimal digits only, no sign, no leading zero, at most max. */
static int parse_seconds(unsigned *out, const char *v, unsigned long max)
{
	unsigned long n = 0;

	if (v[0] == '\0' || (v[0] == '0' && v[1] != '\0'))
		return -1;
	for (const char *p = v; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		n = n * 10 + (unsigned long)(*p - '0');
		if (n > max)
			return -1;
	}
	*out = (unsigned)n;
	return 0;
}

static int parse_autolock(struct vg_config *c, const char *v, const char **why)
{
	*why = "must be a number of seconds from 0 to 31536000";
	return parse_seconds(&c->autolock, v, VG_CONFIG_AUTOLOCK_MAX);
}

static int parse_interval(struct vg_config *c, const char *v, const char **why)
{
	*why = "must be a number of seconds from 0 to 604800";
	return parse_seconds(&c->sync_interval, v, VG_CONFIG_SYNC_INTERVAL_MAX);
}

static int parse_timeout(struct vg_config *c, const char *v, const char **why)
{
	*why = "must be a number of seconds from 5 to 86400";
	return parse_seconds(&c->sync_timeout, v, VG_CONFIG_SYNC_TIMEOUT_MAX) < 0 ||
		       c->sync_timeout < VG_CONFIG_SYNC_TIMEOUT_MIN
		   ? -1
		   : 0;
}

static int parse_proxy(struct vg_config *c, const char *v, const char **why)
{
	*why = "must be empty or http://HOST:PORT (an HTTP CONNECT proxy)";
	if (vg_net_proxy_check(v) < 0) {
		vg_error_clear();
		return -1;
	}
	snprintf(c->sync_proxy, sizeof(c->sync_proxy), "%s", v);
	return 0;
}

static const char *const log_levels[] = {"error", "warn", "info", "debug"};

const char *vg_log_level_name(unsigned level)
{
	return level < sizeof(log_levels) / sizeof(log_levels[0]) ? log_levels[level] : NULL;
}

static int parse_log_level(struct vg_config *c, const char *v, const char **why)
{
	*why = "must be one of error, warn, info, debug";
	for (unsigned i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++) {
		if (strcmp(v, log_levels[i]) == 0) {
			c->log_level = i;
			return 0;
		}
	}
	return -1;
}

static const struct key keys[] = {
    {"agent", "autolock", parse_autolock, offsetof(struct vg_config, autolock)},
    {"agent", "log_level", parse_log_level, offsetof(struct vg_config, log_level)},
    {"sync", "interval", parse_interval, offsetof(struct vg_config, sync_interval)},
    {"sync", "timeout", parse_timeout, offsetof(struct vg_config, sync_timeout)},
    {"sync", "proxy", parse_proxy, offsetof(struct vg_config, sync_proxy)},
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))
_Static_assert(NKEYS == VG_CONFIG_KEYS, "VG_CONFIG_KEYS counts the keys");

struct ctx {
	struct vg_config *cfg;
	const char *text;
	size_t len, off;
	int line;	  /* lines handed to inih so far: the current line */
	int err_line;	  /* first error found here, 0 when none */
	char err[256];	  /* its message */
	bool seen[NKEYS]; /* for keys given twice */
	const char *name; /* for messages */
};

__attribute__((format(printf, 2, 3))) static void note(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err_line != 0)
		return;
	c->err_line = c->line;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

/* fgets for inih over the text in memory; counts lines and refuses overlong ones. */
static char *reader(char *str, int num, void *stream)
{
	struct ctx *c = stream;
	const char *p = c->text + c->off, *lf;
	size_t n;

	if (c->off >= c->len || c->err_line != 0)
		return NULL;
	lf = memchr(p, '\n', c->len - c->off);
	n = lf != NULL ? (size_t)(lf - p) + 1 : c->len - c->off;
	c->line++;
	if (n > LINE_MAX_BYTES || n + 1 > (size_t)num) {
		note(c, "line longer than %d bytes", LINE_MAX_BYTES);
		return NULL;
	}
	memcpy(str, p, n);
	str[n] = '\0';
	c->off += n;
	return str;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct ctx *c = user;
	const char *why = NULL;

	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].section, section) != 0 || strcmp(keys[i].name, name) != 0)
			continue;
		if (c->seen[i]) {
			note(c, "key '%s' given twice in [%s]", name, section);
			return 0;
		}
		c->seen[i] = true;
		if (keys[i].parse(c->cfg, value, &why) < 0) {
			note(c, "bad value for '%s': it %s", name, why);
			return 0;
		}
		c->cfg->line[i] = c->line;
		return 1;
	}
	if (section[0] == '\0')
		note(c, "key '%s' outside a section", name);
	else
		note(c, "unknown key '%s' in [%s]", name, section);
	return 0;
}

void vg_config_init(struct vg_config *c)
{
	memset(c, 0, sizeof(*c));
	c->autolock = VG_CONFIG_AUTOLOCK_DEFAULT;
	c->sync_interval = VG_CONFIG_SYNC_INTERVAL_DEFAULT;
	c->sync_timeout = VG_CONFIG_SYNC_TIMEOUT_DEFAULT;
	c->log_level = VG_CONFIG_LOG_LEVEL_DEFAULT;
}

void vg_config_item(struct vg_config_item *out, const struct vg_config *c, size_t i)
{
	struct vg_config d;

	vg_config_init(&d);
	memset(out, 0, sizeof(*out));
	if (i >= NKEYS)
		return;
	out->section = keys[i].section;
	out->key = keys[i].name;
	out->unit = "seconds";
	out->line = c->line[i];
	if (keys[i].field == offsetof(struct vg_config, sync_proxy)) { /* the one text key */
		out->unit = "url";
		out->word = c->sync_proxy;
		out->fallback_word = "";
		return;
	}
	/* Every other key is stored as an unsigned: seconds, or a level. */
	memcpy(&out->value, (const char *)c + keys[i].field, sizeof(unsigned));
	memcpy(&out->fallback, (const char *)&d + keys[i].field, sizeof(unsigned));
	if (keys[i].parse == parse_log_level) {
		out->unit = "level";
		out->word = vg_log_level_name(out->value);
		out->fallback_word = vg_log_level_name(out->fallback);
	}
}

int vg_config_parse(struct vg_config *out, const char *text, size_t len, const char *name)
{
	struct ctx c;
	int line;

	vg_config_init(out);
	memset(&c, 0, sizeof(c));
	c.cfg = out;
	c.text = text;
	c.len = len;
	c.name = name;
	if (memchr(text, '\0', len) != NULL) {
		const char *nul = memchr(text, '\0', len);
		int l = 1;
		for (const char *p = text; p < nul; p++)
			l += *p == '\n';
		vg_config_init(out);
		return vg_error_set(VG_EFORMAT, "'%s' line %d: NUL byte", name, l);
	}
	line = ini_parse_stream(reader, &c, handler, &c);
	if (line < 0 && c.err_line == 0)
		return vg_error_set(VG_ENOMEM, "cannot parse '%s': out of memory", name);
	if (line > 0 && (c.err_line == 0 || line < c.err_line)) {
		vg_config_init(out);
		return vg_error_set(VG_EFORMAT,
				    "'%s' line %d: syntax error (expected "
				    "[section] or key = value)",
				    name, line);
	}
	if (c.err_line != 0) {
		vg_config_init(out);
		return vg_error_set(VG_EFORMAT, "'%s' line %d: %s", name, c.err_line, c.err);
	}
	return 0;
}

int vg_config_load(struct vg_config *out, const char *path)
{
	struct vg_buf text = VG_BUF_INIT;
	int rc;

	vg_config_init(out);
	rc = vg_fs_read_file(&text, path, VG_CONFIG_MAX);
	if (rc == VG_ENOTFOUND) {
		rc = 0;
	} else if (rc == 0) {
		rc = vg_config_parse(out, text.len > 0 ? (const char *)text.ptr : "", text.len,
				     path);
	} else {
		rc = vg_error_prefix(rc, "cannot read the configuration");
	}
	vg_buf_release(&text);
	return rc;
}
