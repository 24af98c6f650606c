/*
 * Fuzzes what the daemon does with bytes from a client: line framing (fed in pieces whose
 * sizes the input chooses) and the request parser on every line. Never crashes, and what
 * it accepts satisfies the parser's contract: a known command, secrets of 1 to
 * VG_IPC_SECRET_MAX bytes in guarded memory, a nonce of exactly 32 bytes.
 */
#include <string.h>

#include "vigil/ipc.h"
#include "vigil/vigil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct vg_ipc_request *r)
{
	static const char *const secrets[] = {"passphrase", "old", "new"};
	const struct vg_buf *b;
	const char *s;

	if (vg_ipc_cmd_name(vg_ipc_request_cmd(r)) == NULL)
		__builtin_trap();
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		b = vg_ipc_request_bytes(r, secrets[i]);
		if (b != NULL && (b->len < 1 || b->len > VG_IPC_SECRET_MAX || !b->secure))
			__builtin_trap();
	}
	b = vg_ipc_request_bytes(r, "nonce");
	if (b != NULL && b->len != VG_IPC_NONCE_BYTES)
		__builtin_trap();
	s = vg_ipc_request_string(r, "name");
	if (s != NULL && strlen(s) > 64)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct vg_ipc_reader rd;
	size_t off = 0, step;
	const char *line;
	size_t len;

	if (!ready) {
		if (vg_init() < 0)
			return 0;
		ready = 1;
	}
	/* The first byte picks the piece size, so framing across pieces is covered. */
	step = size > 0 ? (size_t)data[0] % 64 + 1 : 1;
	vg_ipc_reader_init(&rd, 4096);
	while (off < size) {
		size_t n = size - off < step ? size - off : step;
		int rc;
		if (vg_ipc_reader_feed(&rd, data + off, n) < 0)
			break;
		off += n;
		while ((rc = vg_ipc_reader_next(&rd, &line, &len)) == 1) {
			struct vg_ipc_request *r = NULL;
			if (len > 4096)
				__builtin_trap();
			if (vg_ipc_request_parse(&r, line, len) == 0) {
				if (r == NULL)
					__builtin_trap();
				check(r);
				vg_ipc_request_free(r);
			} else if (r != NULL) {
				__builtin_trap();
			}
		}
		if (rc < 0)
			break; /* the daemon closes such a connection */
	}
	/* The whole input as one request too, as the daemon would see an unframed one. */
	{
		struct vg_ipc_request *r = NULL;
		if (vg_ipc_request_parse(&r, (const char *)data, size) == 0) {
			check(r);
			vg_ipc_request_free(r);
		}
	}
	vg_ipc_reader_release(&rd);
	return 0;
}
