/*
 * Fuzzes what the network transports parse (common/src/net.c), the first byte choosing
 * which: 0 an OpenSSH private key (vg_net_ssh_key_parse), 1 https credential lines
 * (vg_net_https_cred_parse), 2 a remote URL (vg_sync_remote_check, then its kind, host and
 * ssh user), 3 a pin for an ssh and an https remote, 4 a record from the network helper
 * (vg_net__recv through a pipe: the helper is less trusted than the daemon). Never
 * crashes; what is accepted is consistent (a key's public half matches its secret one,
 * credentials are NUL-terminated and in bounds, a record's fields lie inside it).
 */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "vigil/buf.h"
#include "vigil/net.h"
#include "vigil/sync.h"
#include "vigil/vigil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void key(const uint8_t *p, size_t n)
{
	uint8_t *sk = sodium_malloc(64), pk[32], derived[32];

	if (sk == NULL)
		return;
	if (vg_net_ssh_key_parse(sk, pk, p, n) == 0) {
		if (crypto_sign_ed25519_sk_to_pk(derived, sk) != 0 ||
		    memcmp(derived, pk, sizeof(pk)) != 0)
			__builtin_trap();
	}
	sodium_free(sk);
}

static void cred(const uint8_t *p, size_t n)
{
	char *user = sodium_malloc(VG_NET_CRED_MAX + 1), *pass = sodium_malloc(VG_NET_CRED_MAX + 1);

	if (user != NULL && pass != NULL && vg_net_https_cred_parse(user, pass, p, n) == 0 &&
	    (memchr(user, '\0', VG_NET_CRED_MAX + 1) == NULL ||
	     memchr(pass, '\0', VG_NET_CRED_MAX + 1) == NULL))
		__builtin_trap();
	sodium_free(user);
	sodium_free(pass);
}

static void url(const uint8_t *p, size_t n)
{
	char u[VG_SYNC_REMOTE_MAX + 2], out[VG_SYNC_REMOTE_MAX + 1];
	uint8_t pin[32];

	if (n > VG_SYNC_REMOTE_MAX + 1)
		return;
	memcpy(u, p, n);
	u[n] = '\0';
	if (vg_sync_remote_check(u) < 0)
		return;
	(void)vg_remote_kind(u);
	vg_remote_host(out, sizeof(out), u);
	if (memchr(out, '\0', sizeof(out)) == NULL)
		__builtin_trap();
	vg_remote_ssh_user(out, sizeof(out), u);
	if (memchr(out, '\0', sizeof(out)) == NULL)
		__builtin_trap();
	/* A hex pin suits every network remote. */
	if (vg_remote_kind(u) != VG_REMOTE_PATH &&
	    vg_net_pin_parse(
		pin, u,
		"sha256:0000000000000000000000000000000000000000000000000000000000000000") != 0)
		__builtin_trap();
}

static void pin(const uint8_t *p, size_t n)
{
	char t[VG_NET_PIN_TEXT_MAX * 2];
	uint8_t a[32], b[32];

	if (n >= sizeof(t))
		return;
	memcpy(t, p, n);
	t[n] = '\0';
	/* ssh takes every form https takes, as the same 32 bytes. */
	if (vg_net_pin_parse(b, "https://127.0.0.1/r.git", t) == 0 &&
	    (vg_net_pin_parse(a, "ssh://git@127.0.0.1:22/r.git", t) != 0 || memcmp(a, b, 32) != 0))
		__builtin_trap();
}

static void record(const uint8_t *p, size_t n)
{
	struct vg_buf rec = VG_BUF_INIT;
	struct vg_net_field f[VG_NET_FIELDS_MAX];
	size_t k = 0;
	char type;
	int fd[2];

	/* What fits in a pipe without a reader: the whole input, then end of file. */
	if (n > 60000 || pipe(fd) != 0)
		return;
	if (write(fd[1], p, n) != (ssize_t)n) {
		close(fd[0]);
		close(fd[1]);
		return;
	}
	close(fd[1]);
	if (vg_net__recv(fd[0], &rec, 4096, vg_net_now_ms() + 1000, &type, f, &k) == 0) {
		if (k > VG_NET_FIELDS_MAX)
			__builtin_trap();
		for (size_t i = 0; i < k; i++)
			if (f[i].p < rec.ptr || f[i].p + f[i].len > rec.ptr + rec.len)
				__builtin_trap();
	}
	close(fd[0]);
	vg_buf_release(&rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;

	if (!ready) {
		if (vg_init() < 0)
			return 0;
		ready = 1;
	}
	if (size < 1 || size > 65536)
		return 0;
	switch (data[0] % 5) {
	case 0:
		key(data + 1, size - 1);
		break;
	case 1:
		cred(data + 1, size - 1);
		break;
	case 2:
		url(data + 1, size - 1);
		break;
	case 3:
		pin(data + 1, size - 1);
		break;
	default:
		record(data + 1, size - 1);
		break;
	}
	return 0;
}
