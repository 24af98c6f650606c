/*
 * vigil-net: the network transfers of one sync (vigil/net.h, README "Remotes").
 *
 * Started fresh by the daemon (or by a command that syncs) with its end of a socket as
 * stdin, it first makes itself a poor place to look for secrets: not dumpable (no core,
 * no ptrace by the same user, /proc/<pid>/mem closed), no new privileges, no core size,
 * every other inherited descriptor closed, an environment of HOME=/nonexistent alone,
 * libgit2 isolated from every git configuration; where the kernel has Landlock, writes are
 * limited to the local repository. Then it waits for its setup record: the remote URL, the
 * pin, the transport credential (kept in guarded memory), the proxy, the caps and the
 * local repository. It is never given the vault key, an identity or a passphrase.
 *
 * ssh: the user key is an Ed25519 key parsed here (vg_net_ssh_key_parse) and used through
 * git_credential_ssh_custom_new, signing with libsodium: the secret never leaves guarded
 * memory. The host key is checked against the pin by its SHA-256 (libgit2 1.5.1's
 * known_hosts check reads only the first key per host and needs HOME). A second request
 * for the key means the server refused it: that fails at once (libgit2 asks again and
 * again otherwise).
 * https: the certificate's DER is checked against the pin; without a pin, libgit2's own
 * verdict against the system CA bundle. Through an HTTP CONNECT proxy when one is set.
 *
 * Operations: FETCH (connect, list the heads, download what the refspecs name; references
 * are the engine's to write), PUSH of one reference (never forced: a rejection by the
 * server arrives only through push_update_reference, FACTS.md), QUIT. The engine bounds
 * every wait and kills this process at the sync's deadline.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <signal.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <git2.h>
#include <sodium.h>

#include "vigil/buf.h"
#include "vigil/error.h"
#include "vigil/net.h"
#include "vigil/vigil.h"

#define FD 0 /* the socket to the engine */
/* The largest record from the engine: a setup of URL, pin, credential, proxy, a repository
 * path (PATH_MAX), two numbers and their lengths. */
#define SETUP_MAX (1024 + 32 + VG_NET_CRED_MAX + VG_NET_PROXY_MAX + 4096 + 64 + 64)

struct helper {
	char *url, *proxy, *repo_path;
	enum vg_remote_kind kind;
	bool has_pin;
	uint8_t pin[32];
	uint8_t *sk;	   /* ssh: 64 bytes, guarded */
	uint8_t blob[51];  /* ssh: "ssh-ed25519" public key blob */
	char *user, *pass; /* https: guarded; ssh: user in user */
	uint64_t max_objects, max_bytes, progress_ms;
	git_repository *git;
	int attempts;
	char stop[512]; /* why a callback stopped libgit2 */
	int stop_code;
	bool rejected, moved;
	char reject[256];
};

static uint64_t now_ms(void)
{
	return vg_net_now_ms();
}

static void send_or_die(char type, const struct vg_net_field *f, size_t n)
{
	if (vg_net__send(FD, type, f, n) < 0)
		_exit(1);
}

static struct vg_net_field sfield(const char *s)
{
	struct vg_net_field f = {(const uint8_t *)s, strlen(s)};
	return f;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char msg[300];
	va_list ap;
	struct vg_net_field f;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	f = sfield(msg);
	send_or_die('L', &f, 1);
}

static void fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(int code, const char *fmt, ...)
{
	char msg[512], num[16];
	va_list ap;
	struct vg_net_field f[2];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(num, sizeof(num), "%d", -code);
	f[0] = sfield(num);
	f[1] = sfield(msg);
	send_or_die('E', f, 2);
}

static void stop(struct helper *h, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void stop(struct helper *h, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->stop, sizeof(h->stop), fmt, ap);
	va_end(ap);
	h->stop_code = code;
}

/* libgit2's failure, or what a callback stopped it for. */
static void fail_git(struct helper *h, int code, const char *what)
{
	const git_error *e = git_error_last();

	if (h->stop[0] != '\0')
		fail(h->stop_code, "%s", h->stop);
	else
		fail(code, "%s: %s", what, e != NULL && e->message != NULL ? e->message : "failed");
}

/* ---- callbacks ---- */

static int sign_cb(LIBSSH2_SESSION *session, unsigned char **sig, size_t *sig_len,
		   const unsigned char *data, size_t data_len, void **abstract)
{
	struct helper *h = *abstract;
	unsigned char *out;

	(void)session;
	/*
	 * The raw 64-byte signature: libssh2 wraps it itself ("string 'ssh-ed25519', string
	 * signature", userauth.c) and frees it with free().
	 */
	if ((out = malloc(64)) == NULL)
		return -1;
	if (crypto_sign_ed25519_detached(out, NULL, data, data_len, h->sk) != 0) {
		free(out);
		return -1;
	}
	*sig = out;
	*sig_len = 64;
	return 0;
}

static int cred_cb(git_credential **out, const char *url, const char *user_from_url,
		   unsigned int allowed, void *payload)
{
	struct helper *h = payload;

	(void)url;
	(void)user_from_url;
	if (h->kind == VG_REMOTE_SSH) {
		if (allowed & GIT_CREDENTIAL_USERNAME)
			return git_credential_username_new(out, h->user);
		if (!(allowed & GIT_CREDENTIAL_SSH_CUSTOM)) {
			stop(h, VG_EAUTH, "the server offers no public-key authentication");
			return -1;
		}
		if (h->attempts++ > 0) {
			stop(h, VG_EAUTH, "the server refused this device's ssh key");
			return -1;
		}
		return git_credential_ssh_custom_new(out, h->user, (const char *)h->blob,
						     sizeof(h->blob), sign_cb, h);
	}
	if (!(allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT)) {
		stop(h, VG_EAUTH, "the server asks for a kind of credential vigil does not have");
		return -1;
	}
	if (h->user == NULL || h->user[0] == '\0') {
		stop(h, VG_EAUTH,
		     "the server asks for a credential and this device has none (the invitation "
		     "or 'vigil remote set --credential FILE' gives one)");
		return -1;
	}
	if (h->attempts++ > 0) {
		stop(h, VG_EAUTH,
		     "the server refused this device's credential (username and token)");
		return -1;
	}
	/* libgit2 keeps its own copy (heap memory, wiped when freed): unavoidable here. */
	return git_credential_userpass_plaintext_new(out, h->user, h->pass);
}

static int cert_cb(git_cert *cert, int valid, const char *host, void *payload)
{
	struct helper *h = payload;
	char got[VG_NET_PIN_TEXT_MAX], want[VG_NET_PIN_TEXT_MAX];

	if (h->kind == VG_REMOTE_SSH) {
		const git_cert_hostkey *k = (const git_cert_hostkey *)cert;
		if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2 ||
		    !(k->type & GIT_CERT_SSH_SHA256)) {
			stop(h, VG_EAUTH,
			     "the server %s gave no SHA-256 host key fingerprint to check", host);
			return -1;
		}
		if (sodium_memcmp(k->hash_sha256, h->pin, 32) != 0) {
			vg_net_pin_text(got, VG_REMOTE_SSH, k->hash_sha256);
			vg_net_pin_text(want, VG_REMOTE_SSH, h->pin);
			stop(h, VG_EAUTH, "host key %s is not the pinned %s (of %s)", got, want,
			     host);
			return -1;
		}
		return 0;
	}
	if (cert->cert_type != GIT_CERT_X509) {
		stop(h, VG_EAUTH, "the server %s gave no X.509 certificate", host);
		return -1;
	}
	if (h->has_pin) {
		const git_cert_x509 *x = (const git_cert_x509 *)cert;
		uint8_t hash[32];
		crypto_hash_sha256(hash, x->data, x->len);
		if (sodium_memcmp(hash, h->pin, 32) != 0) {
			vg_net_pin_text(got, VG_REMOTE_HTTPS, hash);
			vg_net_pin_text(want, VG_REMOTE_HTTPS, h->pin);
			stop(h, VG_EAUTH, "certificate %s is not the pinned %s (of %s)", got, want,
			     host);
			return -1;
		}
		return 0;
	}
	if (!valid) {
		stop(h, VG_EAUTH,
		     "the certificate of %s is not valid for the system's certificate authorities "
		     "(an invitation with a pin trusts that certificate alone)",
		     host);
		return -1;
	}
	return 0;
}

static int progress_cb(const git_indexer_progress *st, void *payload)
{
	struct helper *h = payload;
	uint64_t t = now_ms();

	if (st->total_objects > h->max_objects) {
		stop(h, VG_ELIMIT,
		     "fetch stopped: the remote sends %u objects, more than the cap of %llu",
		     st->total_objects, (unsigned long long)h->max_objects);
		return -1;
	}
	if (st->received_bytes > h->max_bytes) {
		stop(h, VG_ELIMIT,
		     "fetch stopped: the remote sends more than the cap of %llu bytes",
		     (unsigned long long)h->max_bytes);
		return -1;
	}
	if (t >= h->progress_ms + 100 || st->received_objects == st->total_objects) {
		char a[24], b[24];
		struct vg_net_field f[2];
		h->progress_ms = t;
		snprintf(a, sizeof(a), "%u", st->received_objects);
		snprintf(b, sizeof(b), "%u", st->total_objects);
		f[0] = sfield(a);
		f[1] = sfield(b);
		send_or_die('G', f, 2);
	}
	return 0;
}

static int push_ref_cb(const char *refname, const char *status, void *payload)
{
	struct helper *h = payload;

	/*
	 * Only what says the remote's branch is not where this device saw it (another writer)
	 * is a rejection the engine resolves (or raises an alarm for); a server that declines
	 * for its own reasons (a hook, a protected branch, a full disk) fails the push: the
	 * entries stay pending and the next sync tries again.
	 */
	if (status != NULL) {
		h->rejected = true;
		h->moved = strstr(status, "non-fast-forward") != NULL ||
			   strstr(status, "fetch first") != NULL ||
			   strstr(status, "stale") != NULL ||
			   strstr(status, "failed to lock") != NULL ||
			   strstr(status, "failed to update ref") != NULL;
		snprintf(h->reject, sizeof(h->reject), "%s: the remote rejected it (%.150s)",
			 refname, status);
	}
	return 0;
}

static void callbacks(struct helper *h, git_remote_callbacks *cb)
{
	git_remote_init_callbacks(cb, GIT_REMOTE_CALLBACKS_VERSION);
	cb->credentials = cred_cb;
	cb->certificate_check = cert_cb;
	cb->transfer_progress = progress_cb;
	cb->push_update_reference = push_ref_cb;
	cb->payload = h;
}

static void proxy(struct helper *h, git_proxy_options *po)
{
	git_proxy_options_init(po, GIT_PROXY_OPTIONS_VERSION);
	/* ssh ignores it (torsocks is how ssh goes through Tor: README). */
	if (h->kind == VG_REMOTE_HTTPS && h->proxy[0] != '\0') {
		po->type = GIT_PROXY_SPECIFIED;
		po->url = h->proxy;
	} else {
		po->type = GIT_PROXY_NONE;
	}
}

/* An anonymous remote no url.*.insteadOf rewrites, without a default fetch refspec. */
static int remote_new(struct helper *h, git_remote **out)
{
	git_remote_create_options opts;

	if (git_remote_create_options_init(&opts, GIT_REMOTE_CREATE_OPTIONS_VERSION) < 0)
		return -1;
	opts.repository = h->git;
	opts.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	return git_remote_create_with_opts(out, h->url, &opts);
}

/* ---- operations ---- */

static void op_fetch(struct helper *h, struct vg_net_field *f, size_t n)
{
	git_remote *remote = NULL;
	git_remote_callbacks cb;
	git_proxy_options po;
	git_fetch_options fo;
	const git_remote_head **ls = NULL;
	size_t nls = 0;
	char *specs[VG_NET_FIELDS_MAX];
	char buf[VG_NET_FIELDS_MAX][VG_NET_REFNAME_MAX * 2 + 2];
	git_strarray arr = {specs, 0};

	for (size_t i = 0; i < n; i++) {
		if (f[i].len >= sizeof(buf[i])) {
			fail(VG_EINVAL, "refspec too long");
			return;
		}
		memcpy(buf[i], f[i].p, f[i].len);
		buf[i][f[i].len] = '\0';
		specs[arr.count++] = buf[i];
	}
	h->attempts = 0;
	h->stop[0] = '\0';
	callbacks(h, &cb);
	proxy(h, &po);
	if (remote_new(h, &remote) < 0) {
		fail_git(h, VG_EINVAL, "cannot use the remote");
		return;
	}
	if (git_remote_connect(remote, GIT_DIRECTION_FETCH, &cb, &po, NULL) < 0) {
		fail_git(h, VG_ENOTFOUND, "remote is not reachable");
		goto done;
	}
	if (git_remote_ls(&ls, &nls, remote) < 0) {
		fail_git(h, VG_EIO, "cannot list the remote's references");
		goto done;
	}
	if (nls > VG_NET_HEADS_MAX) {
		fail(VG_ELIMIT, "the remote advertises %zu references (at most %d)", nls,
		     VG_NET_HEADS_MAX);
		goto done;
	}
	for (size_t i = 0; i < nls; i++) {
		struct vg_net_field hf[2];
		if (strncmp(ls[i]->name, "refs/heads/", 11) != 0 ||
		    strlen(ls[i]->name) >= VG_NET_REFNAME_MAX)
			continue;
		hf[0] = sfield(ls[i]->name);
		hf[1].p = ls[i]->oid.id;
		hf[1].len = 20;
		send_or_die('H', hf, 2);
	}
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	fo.callbacks = cb;
	fo.proxy_opts = po;
	fo.prune = GIT_FETCH_NO_PRUNE;
	fo.update_fetchhead = 0;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	if (git_remote_download(remote, &arr, &fo) < 0) {
		fail_git(h, VG_EIO, "cannot fetch");
		goto done;
	}
	send_or_die('O', NULL, 0);
done:
	git_remote_disconnect(remote);
	git_remote_free(remote);
}

static void op_push(struct helper *h, struct vg_net_field *f, size_t n)
{
	git_remote *remote = NULL;
	git_push_options po;
	char ref[VG_NET_REFNAME_MAX], spec[2 * VG_NET_REFNAME_MAX + 2];
	char *specs[1] = {spec};
	git_strarray arr = {specs, 1};
	int rc;

	if (n != 1 || f[0].len == 0 || f[0].len >= sizeof(ref) ||
	    memchr(f[0].p, ':', f[0].len) != NULL || memchr(f[0].p, '+', f[0].len) != NULL) {
		fail(VG_EINVAL, "a push names one reference");
		return;
	}
	memcpy(ref, f[0].p, f[0].len);
	ref[f[0].len] = '\0';
	snprintf(spec, sizeof(spec), "%s:%s", ref, ref); /* no '+': never forced */
	h->attempts = 0;
	h->stop[0] = '\0';
	h->rejected = false;
	git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
	callbacks(h, &po.callbacks);
	proxy(h, &po.proxy_opts);
	po.pb_parallelism = 1;
	if (remote_new(h, &remote) < 0) {
		fail_git(h, VG_EINVAL, "cannot use the remote");
		return;
	}
	rc = git_remote_push(remote, &arr, &po);
	if (rc == GIT_ENONFASTFORWARD) {
		struct vg_net_field r = sfield("the remote's branch moved since it was fetched");
		send_or_die('R', &r, 1);
	} else if (rc < 0) {
		fail_git(h, VG_EIO, "cannot push");
	} else if (h->rejected && h->moved) {
		struct vg_net_field r = sfield(h->reject);
		send_or_die('R', &r, 1);
	} else if (h->rejected) {
		fail(VG_EIO, "push declined by the server: %s", h->reject);
	} else {
		send_or_die('O', NULL, 0);
	}
	git_remote_free(remote);
}

/* ---- start ---- */

/*
 * Landlock (kernel 5.13+), best effort: writes only under the local repository, reads of
 * the system's libraries, configuration and certificates, and the repository. Returns
 * what applied, for the log.
 */
static const char *landlock(const char *repo)
{
#ifdef LANDLOCK_CREATE_RULESET_VERSION
	struct landlock_ruleset_attr attr = {0};
	struct landlock_path_beneath_attr pb = {0};
	/* /run: /etc/resolv.conf is often a link into it (systemd-resolved, NetworkManager). */
	const char *ro[] = {"/usr",	    "/lib",	 "/lib64",     "/etc", "/run",
			    "/dev/urandom", "/dev/null", "/proc/self", NULL};
	__u64 read_access =
	    LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_EXECUTE;
	__u64 all = read_access | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
		    LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
		    LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
		    LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
		    LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
	int rfd, fd, abi;

	abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 1)
		return "landlock: not available";
	/* libgit2 moves loose objects from objects/ into objects/xx/: a rename across
	 * directories, which ABI 1 always refuses and later ones allow when handled. */
	if (abi < 2)
		return "landlock: not applied (ABI 1 refuses renames across directories)";
	all |= LANDLOCK_ACCESS_FS_REFER;
	attr.handled_access_fs = all;
	rfd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (rfd < 0)
		return "landlock: not available";
	for (size_t i = 0; ro[i] != NULL; i++) {
		if ((fd = open(ro[i], O_PATH | O_CLOEXEC)) < 0)
			continue;
		pb.parent_fd = fd;
		pb.allowed_access = read_access;
		/* A file (not a directory) takes only file rights. */
		if (strncmp(ro[i], "/dev/", 5) == 0)
			pb.allowed_access =
			    LANDLOCK_ACCESS_FS_READ_FILE |
			    (strcmp(ro[i], "/dev/null") == 0 ? LANDLOCK_ACCESS_FS_WRITE_FILE : 0);
		(void)syscall(SYS_landlock_add_rule, rfd, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
		close(fd);
	}
	if ((fd = open(repo, O_PATH | O_CLOEXEC | O_DIRECTORY)) < 0) {
		close(rfd);
		return "landlock: not applied (no repository)";
	}
	pb.parent_fd = fd;
	pb.allowed_access =
	    all & ~(__u64)(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
			   LANDLOCK_ACCESS_FS_MAKE_BLOCK);
	if (syscall(SYS_landlock_add_rule, rfd, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0 ||
	    syscall(SYS_landlock_restrict_self, rfd, 0) < 0) {
		close(fd);
		close(rfd);
		return "landlock: not applied";
	}
	close(fd);
	close(rfd);
	return "landlock: writes limited to the repository";
#else
	(void)repo;
	return "landlock: not built";
#endif
}

static char *field_str(const struct vg_net_field *f)
{
	char *s = malloc(f->len + 1);

	if (s == NULL)
		_exit(1);
	memcpy(s, f->p, f->len);
	s[f->len] = '\0';
	if (strlen(s) != f->len)
		_exit(1);
	return s;
}

static int setup(struct helper *h, struct vg_net_field *f, size_t n)
{
	int rc;

	if (n != 7 || (f[1].len != 0 && f[1].len != 32) || f[2].len > VG_NET_CRED_MAX)
		return vg_error_set(VG_EINVAL, "bad setup");
	h->url = field_str(&f[0]);
	h->proxy = field_str(&f[3]);
	h->repo_path = field_str(&f[4]);
	h->max_objects = strtoull((const char *)f[5].p, NULL, 10);
	h->max_bytes = strtoull((const char *)f[6].p, NULL, 10);
	h->kind = vg_remote_kind(h->url);
	h->has_pin = f[1].len == 32;
	if (h->has_pin)
		memcpy(h->pin, f[1].p, 32);
	if (h->kind == VG_REMOTE_PATH)
		return vg_error_set(VG_EINVAL, "the network helper is for ssh and https remotes");
	if ((rc = vg_net_check(h->url, h->has_pin ? h->pin : NULL, f[2].p, f[2].len, NULL)) < 0)
		return rc;
	if ((h->user = sodium_malloc(2 * (VG_NET_CRED_MAX + 1))) == NULL)
		return vg_error_set(VG_ENOMEM, "out of memory");
	h->pass = h->user + VG_NET_CRED_MAX + 1;
	h->user[0] = h->pass[0] = '\0';
	if (h->kind == VG_REMOTE_SSH) {
		uint8_t pk[32];
		if ((h->sk = sodium_malloc(64)) == NULL)
			return vg_error_set(VG_ENOMEM, "out of memory");
		if ((rc = vg_net_ssh_key_parse(h->sk, pk, f[2].p, f[2].len)) < 0)
			return rc;
		memcpy(h->blob, "\0\0\0\x0bssh-ed25519\0\0\0\x20", 19);
		memcpy(h->blob + 19, pk, 32);
		vg_remote_ssh_user(h->user, VG_NET_CRED_MAX, h->url);
	} else {
		if (f[2].len > 0 &&
		    (rc = vg_net_https_cred_parse(h->user, h->pass, f[2].p, f[2].len)) < 0)
			return rc;
		/* Without a pin, libgit2's verdict against the system's CA bundle. */
		if (!h->has_pin)
			(void)git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS,
					       "/etc/ssl/certs/ca-certificates.crt", NULL);
	}
	if (git_repository_open_bare(&h->git, h->repo_path) < 0)
		return vg_error_set(VG_EIO, "cannot open the local repository");
	return 0;
}

int main(int argc, char **argv)
{
	struct helper h;
	struct vg_buf rec = VG_BUF_INIT_SECURE;
	struct vg_net_field f[VG_NET_FIELDS_MAX];
	struct rlimit no = {0, 0};
	const char *ll;
	size_t n;
	char type;
	bool ready = false;

	(void)argv;
	/* Before anything else: nothing of this process can be dumped or traced. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	/* Killed with its spawner (a panic's bounded sync child killed at its bound): a helper
	 * stuck on a stalled server never outlives the one that would kill it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() == 1)
		return 1;
	setrlimit(RLIMIT_CORE, &no);
	if (syscall(SYS_close_range, 3U, ~0U, 0) < 0)
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
	if (argc > 1) {
		fprintf(stderr, "vigil-net: the network helper of vigild; it takes no arguments\n");
		return 2;
	}
	memset(&h, 0, sizeof(h));
	vg_buf_init_secure(&rec);
	/* Delta search is off through the repository's own config, which the engine writes
	 * (pack.deltaCacheSize, FACTS.md); vg_init isolates libgit2 from every git config. */
	if (vg_init() < 0)
		return 1;
	/* HOME is a directory that does not exist (the spawner sets it; see net.c): libgit2
	 * 1.5.1's ssh transport looks for $HOME/.ssh/known_hosts before the certificate
	 * callback and fails without HOME. None is read; the pin alone decides. */
	for (;;) {
		int rc = vg_net__recv(FD, &rec, SETUP_MAX, 0, &type, f, &n);
		if (rc < 0)
			break; /* the engine is gone */
		if (type == 'Q')
			break;
		if (type == 'S' && !ready) {
			if ((rc = setup(&h, f, n)) < 0) {
				fail(rc, "%s", vg_error_last());
				break;
			}
			vg_buf_clear(&rec); /* the credential's copy, wiped */
			ready = true;
			ll = landlock(h.repo_path);
			say("protections: not dumpable, no new privileges, no core, no inherited "
			    "descriptors, HOME alone in the environment; %s",
			    ll);
			/* The daemon's log (its stderr): what applied, never what was given. */
			fprintf(stderr,
				"vigil-net[%d]: not dumpable, no new privileges, no core; %s\n",
				(int)getpid(), ll);
			continue;
		}
		if (!ready) {
			fail(VG_EINVAL, "not set up");
			break;
		}
		if (type == 'F')
			op_fetch(&h, f, n);
		else if (type == 'P')
			op_push(&h, f, n);
		else {
			fail(VG_EINVAL, "unknown operation");
			break;
		}
	}
	vg_buf_release(&rec);
	git_repository_free(h.git);
	sodium_free(h.sk);
	sodium_free(h.user);
	free(h.url);
	free(h.proxy);
	free(h.repo_path);
	return 0;
}

#ifdef __SANITIZE_ADDRESS__
/*
 * LeakSanitizer's suppressions for this process, built in because it runs with an
 * environment of HOME alone (no LSAN_OPTIONS reaches it). libgit2 1.5.1 leaks on every
 * ssh connection (upstream #6598, with libssh2's session allocations under it), which is
 * why a fresh helper serves each sync and exits; Debian's libgit2 has no symbols for the
 * static functions involved, so the two libraries are named whole: whatever they allocate
 * is not reported here (the daemon's and the tests' own runs still check vigil's use of
 * libgit2), while what this program allocates itself still is.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libgit2.so\nleak:libssh2.so\n";
}
#endif
