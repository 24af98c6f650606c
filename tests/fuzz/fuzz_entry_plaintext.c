/*
 * Fuzzes the entry plaintext checker (canonical JSON, padding, members, repeated metadata)
 * and the trusted comment parser. The metadata is fixed: org 01..01, author 02..02, seq 1.
 * The first byte picks the padding bucket (256, 512 or 1024); the rest is the plaintext.
 */
#include <string.h>

#include "vigil/entry.h"
#include "vigil/vigil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct vg_entry_meta meta, parsed;
	json_t *doc = NULL;
	size_t bucket;

	if (!ready) {
		if (vg_init() < 0)
			return 0;
		ready = 1;
	}
	if (size < 1)
		return 0;
	memset(&meta, 0, sizeof(meta));
	memset(meta.org, 0x01, sizeof(meta.org));
	memset(meta.author, 0x02, sizeof(meta.author));
	meta.seq = 1;
	meta.roster = 1;
	bucket = (size_t)256 << (data[0] % 3);
	if (vg_entry_plaintext_check(&doc, data + 1, size - 1, bucket, &meta) == 0) {
		struct vg_buf b = VG_BUF_INIT;
		/* What was accepted re-encodes to itself. */
		if (vg_json_canonical(&b, doc) != 0 || b.len > size - 1 ||
		    memcmp(b.ptr, data + 1, b.len) != 0)
			__builtin_trap();
		vg_buf_release(&b);
		json_decref(doc);
	}
	if (vg_entry_tc_parse(&parsed, (const char *)data, size) == 0) {
		char tc[VG_MINISIGN_COMMENT_MAX + 1];
		if (vg_entry_tc_format(tc, sizeof(tc), &parsed) != 0 || strlen(tc) != size ||
		    memcmp(tc, data, size) != 0)
			__builtin_trap();
	}
	return 0;
}
