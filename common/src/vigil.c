#include <sodium.h>

#include "vigil/error.h"
#include "vigil/vigil.h"

int vg_init(void)
{
	if (sodium_init() < 0)
		return vg_error_set(VG_ERROR, "cannot initialise libsodium");
	return 0;
}

const char *vg_version(void)
{
	return VIGIL_VERSION;
}
