/*
 * Network remotes (vigil/net.h): URL forms, pins, transport credentials, proxies, and the
 * engine's hold on the helper (its errors, its records, the deadline that kills it). The
 * transfers against real servers are the shell tests' (sync_ssh.sh, sync_https.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "testutil.h"
#include "vigil/error.h"
#include "vigil/invite.h"
#include "vigil/net.h"
#include "vigil/vigil.h"

/* A throw-away key: ssh-keygen -t ed25519 -N '' -C test; its fingerprint below. */
static const char KEY[] = "-----BEGIN OPENSSH PRIVATE KEY-----\n"
			  "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
			  "QyNTUxOQAAACB87CNtXKqWWaUoXhyBwgTwoU+UFby4gBkDP8Lk/tXmLwAAAIgi2X3yItl9\n"
			  "8gAAAAtzc2gtZWQyNTUxOQAAACB87CNtXKqWWaUoXhyBwgTwoU+UFby4gBkDP8Lk/tXmLw\n"
			  "AAAECG4e/h55oNHtOfgCme7Sn/MnU+wlDGh8afB7G5oJizV3zsI21cqpZZpSheHIHCBPCh\n"
			  "T5QVvLiAGQM/wuT+1eYvAAAABHRlc3QB\n"
			  "-----END OPENSSH PRIVATE KEY-----\n";
static const char KEY_FP[] = "SHA256:M3rJ0Iqp2nWG6DiySGxX4FkTXWm3RkyzvDNDfuCxRm8";

static void test_url_parts(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(vg_remote_kind("/srv/vigil.git"), VG_REMOTE_PATH);
	assert_int_equal(vg_remote_kind("file:///srv/vigil.git"), VG_REMOTE_PATH);
	assert_int_equal(vg_remote_kind("ssh://h/r.git"), VG_REMOTE_SSH);
	assert_int_equal(vg_remote_kind("https://h/r.git"), VG_REMOTE_HTTPS);
	vg_remote_host(out, sizeof(out), "ssh://vigil@example.org:2222/srv/r.git");
	assert_string_equal(out, "example.org");
	vg_remote_host(out, sizeof(out), "https://forge.example:8443/o/r.git");
	assert_string_equal(out, "forge.example");
	vg_remote_host(out, sizeof(out), "/srv/r.git");
	assert_string_equal(out, "");
	vg_remote_ssh_user(out, sizeof(out), "ssh://vigil@example.org:2222/srv/r.git");
	assert_string_equal(out, "vigil");
	vg_remote_ssh_user(out, sizeof(out), "ssh://example.org/srv/r.git");
	assert_string_equal(out, "git");
}

static void test_pin_text(void **state)
{
	uint8_t pin[32], back[32];
	char text[VG_NET_PIN_TEXT_MAX];

	(void)state;
	for (int i = 0; i < 32; i++)
		pin[i] = (uint8_t)(i * 7 + 1);
	vg_net_pin_text(text, VG_REMOTE_SSH, pin);
	assert_int_equal(strncmp(text, "SHA256:", 7), 0);
	assert_int_equal(strlen(text), 7 + 43);
	assert_int_equal(vg_invite_pin_parse(back, text), 0);
	assert_memory_equal(back, pin, 32);
	vg_net_pin_text(text, VG_REMOTE_HTTPS, pin);
	assert_int_equal(strncmp(text, "sha256:0108", 11), 0);
	assert_int_equal(strlen(text), 7 + 64);
	assert_int_equal(vg_invite_pin_parse(back, text), 0);
	assert_memory_equal(back, pin, 32);
}

static void test_pin_kind(void **state)
{
	uint8_t pin[32];

	(void)state;
	/* https: the hex form only; an ssh fingerprint given by mistake is refused. */
	assert_int_equal(
	    vg_net_pin_parse(
		pin, "https://h/r.git",
		"sha256:0000000000000000000000000000000000000000000000000000000000000001"),
	    0);
	assert_int_equal(pin[31], 1);
	assert_int_equal(vg_net_pin_parse(pin, "https://h/r.git", KEY_FP), VG_EINVAL);
	assert_non_null(strstr(vg_error_last(), "ssh host key fingerprint"));
	/* ssh: either form. */
	assert_int_equal(vg_net_pin_parse(pin, "ssh://h/r.git", KEY_FP), 0);
	assert_int_equal(vg_net_pin_parse(pin, "ssh://h/r.git", "sha256:00"), VG_EINVAL);
	assert_int_equal(vg_net_pin_parse(pin, "ssh://h/r.git", ""), VG_EINVAL);
}

static void test_ssh_key(void **state)
{
	uint8_t *sk = sodium_malloc(64), pk[32], blob[51], hash[32], check[32];
	char fp[VG_NET_PIN_TEXT_MAX];
	char *bad;

	(void)state;
	assert_int_equal(vg_net_ssh_key_parse(sk, pk, (const uint8_t *)KEY, strlen(KEY)), 0);
	/* The public key blob hashes to what ssh-keygen -lf printed for it. */
	memcpy(blob, "\0\0\0\x0bssh-ed25519\0\0\0\x20", 19);
	memcpy(blob + 19, pk, 32);
	crypto_hash_sha256(hash, blob, sizeof(blob));
	vg_net_pin_text(fp, VG_REMOTE_SSH, hash);
	assert_string_equal(fp, KEY_FP);
	/* And the secret signs for it. */
	assert_int_equal(crypto_sign_ed25519_sk_to_pk(check, sk), 0);
	assert_memory_equal(check, pk, 32);

	/* Without the trailing newline and with CRLF line ends it reads the same. */
	assert_int_equal(vg_net_ssh_key_parse(sk, pk, (const uint8_t *)KEY, strlen(KEY) - 1), 0);
	/* One changed character in the magic, the public key, the secret seed: refused. */
	bad = strdup(KEY);
	{
		const size_t at[] = {36 + 3, 36 + 72 + 20, 36 + 3 * 72 + 10, 36 + 3 * 72 + 30};
		for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
			memcpy(bad, KEY, sizeof(KEY));
			bad[at[i]] = bad[at[i]] == 'A' ? 'B' : 'A';
			assert_int_not_equal(
			    vg_net_ssh_key_parse(sk, pk, (const uint8_t *)bad, strlen(bad)), 0);
		}
	}
	free(bad);
	/* Truncated, empty, not a key. */
	assert_int_equal(vg_net_ssh_key_parse(sk, pk, (const uint8_t *)KEY, 120), VG_EFORMAT);
	assert_int_equal(vg_net_ssh_key_parse(sk, pk, (const uint8_t *)"", 0), VG_EFORMAT);
	assert_int_equal(vg_net_ssh_key_parse(sk, pk, (const uint8_t *)"ssh-ed25519 AAAA", 16),
			 VG_EFORMAT);
	/* An old PEM RSA key: refused with the reason. */
	assert_int_equal(
	    vg_net_ssh_key_parse(sk, pk,
				 (const uint8_t *)"-----BEGIN RSA PRIVATE KEY-----\n"
						  "MIIB\n-----END RSA PRIVATE KEY-----\n",
				 70),
	    VG_EUNSUPPORTED);
	assert_non_null(strstr(vg_error_last(), "cannot sign with RSA"));
	sodium_free(sk);
}

/* Keys ssh-keygen writes that vigil refuses: RSA, ECDSA, a passphrase. */
static void test_ssh_key_refused(void **state)
{
	static const char *const kinds[][2] = {{"rsa", ""}, {"ecdsa", ""}, {"ed25519", "pw"}};
	uint8_t *sk = sodium_malloc(64), pk[32];
	char *dir;

	(void)state;
	VGT_REQUIRE(vgt_have_tool("ssh-keygen"), "ssh-keygen (openssh-client) is not installed");
	dir = vgt_tmpdir();
	for (size_t i = 0; i < 3; i++) {
		char *path = vgt_path(dir, kinds[i][0]);
		const char *argv[] = {"ssh-keygen", "-q", "-t", kinds[i][0], "-N",
				      kinds[i][1],  "-f", path, NULL};
		struct vg_buf key = VG_BUF_INIT;

		assert_int_equal(vgt_run(argv, NULL, 0, NULL, NULL), 0);
		vgt_read_file(&key, path);
		assert_int_equal(vg_net_ssh_key_parse(sk, pk, key.ptr, key.len), VG_EUNSUPPORTED);
		assert_non_null(strstr(vg_error_last(),
				       i < 2 ? "libssh2 1.10 cannot sign with RSA" : "passphrase"));
		assert_int_equal(vg_net_check("ssh://h/r.git", pk, key.ptr, key.len, NULL),
				 VG_EUNSUPPORTED);
		vg_buf_release(&key);
		free(path);
	}
	vgt_rmrf(dir);
	free(dir);
	sodium_free(sk);
}

static void test_https_cred(void **state)
{
	char *u = sodium_malloc(2 * (VG_NET_CRED_MAX + 1)), *p = u + VG_NET_CRED_MAX + 1;
#define CRED(s) (const uint8_t *)(s), strlen(s)

	(void)state;
	assert_int_equal(vg_net_https_cred_parse(u, p, CRED("username=mon\npassword=t0k:en=\n")),
			 0);
	assert_string_equal(u, "mon");
	assert_string_equal(p, "t0k:en=");
	assert_int_equal(vg_net_https_cred_parse(u, p, CRED("password=x\nusername=a")), 0);
	assert_string_equal(u, "a");
	assert_string_equal(p, "x");
	assert_int_equal(vg_net_https_cred_parse(u, p, CRED("username=a\n")), 0);
	assert_string_equal(p, "");
	assert_int_equal(vg_net_https_cred_parse(u, p, CRED("user=a\npassword=b\n")), VG_EFORMAT);
	assert_int_equal(vg_net_https_cred_parse(u, p, CRED("username=a\nusername=b\n")),
			 VG_EFORMAT);
	assert_int_equal(vg_net_https_cred_parse(u, p, CRED("password=b\n")), VG_EFORMAT);
	assert_int_equal(vg_net_https_cred_parse(u, p, CRED("username=a\npassword=b\rc\n")),
			 VG_EFORMAT);
	assert_int_equal(vg_net_https_cred_parse(u, p, CRED("host=forge\nusername=a\n")),
			 VG_EFORMAT);
	sodium_free(u);
}

static void test_check(void **state)
{
	uint8_t pin[32] = {1};
	const char *kind;

	(void)state;
	assert_int_equal(vg_net_check("/srv/r.git", NULL, NULL, 0, &kind), 0);
	assert_null(kind);
	assert_int_equal(vg_net_check("/srv/r.git", pin, NULL, 0, NULL), VG_EINVAL);
	assert_int_equal(vg_net_check("/srv/r.git", NULL, CRED("username=a\n"), NULL), VG_EINVAL);
	/* ssh: a pin and an Ed25519 key, both needed. */
	assert_int_equal(vg_net_check("ssh://h/r.git", pin, CRED(KEY), &kind), 0);
	assert_string_equal(kind, "ssh-ed25519");
	assert_int_equal(vg_net_check("ssh://h/r.git", NULL, CRED(KEY), NULL), VG_EINVAL);
	assert_non_null(strstr(vg_error_last(), "ssh-keyscan HOST | ssh-keygen -lf -"));
	assert_int_equal(vg_net_check("ssh://h/r.git", pin, NULL, 0, NULL), VG_EINVAL);
	assert_int_equal(vg_net_check("ssh://h/r.git", pin, CRED("username=a\n"), NULL),
			 VG_EFORMAT);
	/* https: anonymous, or a username and token; a pin is optional. */
	assert_int_equal(vg_net_check("https://h/r.git", NULL, NULL, 0, &kind), 0);
	assert_null(kind);
	assert_int_equal(
	    vg_net_check("https://h/r.git", pin, CRED("username=a\npassword=b\n"), &kind), 0);
	assert_string_equal(kind, "https-password");
	assert_int_equal(vg_net_check("https://h/r.git", NULL, CRED(KEY), NULL), VG_EFORMAT);
	assert_int_equal(vg_net_check("https://h/r.git", NULL, CRED("password=b\n"), NULL),
			 VG_EFORMAT);
}

static void test_proxy(void **state)
{
	(void)state;
	assert_int_equal(vg_net_proxy_check(""), 0);
	assert_int_equal(vg_net_proxy_check("http://127.0.0.1:8118"), 0);
	assert_int_equal(vg_net_proxy_check("http://proxy.lan:3128/"), 0);
	assert_int_equal(vg_net_proxy_check("http://proxy.lan"), VG_EINVAL);
	assert_int_equal(vg_net_proxy_check("https://proxy.lan:3128"), VG_EINVAL);
	assert_int_equal(vg_net_proxy_check("socks5://127.0.0.1:9050"), VG_EINVAL);
	assert_int_equal(vg_net_proxy_check("http://u:p@proxy.lan:3128"), VG_EINVAL);
	assert_int_equal(vg_net_proxy_check("http://proxy.lan:3128/path"), VG_EINVAL);
	assert_int_equal(vg_net_proxy_check("http://proxy.lan:0"), VG_EINVAL);
}

static bool gone(pid_t pid)
{
	return kill(pid, 0) < 0 && errno == ESRCH;
}

/* The helper refuses what it is not for, and says so; it is gone once freed. */
static void test_helper_refuses(void **state)
{
	struct vg_net *n;
	struct vg_net_params p;
	const char *specs[] = {"refs/heads/roster:refs/vigil/remote/roster"};
	pid_t pid;

	(void)state;
	assert_int_equal(vg_net_spawn(&n, VIGIL_NET_PATH), 0);
	pid = vg_net_pid(n);
	memset(&p, 0, sizeof(p));
	p.url = "/srv/r.git";
	p.repo = "/nonexistent";
	assert_int_equal(vg_net_start(n, &p, vg_net_now_ms() + 10000), 0);
	assert_int_equal(vg_net_fetch(n, specs, 1, NULL, NULL, NULL, vg_net_now_ms() + 10000),
			 VG_EINVAL);
	assert_non_null(strstr(vg_error_last(), "ssh and https"));
	vg_net_free(n);
	assert_true(gone(pid));
	/* A program that is not there. */
	assert_int_equal(vg_net_spawn(&n, "/nonexistent/vigil-net"), VG_EIO);
}

/*
 * A server that accepts the connection and never speaks: the engine kills the helper at
 * the deadline and says so; the helper is reaped (no zombie, no process).
 */
static void test_helper_stall(void **state)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	char url[128], *dir;
	struct vg_net *n;
	struct vg_net_params p;
	const char *specs[] = {"refs/heads/roster:refs/vigil/remote/roster"};
	uint8_t pin[32] = {0};
	uint64_t t0;
	pid_t pid;
	int rc;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
	snprintf(url, sizeof(url), "ssh://git@127.0.0.1:%u/srv/r.git", ntohs(sa.sin_port));
	dir = vgt_tmpdir();
	{
		const char *argv[] = {"git", "init", "-q", "--bare", dir, NULL};
		VGT_REQUIRE(vgt_have_tool("git"), "git is not installed");
		assert_int_equal(vgt_run(argv, NULL, 0, NULL, NULL), 0);
	}
	assert_int_equal(vg_net_spawn(&n, VIGIL_NET_PATH), 0);
	pid = vg_net_pid(n);
	memset(&p, 0, sizeof(p));
	p.url = url;
	p.pin = pin;
	p.cred = (const uint8_t *)KEY;
	p.cred_len = strlen(KEY);
	p.repo = dir;
	p.max_objects = 1000;
	p.max_bytes = 1000000;
	t0 = vg_net_now_ms();
	assert_int_equal(vg_net_start(n, &p, t0 + 1500), 0);
	rc = vg_net_fetch(n, specs, 1, NULL, NULL, NULL, t0 + 1500);
	if (rc != VG_ELIMIT)
		print_message("%s\n", vg_error_last());
	assert_int_equal(rc, VG_ELIMIT);
	assert_non_null(strstr(vg_error_last(), "did not finish within 2 s"));
	assert_non_null(strstr(vg_error_last(), "the network helper was stopped"));
	assert_true(vg_net_now_ms() - t0 >= 1400 && vg_net_now_ms() - t0 < 10000);
	assert_true(gone(pid)); /* killed and reaped before the error came back */
	vg_net_free(n);
	close(lfd);
	vgt_rmrf(dir);
	free(dir);
}

/*
 * A helper that misbehaves (it is less trusted than the engine): a fake one, a shell
 * script, answers the first operation with given bytes. Every case ends it.
 */
static int fake_fetch(const char *dir, const char *answer, bool stay, pid_t *pid, unsigned ms)
{
	char *path = vgt_path(dir, "fake-net");
	char script[512];
	struct vg_net *n;
	struct vg_net_params p;
	const char *specs[] = {"refs/heads/roster:refs/vigil/remote/roster"};
	int rc;

	/* Reads the setup (up to its newline), answers on its socket (fd 0), waits for EOF. */
	snprintf(script, sizeof(script), "#!/bin/sh\nread -r x\nprintf '%s' >&0\n%s\n", answer,
		 stay ? "while read -r x; do :; done" : "exit 0");
	vgt_write_file(path, script, strlen(script));
	assert_int_equal(chmod(path, 0700), 0);
	assert_int_equal(vg_net_spawn(&n, path), 0);
	*pid = vg_net_pid(n);
	memset(&p, 0, sizeof(p));
	p.url = "ssh://h/r.git";
	p.repo = dir;
	/* A newline ends the fake's first read. */
	p.proxy = "\n";
	assert_int_equal(vg_net_start(n, &p, vg_net_now_ms() + ms), 0);
	rc = vg_net_fetch(n, specs, 1, NULL, NULL, NULL, vg_net_now_ms() + ms);
	vg_net_free(n);
	free(path);
	return rc;
}

static void test_helper_untrusted(void **state)
{
	char *dir;
	pid_t pid;

	(void)state;
	dir = vgt_tmpdir();
	/* A record longer than the cap: refused before it is read. */
	assert_int_equal(fake_fetch(dir, "\\377\\377\\377\\377", true, &pid, 20000), VG_EFORMAT);
	assert_non_null(strstr(vg_error_last(), "record of 4294967295 bytes"));
	assert_true(gone(pid));
	/* A record of a type the engine does not expect. */
	assert_int_equal(fake_fetch(dir, "\\0\\0\\0\\001Z", true, &pid, 20000), VG_EFORMAT);
	assert_non_null(strstr(vg_error_last(), "unexpected record"));
	/* A head without its 20-byte id. */
	assert_int_equal(
	    fake_fetch(dir, "\\0\\0\\0\\014H\\0\\0\\0\\003abc\\0\\0\\0\\0", true, &pid, 20000),
	    VG_EFORMAT);
	/* A field longer than its record. */
	assert_int_equal(fake_fetch(dir, "\\0\\0\\0\\005E\\0\\0\\0\\377", true, &pid, 20000),
			 VG_EFORMAT);
	/* An error with an unknown code and a control character: VG_EIO, the text cleaned. */
	assert_int_equal(fake_fetch(dir, "\\0\\0\\0\\015E\\0\\0\\0\\00299\\0\\0\\0\\002a\\033",
				    true, &pid, 20000),
			 VG_EIO);
	assert_string_equal(vg_error_last(), "a?");
	/* No answer at all: the helper ended, or it says nothing until the deadline. */
	assert_int_equal(fake_fetch(dir, "", false, &pid, 20000), VG_EIO);
	assert_non_null(strstr(vg_error_last(), "ended without an answer"));
	assert_int_equal(fake_fetch(dir, "", true, &pid, 1500), VG_ELIMIT);
	assert_non_null(strstr(vg_error_last(), "did not finish within 2 s"));
	assert_true(gone(pid));
	vgt_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_url_parts),
	    cmocka_unit_test(test_pin_text),
	    cmocka_unit_test(test_pin_kind),
	    cmocka_unit_test(test_ssh_key),
	    cmocka_unit_test(test_ssh_key_refused),
	    cmocka_unit_test(test_https_cred),
	    cmocka_unit_test(test_check),
	    cmocka_unit_test(test_proxy),
	    cmocka_unit_test(test_helper_refuses),
	    cmocka_unit_test(test_helper_stall),
	    cmocka_unit_test(test_helper_untrusted),
	};

	if (vg_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
