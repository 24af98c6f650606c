/*
 * Where one identity keeps its files.
 *
 * With --home DIR (or VIGIL_HOME): DIR/data, DIR/config and the socket directory DIR/run.
 * Otherwise $XDG_DATA_HOME/vigil (default ~/.local/share/vigil), $XDG_CONFIG_HOME/vigil
 * (default ~/.config/vigil) and $XDG_RUNTIME_DIR/vigil (or the data directory's run/ when
 * there is no runtime directory).
 */
#ifndef VIGIL_HOME_H
#define VIGIL_HOME_H

#include <limits.h>
#include <stddef.h>

struct vg_home {
	char data[PATH_MAX];
	char config[PATH_MAX];
	char run[PATH_MAX];
};

/* Resolve the directories; home may be NULL. Nothing is created. VG_EINVAL when neither
 * --home, VIGIL_HOME, the XDG variables nor HOME says where. Relative paths are made
 * absolute against the current directory. */
int vg_home_resolve(struct vg_home *out, const char *home) __attribute__((warn_unused_result));

/* Create data and config (and their parents) with mode 0700 where missing. */
int vg_home_create(const struct vg_home *h) __attribute__((warn_unused_result));

/* dir "/" name into out, refusing truncation. */
int vg_home_path(char *out, size_t outsz, const char *dir, const char *name)
    __attribute__((warn_unused_result));

/* mkdir -p with mode for every component created. */
int vg_mkdir_p(const char *path, unsigned mode) __attribute__((warn_unused_result));

#endif
