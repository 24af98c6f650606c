/*
 * Network remotes and the engine's side of vigil-net (vigil/net.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "vigil/error.h"
#include "vigil/invite.h"
#include "vigil/net.h"

/* ---- URLs ---- */

static bool host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_';
}

/*
 * Split "scheme://[user@]host[:port]/path" after the scheme: the authority's parts as
 * offsets. VG_EINVAL with what is wrong.
 */
struct authority {
	const char *user, *host, *port, *path;
	size_t user_len, host_len, port_len;
};

static int authority_parse(struct authority *a, const char *url, const char *rest)
{
	const char *slash = strchr(rest, '/'), *at, *colon;

	memset(a, 0, sizeof(*a));
	if (slash == NULL || slash[1] == '\0')
		return vg_error_set(VG_EINVAL, "remote '%s' names no repository path", url);
	at = memchr(rest, '@', (size_t)(slash - rest));
	if (at != NULL) {
		a->user = rest;
		a->user_len = (size_t)(at - rest);
		rest = at + 1;
		if (a->user_len == 0)
			return vg_error_set(VG_EINVAL, "remote '%s': empty user name", url);
	}
	a->host = rest;
	colon = memchr(rest, ':', (size_t)(slash - rest));
	a->host_len = (size_t)((colon != NULL ? colon : slash) - rest);
	if (a->host_len == 0)
		return vg_error_set(VG_EINVAL, "remote '%s' names no host", url);
	for (size_t i = 0; i < a->host_len; i++)
		if (!host_char(a->host[i]))
			return vg_error_set(VG_EINVAL, "remote '%s': bad character in the host",
					    url);
	if (colon != NULL) {
		unsigned long port = 0;
		a->port = colon + 1;
		a->port_len = (size_t)(slash - a->port);
		if (a->port_len == 0 || a->port_len > 5)
			return vg_error_set(VG_EINVAL, "remote '%s': bad port", url);
		for (size_t i = 0; i < a->port_len; i++) {
			if (a->port[i] < '0' || a->port[i] > '9')
				return vg_error_set(VG_EINVAL, "remote '%s': bad port", url);
			port = port * 10 + (unsigned long)(a->port[i] - '0');
		}
		if (port < 1 || port > 65535)
			return vg_error_set(VG_EINVAL, "remote '%s': bad port", url);
	}
	a->path = slash;
	return 0;
}

int vg_net__url_check(const char *url)
{
	struct authority a;
	int rc;

	if (strncmp(url, "ssh://", 6) == 0) {
		if ((rc = authority_parse(&a, url, url + 6)) < 0)
			return rc;
		for (size_t i = 0; i < a.user_len; i++)
			if (!host_char(a.user[i]))
				return vg_error_set(
				    VG_EINVAL, "remote '%s': bad character in the user name", url);
		return VG_REMOTE_SSH;
	}
	if (strncmp(url, "https://", 8) == 0) {
		if ((rc = authority_parse(&a, url, url + 8)) < 0)
			return rc;
		if (a.user != NULL)
			return vg_error_set(VG_EINVAL,
					    "remote '%s': no user or password in an https URL "
					    "(they go in the credential)",
					    url);
		return VG_REMOTE_HTTPS;
	}
	if (strncmp(url, "http://", 7) == 0)
		return vg_error_set(VG_EUNSUPPORTED,
				    "remote '%s': http:// sends everything in the clear; use "
				    "https://",
				    url);
	return vg_error_set(VG_EUNSUPPORTED,
			    "remote '%s': a remote is an absolute path, a file:// URL, "
			    "ssh://[user@]host[:port]/path or https://host[:port]/path",
			    url);
}

enum vg_remote_kind vg_remote_kind(const char *url)
{
	if (strncmp(url, "ssh://", 6) == 0)
		return VG_REMOTE_SSH;
	if (strncmp(url, "https://", 8) == 0)
		return VG_REMOTE_HTTPS;
	return VG_REMOTE_PATH;
}

void vg_remote_host(char *out, size_t outsz, const char *url)
{
	struct authority a;
	enum vg_remote_kind k = vg_remote_kind(url);

	out[0] = '\0';
	if (k == VG_REMOTE_PATH)
		return;
	/* authority_parse sets an error message on bad input: this is for checked URLs. */
	if (authority_parse(&a, url, url + (k == VG_REMOTE_SSH ? 6 : 8)) == 0)
		snprintf(out, outsz, "%.*s", (int)a.host_len, a.host);
	else
		vg_error_clear();
}

void vg_remote_ssh_user(char *out, size_t outsz, const char *url)
{
	struct authority a;

	if (vg_remote_kind(url) == VG_REMOTE_SSH && authority_parse(&a, url, url + 6) == 0 &&
	    a.user != NULL)
		snprintf(out, outsz, "%.*s", (int)a.user_len, a.user);
	else
		snprintf(out, outsz, "git");
}

void vg_net_pin_text(char out[VG_NET_PIN_TEXT_MAX], enum vg_remote_kind kind, const uint8_t pin[32])
{
	if (kind == VG_REMOTE_SSH) {
		memcpy(out, "SHA256:", 7);
		sodium_bin2base64(out + 7, VG_NET_PIN_TEXT_MAX - 7, pin, 32,
				  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	} else {
		memcpy(out, "sha256:", 7);
		sodium_bin2hex(out + 7, VG_NET_PIN_TEXT_MAX - 7, pin, 32);
	}
}

int vg_net_pin_parse(uint8_t out[32], const char *url, const char *text)
{
	int rc;

	if (vg_remote_kind(url) == VG_REMOTE_HTTPS && strncmp(text, "SHA256:", 7) == 0)
		return vg_error_set(
		    VG_EINVAL, "an https pin is 'sha256:' and the hex SHA-256 of the server's "
			       "certificate (openssl x509 -outform der | sha256sum); 'SHA256:...' "
			       "is an ssh host key fingerprint");
	if ((rc = vg_invite_pin_parse(out, text)) < 0)
		return rc;
	return 0;
}

/* ---- credentials ---- */

/*
 * A reader of the SSH wire encoding (RFC 4251: u32 lengths, big-endian) over a buffer.
 */
struct rd {
	const uint8_t *p;
	size_t left;
};

static int rd_u32(struct rd *r, uint32_t *v)
{
	if (r->left < 4)
		return -1;
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	r->left -= 4;
	return 0;
}

static int rd_str(struct rd *r, const uint8_t **s, size_t *len)
{
	uint32_t n;

	if (rd_u32(r, &n) < 0 || n > r->left)
		return -1;
	*s = r->p;
	*len = n;
	r->p += n;
	r->left -= n;
	return 0;
}

static bool str_is(const uint8_t *s, size_t len, const char *want)
{
	return len == strlen(want) && memcmp(s, want, len) == 0;
}

#define OPENSSH_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----\n"
#define OPENSSH_END   "-----END OPENSSH PRIVATE KEY-----"
#define OPENSSH_MAGIC "openssh-key-v1"

/*
 * Written here: no library in Debian 12 reads an OpenSSH private key into memory the
 * caller controls (libssh2 and libgit2 take a file or a string and keep their own copies in
 * ordinary heap memory). The format is PROTOCOL.key of OpenSSH: a magic, cipher "none",
 * kdf "none", one public key, and a private section of two equal check words, the key type,
 * the public key, the 64-byte secret (seed and public key), a comment and padding 1, 2, 3...
 */
/* Whether the len bytes at p begin with prefix. */
static bool starts(const uint8_t *p, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(p, prefix, n) == 0;
}

int vg_net_ssh_key_parse(uint8_t sk[64], uint8_t pk[32], const uint8_t *file, size_t len)
{
	const char *b64, *end;
	uint8_t *bin = NULL;
	size_t binmax, binlen = 0, slen, pubkeylen, privlen;
	const uint8_t *s, *pubkey, *priv;
	struct rd r, k;
	uint32_t nkeys, c1, c2;
	int rc = VG_EFORMAT;
	const char *why = "not an OpenSSH private key (ssh-keygen -t ed25519 -N '' -f KEY writes "
			  "one)";

	if (len < sizeof(OPENSSH_BEGIN) ||
	    memcmp(file, OPENSSH_BEGIN, strlen(OPENSSH_BEGIN)) != 0) {
		if (starts(file, len, "-----BEGIN RSA") || starts(file, len, "-----BEGIN EC") ||
		    starts(file, len, "-----BEGIN PRIVATE") ||
		    starts(file, len, "-----BEGIN ENCRYPTED"))
			return vg_error_set(VG_EUNSUPPORTED,
					    "the ssh key is not an OpenSSH Ed25519 key: libssh2 "
					    "1.10 cannot sign with RSA; use ssh-keygen -t ed25519");
		return vg_error_set(VG_EFORMAT, "%s", why);
	}
	b64 = (const char *)file + strlen(OPENSSH_BEGIN);
	end = memmem(b64, len - strlen(OPENSSH_BEGIN), OPENSSH_END, strlen(OPENSSH_END));
	if (end == NULL)
		return vg_error_set(VG_EFORMAT, "%s", why);
	binmax = (size_t)(end - b64);
	if ((bin = sodium_malloc(binmax + 1)) == NULL)
		return vg_error_set(VG_ENOMEM, "out of memory");
	if (sodium_base642bin(bin, binmax + 1, b64, (size_t)(end - b64), "\r\n", &binlen, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		goto done;
	r.p = bin;
	r.left = binlen;
	if (r.left < sizeof(OPENSSH_MAGIC) ||
	    memcmp(r.p, OPENSSH_MAGIC, sizeof(OPENSSH_MAGIC)) != 0)
		goto done;
	r.p += sizeof(OPENSSH_MAGIC);
	r.left -= sizeof(OPENSSH_MAGIC);
	if (rd_str(&r, &s, &slen) < 0)
		goto done;
	if (!str_is(s, slen, "none")) {
		rc = vg_error_set(VG_EUNSUPPORTED,
				  "the ssh key is encrypted with a passphrase: vigil keeps it in "
				  "its own vault; write one without (ssh-keygen -t ed25519 -N '')");
		goto out;
	}
	if (rd_str(&r, &s, &slen) < 0 || !str_is(s, slen, "none") || rd_str(&r, &s, &slen) < 0 ||
	    slen != 0 || rd_u32(&r, &nkeys) < 0 || nkeys != 1 ||
	    rd_str(&r, &pubkey, &pubkeylen) < 0 || rd_str(&r, &priv, &privlen) < 0 || r.left != 0)
		goto done;
	k.p = pubkey;
	k.left = pubkeylen;
	if (rd_str(&k, &s, &slen) < 0)
		goto done;
	if (!str_is(s, slen, "ssh-ed25519")) {
		rc = vg_error_set(VG_EUNSUPPORTED,
				  "the ssh key is %.*s, not ssh-ed25519: libssh2 1.10 cannot sign "
				  "with RSA; use ssh-keygen -t ed25519",
				  (int)(slen < 40 ? slen : 40), (const char *)s);
		goto out;
	}
	if (rd_str(&k, &s, &slen) < 0 || slen != 32 || k.left != 0)
		goto done;
	memcpy(pk, s, 32);
	k.p = priv;
	k.left = privlen;
	if (privlen % 8 != 0 || rd_u32(&k, &c1) < 0 || rd_u32(&k, &c2) < 0 || c1 != c2 ||
	    rd_str(&k, &s, &slen) < 0 || !str_is(s, slen, "ssh-ed25519") ||
	    rd_str(&k, &s, &slen) < 0 || slen != 32 || memcmp(s, pk, 32) != 0 ||
	    rd_str(&k, &s, &slen) < 0 || slen != 64 || memcmp(s + 32, pk, 32) != 0)
		goto done;
	memcpy(sk, s, 64);
	if (rd_str(&k, &s, &slen) < 0) /* the comment */
		goto done;
	for (size_t i = 0; i < k.left; i++)
		if (k.p[i] != (uint8_t)(i + 1))
			goto done;
	/* The secret must give the public key it claims. */
	{
		uint8_t check[32], *again = sodium_malloc(64);
		if (again == NULL) {
			sodium_memzero(sk, 64);
			rc = vg_error_set(VG_ENOMEM, "out of memory");
			goto out;
		}
		rc = crypto_sign_ed25519_seed_keypair(check, again, sk);
		sodium_free(again);
		if (rc != 0 || memcmp(check, pk, 32) != 0) {
			sodium_memzero(sk, 64);
			goto done;
		}
	}
	rc = 0;
	goto out;
done:
	rc = vg_error_set(VG_EFORMAT, "%s", why);
out:
	sodium_free(bin); /* wipes it */
	return rc;
}

int vg_net_https_cred_parse(char *user, char *pass, const uint8_t *cred, size_t len)
{
	size_t i = 0;
	bool seen_user = false, seen_pass = false;

	user[0] = pass[0] = '\0';
	if (len > VG_NET_CRED_MAX)
		return vg_error_set(VG_ELIMIT, "the credential is larger than %d bytes",
				    VG_NET_CRED_MAX);
	while (i < len) {
		const uint8_t *nl = memchr(cred + i, '\n', len - i);
		size_t end = nl != NULL ? (size_t)(nl - cred) : len, vlen;
		const char *key;
		char *dst;
		bool *seen;

		if (end - i >= 9 && memcmp(cred + i, "username=", 9) == 0) {
			key = "username";
			dst = user;
			seen = &seen_user;
		} else if (end - i >= 9 && memcmp(cred + i, "password=", 9) == 0) {
			key = "password";
			dst = pass;
			seen = &seen_pass;
		} else if (end == i) {
			i = end + 1;
			continue;
		} else {
			return vg_error_set(VG_EFORMAT,
					    "an https credential is 'username=NAME' and "
					    "'password=TOKEN' lines, nothing else");
		}
		if (*seen)
			return vg_error_set(VG_EFORMAT, "the credential gives %s twice", key);
		*seen = true;
		vlen = end - i - 9;
		for (size_t j = 0; j < vlen; j++)
			if (cred[i + 9 + j] < 0x20 || cred[i + 9 + j] == 0x7f)
				return vg_error_set(VG_EFORMAT,
						    "the credential's %s holds a control "
						    "character",
						    key);
		memcpy(dst, cred + i + 9, vlen);
		dst[vlen] = '\0';
		i = end + 1;
	}
	if (seen_pass && !seen_user)
		return vg_error_set(VG_EFORMAT, "the credential gives a password without a "
						"username");
	return 0;
}

int vg_net_check(const char *url, const uint8_t *pin, const uint8_t *cred, size_t len,
		 const char **kind_out)
{
	enum vg_remote_kind k = vg_remote_kind(url);
	int rc = 0;

	if (kind_out != NULL)
		*kind_out = NULL;
	if (len > VG_NET_CRED_MAX)
		return vg_error_set(VG_ELIMIT, "the credential is larger than %d bytes",
				    VG_NET_CRED_MAX);
	if (k == VG_REMOTE_PATH) {
		if (len > 0 || pin != NULL)
			return vg_error_set(VG_EINVAL, "a path remote takes no pin and no "
						       "credential");
		return 0;
	}
	if (k == VG_REMOTE_SSH) {
		uint8_t *sk;
		uint8_t pk[32];
		if (pin == NULL)
			return vg_error_set(VG_EINVAL,
					    "an ssh remote needs the server's host-key pin: "
					    "ssh-keyscan HOST | ssh-keygen -lf -");
		if (len == 0)
			return vg_error_set(VG_EINVAL,
					    "an ssh remote needs a credential: an Ed25519 key "
					    "(ssh-keygen -t ed25519 -N '' -f KEY)");
		if ((sk = sodium_malloc(64)) == NULL)
			return vg_error_set(VG_ENOMEM, "out of memory");
		rc = vg_net_ssh_key_parse(sk, pk, cred, len);
		sodium_free(sk);
		if (rc < 0)
			return rc;
		if (kind_out != NULL)
			*kind_out = "ssh-ed25519";
		return 0;
	}
	if (len > 0) {
		char *user = sodium_malloc(2 * (VG_NET_CRED_MAX + 1));
		if (user == NULL)
			return vg_error_set(VG_ENOMEM, "out of memory");
		rc = vg_net_https_cred_parse(user, user + VG_NET_CRED_MAX + 1, cred, len);
		if (rc == 0 && user[0] == '\0')
			rc = vg_error_set(VG_EFORMAT, "an https credential needs a username= line");
		sodium_free(user);
		if (rc < 0)
			return rc;
		if (kind_out != NULL)
			*kind_out = "https-password";
	}
	return 0;
}

int vg_net_proxy_check(const char *proxy)
{
	struct authority a;

	if (proxy == NULL || proxy[0] == '\0')
		return 0;
	if (strlen(proxy) >= VG_NET_PROXY_MAX || strncmp(proxy, "http://", 7) != 0)
		return vg_error_set(VG_EINVAL,
				    "a proxy is http://HOST:PORT (an HTTP CONNECT proxy)");
	{
		char tmp[VG_NET_PROXY_MAX + 8];
		size_t n = strlen(proxy);
		/* authority_parse wants a path: the proxy has none, or only "/". */
		snprintf(tmp, sizeof(tmp), "%s%s", proxy, proxy[n - 1] == '/' ? "x" : "/x");
		if (authority_parse(&a, proxy, tmp + 7) < 0 || a.user != NULL || a.port == NULL ||
		    strcmp(a.path, "/x") != 0)
			return vg_error_set(VG_EINVAL,
					    "a proxy is http://HOST:PORT (an HTTP CONNECT proxy)");
	}
	return 0;
}

/* ---- records ---- */

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return vg_error_set(VG_EIO, "the network helper's socket: %s",
					    strerror(errno));
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int vg_net__send(int fd, char type, const struct vg_net_field *f, size_t n)
{
	struct vg_buf b = VG_BUF_INIT_SECURE;
	uint8_t hdr[4];
	size_t total = 1;
	int rc;

	for (size_t i = 0; i < n; i++)
		total += 4 + f[i].len;
	if (total > UINT32_MAX)
		return vg_error_set(VG_ELIMIT, "record too large");
	put32(hdr, (uint32_t)total);
	if ((rc = vg_buf_put(&b, hdr, 4)) < 0 || (rc = vg_buf_putc(&b, (uint8_t)type)) < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		put32(hdr, (uint32_t)f[i].len);
		if ((rc = vg_buf_put(&b, hdr, 4)) < 0 ||
		    (f[i].len > 0 && (rc = vg_buf_put(&b, f[i].p, f[i].len)) < 0))
			goto done;
	}
	rc = write_all(fd, b.ptr, b.len);
done:
	vg_buf_release(&b);
	return rc;
}

uint64_t vg_net_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The caller's descriptors watched beside the helper's (vg_net_params.wake_fds). */
#define WAKE_MAX 4
struct wake {
	int fds[WAKE_MAX];
	size_t n;
	bool (*fn)(void *ctx, char *why, size_t whysz);
	void *ctx;
	bool stop; /* fn said the sync must stop */
	char why[160];
};

/*
 * n bytes from fd by deadline_ms (0: none). With w, its descriptors are polled too and
 * handed to w->fn when readable; one that hangs up is dropped. VG_ELIMIT at the deadline
 * or when w->fn asked to stop (w->stop).
 */
static int read_full(int fd, uint8_t *p, size_t n, uint64_t deadline_ms, struct wake *w)
{
	while (n > 0) {
		struct pollfd pfd[1 + WAKE_MAX];
		size_t nw = w != NULL ? w->n : 0;
		int timeout = -1;
		ssize_t r;

		pfd[0] = (struct pollfd){fd, POLLIN, 0};
		for (size_t i = 0; i < nw; i++)
			pfd[1 + i] = (struct pollfd){w->fds[i], POLLIN, 0};
		if (deadline_ms != 0) {
			uint64_t now = vg_net_now_ms();
			if (now >= deadline_ms)
				return VG_ELIMIT;
			timeout = (int)(deadline_ms - now > INT_MAX ? INT_MAX : deadline_ms - now);
		}
		r = poll(pfd, 1 + nw, timeout);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return vg_error_set(VG_EIO, "poll: %s", strerror(errno));
		if (r == 0)
			return VG_ELIMIT;
		for (size_t i = 0; i < nw; i++) {
			if (pfd[1 + i].revents & (POLLERR | POLLHUP | POLLNVAL))
				w->fds[i] = -1; /* poll skips it from now on */
			else if ((pfd[1 + i].revents & POLLIN) &&
				 w->fn(w->ctx, w->why, sizeof(w->why))) {
				w->stop = true;
				return VG_ELIMIT;
			}
		}
		if ((pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0)
			continue;
		r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return vg_error_set(VG_EIO, "the network helper ended without an answer");
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int recv_record(int fd, struct vg_buf *rec, size_t max, uint64_t deadline_ms, struct wake *w,
		       char *type, struct vg_net_field *f, size_t *n);

int vg_net__recv(int fd, struct vg_buf *rec, size_t max, uint64_t deadline_ms, char *type,
		 struct vg_net_field *f, size_t *n)
{
	return recv_record(fd, rec, max, deadline_ms, NULL, type, f, n);
}

static int recv_record(int fd, struct vg_buf *rec, size_t max, uint64_t deadline_ms, struct wake *w,
		       char *type, struct vg_net_field *f, size_t *n)
{
	uint8_t hdr[4];
	uint32_t total;
	size_t at;
	int rc;

	*n = 0;
	vg_buf_clear(rec);
	if ((rc = read_full(fd, hdr, 4, deadline_ms, w)) < 0)
		return rc;
	total = get32(hdr);
	if (total < 1 || total > max)
		return vg_error_set(VG_EFORMAT, "the network helper sent a record of %u bytes",
				    (unsigned)total);
	if ((rc = vg_buf_grow(rec, total)) < 0 ||
	    (rc = read_full(fd, rec->ptr, total, deadline_ms, w)) < 0)
		return rc;
	rec->len = total;
	*type = (char)rec->ptr[0];
	for (at = 1; at < total;) {
		uint32_t len;
		if (*n == VG_NET_FIELDS_MAX || total - at < 4 ||
		    (len = get32(rec->ptr + at)) > total - at - 4)
			return vg_error_set(VG_EFORMAT, "the network helper sent a bad record");
		f[*n].p = rec->ptr + at + 4;
		f[*n].len = len;
		(*n)++;
		at += 4 + len;
	}
	return 0;
}

/* ---- the helper process ---- */

struct vg_net {
	pid_t pid;
	int fd;
	struct vg_buf rec;
	uint64_t deadline_ms;
	unsigned seconds; /* the sync's cap, for the stall message */
	bool dead;
	struct wake wake;
};

bool vg_net_program(char *out, size_t outsz)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
			if (snprintf(out, outsz, "%s/%s", exe, VG_NET_PROGRAM) < (int)outsz &&
			    access(out, X_OK) == 0)
				return true;
		}
	}
#ifdef VIGIL_LIBEXECDIR
	if (snprintf(out, outsz, "%s/%s", VIGIL_LIBEXECDIR, VG_NET_PROGRAM) < (int)outsz &&
	    access(out, X_OK) == 0)
		return true;
#endif
	return false;
}

int vg_net_spawn(struct vg_net **out, const char *program)
{
	char path[PATH_MAX];
	int sv[2] = {-1, -1}, rc;
	posix_spawn_file_actions_t fa;
	char *argv[] = {(char *)VG_NET_PROGRAM, NULL};
	/*
	 * Nothing of the caller's environment. HOME only because libgit2 1.5.1's ssh
	 * transport fails without one (it reads $HOME/.ssh/known_hosts before our pin check,
	 * FACTS.md): a directory that does not exist, so no known_hosts is ever read.
	 */
	char *envp[8] = {(char *)"HOME=/nonexistent/vigil-net", NULL};
	size_t ne = 1;
	extern char **environ;

	/*
	 * torsocks (README "Remotes": ssh through Tor) works by LD_PRELOAD: a daemon started
	 * under it hands the helper its preload and TORSOCKS_* settings, and nothing else.
	 */
	for (char **e = environ; e != NULL && *e != NULL && ne < 7; e++)
		if ((strncmp(*e, "LD_PRELOAD=", 11) == 0 && strstr(*e, "torsocks") != NULL) ||
		    strncmp(*e, "TORSOCKS_", 9) == 0)
			envp[ne++] = *e;
	envp[ne] = NULL;
	struct vg_net *n;

	*out = NULL;
	if (program == NULL) {
		if (!vg_net_program(path, sizeof(path)))
			return vg_error_set(VG_ENOTFOUND,
					    "the network helper %s is not installed beside this "
					    "program nor in vigil's libexec directory",
					    VG_NET_PROGRAM);
		program = path;
	}
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return vg_error_set(VG_ENOMEM, "out of memory");
	vg_buf_init_secure(&n->rec);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		rc = vg_error_set(VG_EIO, "socketpair: %s", strerror(errno));
		goto fail;
	}
	/* The helper's stdin is its end of the socket; stdout /dev/null; stderr the caller's
	 * (the daemon's log). Everything else it closes itself first thing. */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	rc = posix_spawn(&n->pid, program, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(sv[1]);
	if (rc != 0) {
		close(sv[0]);
		rc = vg_error_set(VG_EIO, "cannot start %s: %s", program, strerror(rc));
		goto fail;
	}
	n->fd = sv[0];
	*out = n;
	return 0;
fail:
	vg_buf_release(&n->rec);
	free(n);
	return rc;
}

int vg_net_pid(const struct vg_net *n)
{
	return (int)n->pid;
}

bool vg_net_alive(struct vg_net *n)
{
	pid_t r;

	if (n->dead)
		return false;
	while ((r = waitpid(n->pid, NULL, WNOHANG)) < 0 && errno == EINTR)
		;
	if (r == n->pid || r < 0)
		n->dead = true;
	return !n->dead;
}

static void kill_helper(struct vg_net *n)
{
	if (n->dead)
		return;
	kill(n->pid, SIGKILL);
	while (waitpid(n->pid, NULL, 0) < 0 && errno == EINTR)
		;
	n->dead = true;
}

/* The helper missed the deadline: it is killed and reaped before the error is returned. */
static int stalled(struct vg_net *n)
{
	kill_helper(n);
	return vg_error_set(VG_ELIMIT,
			    "sync stopped: the remote did not finish within %llu s; the network "
			    "helper was stopped",
			    (unsigned long long)n->seconds);
}

static int send_fields(struct vg_net *n, char type, const struct vg_net_field *f, size_t k)
{
	int rc;

	if (n->dead)
		return vg_error_set(VG_EIO, "the network helper is not running");
	if ((rc = vg_net__send(n->fd, type, f, k)) < 0)
		kill_helper(n);
	return rc;
}

static struct vg_net_field sfield(const char *s)
{
	struct vg_net_field f = {(const uint8_t *)s, s != NULL ? strlen(s) : 0};
	return f;
}

int vg_net_start(struct vg_net *n, const struct vg_net_params *p, uint64_t deadline_ms)
{
	char objs[24], bytes[24];
	struct vg_net_field f[7];

	n->deadline_ms = deadline_ms;
	n->seconds = p->seconds;
	n->wake.n = 0;
	n->wake.stop = false;
	if (p->wake != NULL)
		for (size_t i = 0; i < p->nwake && n->wake.n < WAKE_MAX; i++)
			n->wake.fds[n->wake.n++] = p->wake_fds[i];
	n->wake.fn = p->wake;
	n->wake.ctx = p->wake_ctx;
	if (n->seconds == 0) {
		uint64_t now = vg_net_now_ms();
		n->seconds = deadline_ms > now ? (unsigned)((deadline_ms - now + 999) / 1000) : 0;
	}
	snprintf(objs, sizeof(objs), "%llu", (unsigned long long)p->max_objects);
	snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)p->max_bytes);
	f[0] = sfield(p->url);
	f[1].p = p->pin;
	f[1].len = p->pin != NULL ? 32 : 0;
	f[2].p = p->cred;
	f[2].len = p->cred_len;
	f[3] = sfield(p->proxy);
	f[4] = sfield(p->repo);
	f[5] = sfield(objs);
	f[6] = sfield(bytes);
	return send_fields(n, 'S', f, 7);
}

static uint64_t field_u64(const struct vg_net_field *f)
{
	uint64_t v = 0;

	for (size_t i = 0; i < f->len && i < 20; i++)
		if (f->p[i] >= '0' && f->p[i] <= '9')
			v = v * 10 + (uint64_t)(f->p[i] - '0');
	return v;
}

static const int known_codes[] = {VG_ERROR, VG_ENOMEM,	     VG_EIO,	   VG_EINVAL, VG_EFORMAT,
				  VG_EAUTH, VG_EUNSUPPORTED, VG_ENOTFOUND, VG_ELIMIT};

/*
 * Wait for the end of an operation: heads and progress are handed on; 'O' gives 0, 'R'
 * 1 (why gets the reason), 'E' the helper's error. Any other record, or one too large,
 * ends the helper.
 */
static int await(struct vg_net *n, vg_net_head_fn head_fn, vg_net_progress_fn progress_fn,
		 void *ctx, char *why, size_t whysz, size_t *nheads)
{
	for (;;) {
		struct vg_net_field f[VG_NET_FIELDS_MAX];
		size_t k;
		char type;
		int rc = recv_record(n->fd, &n->rec, VG_NET_RECORD_MAX, n->deadline_ms, &n->wake,
				     &type, f, &k);

		if (rc == VG_ELIMIT && n->wake.stop) {
			kill_helper(n);
			return vg_error_set(VG_ELIMIT,
					    "sync stopped: %s; the network helper was stopped",
					    n->wake.why);
		}
		if (rc == VG_ELIMIT && vg_net_now_ms() >= n->deadline_ms)
			return stalled(n);
		if (rc < 0) {
			kill_helper(n);
			return rc;
		}
		switch (type) {
		case 'H':
			if (k != 2 || f[1].len != 20 || f[0].len == 0 ||
			    f[0].len >= VG_NET_REFNAME_MAX || memchr(f[0].p, 0, f[0].len) != NULL ||
			    head_fn == NULL || ++*nheads > VG_NET_HEADS_MAX)
				goto bad;
			{
				char name[VG_NET_REFNAME_MAX];
				memcpy(name, f[0].p, f[0].len);
				name[f[0].len] = '\0';
				if ((rc = head_fn(ctx, name, f[1].p)) < 0) {
					kill_helper(n);
					return rc;
				}
			}
			break;
		case 'G':
			if (k != 2)
				goto bad;
			if (progress_fn != NULL)
				progress_fn(ctx, field_u64(&f[0]), field_u64(&f[1]));
			break;
		case 'L':
			break;
		case 'O':
			return 0;
		case 'R':
			if (k != 1)
				goto bad;
			snprintf(why, whysz, "%.*s", (int)(f[0].len > 200 ? 200 : f[0].len),
				 (const char *)f[0].p);
			for (char *c = why; *c != '\0'; c++)
				if (*c < 0x20 || *c == 0x7f)
					*c = '?';
			return 1;
		case 'E': {
			int code = VG_EIO;
			char msg[512];
			if (k != 2)
				goto bad;
			for (size_t i = 0; i < sizeof(known_codes) / sizeof(known_codes[0]); i++)
				if ((int)-field_u64(&f[0]) == known_codes[i])
					code = known_codes[i];
			snprintf(msg, sizeof(msg), "%.*s", (int)(f[1].len > 400 ? 400 : f[1].len),
				 (const char *)f[1].p);
			for (char *c = msg; *c != '\0'; c++)
				if (*c < 0x20 || *c == 0x7f)
					*c = '?';
			return vg_error_set(code, "%s", msg);
		}
		default:
			goto bad;
		}
	}
bad:
	kill_helper(n);
	return vg_error_set(VG_EFORMAT, "the network helper sent an unexpected record");
}

int vg_net_fetch(struct vg_net *n, const char *const *specs, size_t nspecs, vg_net_head_fn head_fn,
		 vg_net_progress_fn progress_fn, void *ctx, uint64_t deadline_ms)
{
	struct vg_net_field f[VG_NET_FIELDS_MAX];
	char why[8];
	size_t nheads = 0;
	int rc;

	if (nspecs > VG_NET_FIELDS_MAX)
		return vg_error_set(VG_EINVAL, "too many refspecs");
	n->deadline_ms = deadline_ms;
	for (size_t i = 0; i < nspecs; i++)
		f[i] = sfield(specs[i]);
	if ((rc = send_fields(n, 'F', f, nspecs)) < 0)
		return rc;
	rc = await(n, head_fn, progress_fn, ctx, why, sizeof(why), &nheads);
	return rc == 1 ? vg_error_set(VG_EFORMAT, "the network helper rejected a fetch") : rc;
}

int vg_net_push(struct vg_net *n, const char *ref, bool *rejected, char *why, size_t whysz,
		uint64_t deadline_ms)
{
	struct vg_net_field f = sfield(ref);
	size_t nheads = 0;
	int rc;

	*rejected = false;
	why[0] = '\0';
	n->deadline_ms = deadline_ms;
	if ((rc = send_fields(n, 'P', &f, 1)) < 0)
		return rc;
	rc = await(n, NULL, NULL, NULL, why, whysz, &nheads);
	if (rc == 1) {
		*rejected = true;
		rc = 0;
	}
	return rc;
}

void vg_net_free(struct vg_net *n)
{
	if (n == NULL)
		return;
	if (!n->dead) {
		/* Quit politely, give it a moment, then kill: it holds nothing to save. */
		if (vg_net__send(n->fd, 'Q', NULL, 0) < 0)
			vg_error_clear();
		for (int i = 0; i < 50; i++) {
			pid_t r = waitpid(n->pid, NULL, WNOHANG);
			if (r == n->pid || (r < 0 && errno != EINTR)) {
				n->dead = true;
				break;
			}
			struct timespec ts = {0, 2 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
		kill_helper(n);
	}
	close(n->fd);
	vg_buf_release(&n->rec);
	free(n);
}
