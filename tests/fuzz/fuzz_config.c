/*
 * Fuzzes the configuration parser (inih under vg_config_parse): never crashes, every
 * refusal names a line, and an accepted file gives a value in range.
 */
#include <stdint.h>
#include <string.h>

#include "vigil/config.h"
#include "vigil/error.h"
#include "vigil/vigil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct vg_config c;
	int rc;

	if (!ready) {
		if (vg_init() < 0)
			return 0;
		ready = 1;
	}
	if (size > VG_CONFIG_MAX)
		return 0;
	rc = vg_config_parse(&c, (const char *)data, size, "fuzz");
	if (rc == 0 && c.autolock > VG_CONFIG_AUTOLOCK_MAX)
		__builtin_trap();
	if (rc != 0 && (rc != VG_EFORMAT || strstr(vg_error_last(), "'fuzz' line ") == NULL ||
			c.autolock != VG_CONFIG_AUTOLOCK_DEFAULT))
		__builtin_trap();
	return 0;
}
