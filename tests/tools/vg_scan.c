/*
 * vg_scan: the secrecy scanner of the test suite (never installed). Looks for each line
 * of NEEDLES (UTF-8 text: names, places, notes from the fixtures) in every file under the
 * given paths, in the forms plaintext could take on disk or in memory dumps: raw UTF-8,
 * JSON with \uXXXX escapes (lower- and upper-case hex), and UTF-16LE. "pid:N" scans that
 * process's command line and environment.
 *
 *   vg_scan NEEDLES-FILE PATH|pid:N...
 *
 * Prints every hit as "path: form: needle" and exits 1 when anything was found, 0 when
 * nothing was, 2 on a usage or read error. Tests pair every scan with a positive control (a
 * planted canary the same scan must find), so a scanner that finds nothing proves nothing
 * on its own.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vigil/buf.h"
#include "vigil/fs.h"
#include "vigil/vigil.h"

#define SCAN_FILE_MAX (512u * 1024 * 1024)

struct form {
	const char *name;
	struct vg_buf bytes;
};

struct needle {
	char *text;
	struct form forms[4];
};

static struct needle *needles;
static size_t nneedles;
static int found;

/* Decode one UTF-8 code point; returns its length, 0 on invalid input. */
static size_t utf8_cp(const unsigned char *s, size_t n, unsigned *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	size_t k = (s[0] & 0xe0) == 0xc0   ? 2
		   : (s[0] & 0xf0) == 0xe0 ? 3
		   : (s[0] & 0xf8) == 0xf0 ? 4
					   : 0;
	if (k == 0 || n < k)
		return 0;
	*cp = s[0] & (0x7f >> k);
	for (size_t i = 1; i < k; i++)
		*cp = *cp << 6 | (s[i] & 0x3f);
	return k;
}

static int add_forms(struct needle *nd)
{
	const unsigned char *s = (const unsigned char *)nd->text;
	size_t n = strlen(nd->text);
	static const char *const names[] = {"utf-8", "json-escaped", "JSON-ESCAPED", "utf-16le"};

	for (int f = 0; f < 4; f++) {
		nd->forms[f].name = names[f];
		vg_buf_init(&nd->forms[f].bytes);
	}
	if (vg_buf_put(&nd->forms[0].bytes, s, n) < 0)
		return -1;
	for (size_t i = 0; i < n;) {
		unsigned cp;
		size_t k = utf8_cp(s + i, n - i, &cp);
		if (k == 0)
			return -1;
		for (int f = 1; f <= 2; f++) {
			if (cp < 0x80) {
				if (vg_buf_putc(&nd->forms[f].bytes, (uint8_t)cp) < 0)
					return -1;
			} else if (cp < 0x10000) {
				if (vg_buf_printf(&nd->forms[f].bytes,
						  f == 1 ? "\\u%04x" : "\\u%04X", cp) < 0)
					return -1;
			} else {
				unsigned v = cp - 0x10000;
				if (vg_buf_printf(&nd->forms[f].bytes,
						  f == 1 ? "\\u%04x\\u%04x" : "\\u%04X\\u%04X",
						  0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff)) < 0)
					return -1;
			}
		}
		uint8_t u16[4];
		if (cp < 0x10000) {
			u16[0] = (uint8_t)(cp & 0xff);
			u16[1] = (uint8_t)(cp >> 8);
			if (vg_buf_put(&nd->forms[3].bytes, u16, 2) < 0)
				return -1;
		} else {
			unsigned v = cp - 0x10000, hi = 0xd800 + (v >> 10),
				 lo = 0xdc00 + (v & 0x3ff);
			u16[0] = (uint8_t)(hi & 0xff);
			u16[1] = (uint8_t)(hi >> 8);
			u16[2] = (uint8_t)(lo & 0xff);
			u16[3] = (uint8_t)(lo >> 8);
			if (vg_buf_put(&nd->forms[3].bytes, u16, 4) < 0)
				return -1;
		}
		i += k;
	}
	return 0;
}

static void scan_bytes(const char *where, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < nneedles; i++) {
		for (int f = 0; f < 4; f++) {
			const struct vg_buf *b = &needles[i].forms[f].bytes;
			/* ASCII needles have one JSON form, the UTF-8 one: report it once. */
			const struct vg_buf *prev = &needles[i].forms[f == 2 ? 1 : 0].bytes;
			if ((f == 1 || f == 2) && b->len == prev->len &&
			    memcmp(b->ptr, prev->ptr, b->len) == 0)
				continue;
			if (b->len > 0 && b->len <= len && memmem(p, len, b->ptr, b->len) != NULL) {
				printf("%s: %s: %s\n", where, needles[i].forms[f].name,
				       needles[i].text);
				found = 1;
			}
		}
	}
}

static int scan_path(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		fprintf(stderr, "vg_scan: cannot stat '%s': %s\n", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *de;
		int rc = 0;
		if (d == NULL)
			return -1;
		while ((de = readdir(d)) != NULL) {
			char sub[4096];
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			if (scan_path(sub) < 0)
				rc = -1;
		}
		closedir(d);
		return rc;
	}
	if (!S_ISREG(st.st_mode))
		return 0; /* sockets, fifos: nothing at rest */
	struct vg_buf b = VG_BUF_INIT;
	if (vg_fs_read_file(&b, path, SCAN_FILE_MAX) < 0) {
		fprintf(stderr, "vg_scan: cannot read '%s'\n", path);
		return -1;
	}
	scan_bytes(path, b.ptr, b.len);
	vg_buf_release(&b);
	return 0;
}

static int scan_pid(const char *pid)
{
	static const char *const parts[] = {"cmdline", "environ"};
	for (int i = 0; i < 2; i++) {
		char path[64];
		FILE *f;
		struct vg_buf b = VG_BUF_INIT;
		uint8_t chunk[4096];
		size_t n;

		snprintf(path, sizeof(path), "/proc/%s/%s", pid, parts[i]);
		/* /proc files report size 0: read them as streams. */
		if ((f = fopen(path, "rb")) == NULL)
			continue; /* the process is gone */
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			if (vg_buf_put(&b, chunk, n) < 0)
				return -1;
		fclose(f);
		scan_bytes(path, b.ptr, b.len);
		vg_buf_release(&b);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct vg_buf text = VG_BUF_INIT;
	char *line, *save = NULL;
	int rc = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: vg_scan NEEDLES-FILE PATH|pid:N...\n");
		return 2;
	}
	if (vg_init() < 0 || vg_fs_read_file(&text, argv[1], 1 << 20) < 0) {
		fprintf(stderr, "vg_scan: cannot read needles '%s'\n", argv[1]);
		return 2;
	}
	for (line = strtok_r((char *)text.ptr, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '\0')
			continue;
		needles = realloc(needles, (nneedles + 1) * sizeof(*needles));
		if (needles == NULL)
			return 2;
		needles[nneedles].text = line;
		if (add_forms(&needles[nneedles]) < 0) {
			fprintf(stderr, "vg_scan: needle on line %zu is not UTF-8\n", nneedles + 1);
			return 2;
		}
		nneedles++;
	}
	for (int i = 2; i < argc; i++)
		if ((strncmp(argv[i], "pid:", 4) == 0 ? scan_pid(argv[i] + 4)
						      : scan_path(argv[i])) < 0)
			rc = 2;
	if (rc != 0)
		return rc;
	return found ? 1 : 0;
}
