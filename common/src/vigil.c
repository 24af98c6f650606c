#include <malloc.h>
#include <stdlib.h>

#include <git2.h>
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

int vg_init(void)
{
	int rc;

	if ((rc = vg_init_without_git()) < 0)
		return rc;
	/*
	 * libgit2 as FACTS.md says it must be used: it never fsyncs unless told; the user's and
	 * system's git configuration must not change what vigil writes or trusts; objects are
	 * checked when created and when read.
	 */
	if (git_libgit2_init() < 0 || git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1) < 0 ||
	    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 1) < 0 ||
	    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1) < 0)
		return vg_error_set(VG_ERROR, "cannot initialise libgit2");
	for (int level = GIT_CONFIG_LEVEL_PROGRAMDATA; level <= GIT_CONFIG_LEVEL_GLOBAL; level++)
		if (git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, level, "") < 0)
			return vg_error_set(VG_ERROR,
					    "cannot isolate libgit2 from git configuration");
	return 0;
}

const char *vg_version(void)
{
	return VIGIL_VERSION;
}
