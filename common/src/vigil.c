#include <malloc.h>
#include <stdlib.h>

#include <jansson.h>
#include <sodium.h>

#include "vigil/error.h"
#include "vigil/vigil.h"

/*
 * jansson holds decrypted documents in ordinary heap memory (guarded pages per string
 * would cost a page each). Its memory is at least wiped before it is freed, so plaintext
 * does not linger in freed chunks.
 */
static void *json_alloc(size_t n)
{
	return malloc(n);
}

static void json_wipe_free(void *p)
{
	if (p == NULL)
		return;
	sodium_memzero(p, malloc_usable_size(p));
	free(p);
}

int vg_init_without_git(void)
{
	if (sodium_init() < 0)
		return vg_error_set(VG_ERROR, "cannot initialise libsodium");
	json_set_alloc_funcs(json_alloc, json_wipe_free);
	return 0;
}

const char *vg_version(void)
{
	return VIGIL_VERSION;
}
