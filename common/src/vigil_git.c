/*
 * vg_init: vg_init_without_git and libgit2's start-up, in a file of its own so that a
 * program that never calls it (vigil, vigil-keys) links no libgit2 symbol and, linked
 * with --as-needed, does not even load libgit2 and the TLS and ssh libraries under it:
 * about two thirds of such a command's start-up time.
 */
#include <git2.h>

#include "vigil/error.h"
#include "vigil/vigil.h"

int vg_init(void)
{
	int rc;

	if ((rc = vg_init_without_git()) < 0)
		return rc;
	/*
	 * libgit2 as FACTS.md says it must be used: it never fsyncs unless told; the user's and
	 * system's git configuration must not change what vigil writes or trusts; objects are
	 * checked when created and when read; trees are cached.
	 */
	if (git_libgit2_init() < 0 || git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1) < 0 ||
	    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 1) < 0 ||
	    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1) < 0 ||
	    /*
	     * Trees stay in the object cache up to 64 KiB (default 4 KiB): the "entries" tree
	     * of a branch with two levels of fan-out (256 names, ~7.5 KiB) is read for every
	     * path looked up, and was inflated and parsed again each time.
	     */
	    git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, (size_t)65536) < 0)
		return vg_error_set(VG_ERROR, "cannot initialise libgit2");
	for (int level = GIT_CONFIG_LEVEL_PROGRAMDATA; level <= GIT_CONFIG_LEVEL_GLOBAL; level++)
		if (git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, level, "") < 0)
			return vg_error_set(VG_ERROR,
					    "cannot isolate libgit2 from git configuration");
	return 0;
}
