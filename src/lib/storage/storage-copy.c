/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The tree copier of the dir backend (and of overlay layers): everything `cp -a` keeps, with
 * reflinks when the filesystem has them. The source may be a container's tree, so it is walked
 * with *at() calls on directory fds and no symlink of it is ever followed. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fileio.h"
#include "storage-internal.h"
#include "time-util.h"

#define XATTR_LIST_MAX_BYTES (64 * 1024)
#define XATTR_VALUE_MAX_BYTES (64 * 1024)
#define COPY_CHUNK (1024 * 1024)

typedef struct Inode {
        dev_t dev;
        ino_t ino;
        char *path; /* of the first copy, relative to the destination root */
} Inode;

typedef struct Copy {
        const CopyOptions *o;
        int src_root;        /* for the size of the whole source, once a copy runs long */
        uint64_t started_usec;
        uint64_t blocks;     /* bytes allocated by the source's inodes copied, each once */
        uid_t uid;           /* what new entries get: ours */
        gid_t gid;
        mode_t umask;
        BerthError **reterr;
        int dst_root;        /* fd of the destination root, for hard links */
        char path[PATH_MAX]; /* of the entry being copied, relative to the root */
        Inode *inodes;       /* files with more than one link, seen so far */
        size_t n_inodes, n_alloc;
        uint64_t total, done, last_report_usec;
        int reflink_state;   /* 0 unknown, 1 works, -1 does not */
} Copy;

static void copy_done(Copy *c)
{
        for (size_t i = 0; i < c->n_inodes; i++)
                free(c->inodes[i].path);
        free(c->inodes);
}

static int copy_error(Copy *c, int r, const char *what)
{
        return berth_error_set(c->reterr, r, "%s '%s'", what, *c->path ? c->path : ".");
}

static uint64_t tree_bytes(int dfd, const char *name, bool blocks, dev_t dev, int depth);

/* Progress: only a copy that runs for a second is worth a bar, so only then is the source's
 * total size counted (a walk of its own). */
static void report(Copy *c, bool force)
{
        if (!c->o->progress)
                return;
        uint64_t now = now_usec();
        if (c->total == 0) {
                struct stat st;
                if (force || now - c->started_usec < USEC_PER_SEC || fstat(c->src_root, &st) < 0)
                        return;
                c->total = tree_bytes(c->src_root, ".", false, st.st_dev, 0) ?: 1;
        }
        if (!force && now - c->last_report_usec < 100 * USEC_PER_MSEC)
                return;
        c->last_report_usec = now;
        double f = (double)c->done / (double)c->total;
        c->o->progress(c->o->what ? c->o->what : "copying", f > 1.0 ? 1.0 : f, c->o->userdata);
}

/* ---- attributes ------------------------------------------------------------------------------ */

/* Copies every xattr. fd-based for files and directories; path-based (l*xattr, not following)
 * for the rest, through /proc/self/fd/<dirfd>/<name>. */
static int copy_xattrs(Copy *c, int sfd, const char *spath, int dfd, const char *dpath)
{
        char list[XATTR_LIST_MAX_BYTES];
        ssize_t n = sfd >= 0 ? flistxattr(sfd, list, sizeof(list))
                             : llistxattr(spath, list, sizeof(list));
        if (n < 0)
                return errno == ENOTSUP ? 0 : copy_error(c, -errno, "list xattrs of");
        _cleanup_free_ char *value = xmalloc(XATTR_VALUE_MAX_BYTES);
        for (char *k = list; k < list + n; k += strlen(k) + 1) {
                ssize_t v = sfd >= 0 ? fgetxattr(sfd, k, value, XATTR_VALUE_MAX_BYTES)
                                     : lgetxattr(spath, k, value, XATTR_VALUE_MAX_BYTES);
                if (v < 0) {
                        if (errno == ENODATA)
                                continue;
                        return copy_error(c, -errno, "read xattr of");
                }
                int r = dfd >= 0 ? fsetxattr(dfd, k, value, v, 0)
                                 : lsetxattr(dpath, k, value, v, 0);
                if (r < 0) {
                        if (errno == ENOSPC || errno == EDQUOT || errno == EIO)
                                return copy_error(c, -errno, "write xattr of");
                        /* A namespace the destination cannot store (a user.* xattr on a
                         * filesystem without them) is not worth failing the copy for. */
                        if (errno == ENOTSUP || errno == EPERM)
                                continue;
                        return copy_error(c, -errno, "write xattr of");
                }
        }
        return 0;
}

/* Owner first (it clears set-id bits and security.capability), then mode, then xattrs, then
 * times. */
/* created_mode: the mode the copy was created with (after the umask). The owner and mode are
 * set only when they differ from what the copy got, which is most files of a tree owned by
 * root: two system calls saved per file. */
static int copy_attrs(Copy *c, const struct stat *st, int sfd, int sdir, const char *name,
                      int dfd, int ddir, mode_t created_mode)
{
        bool by_fd = sfd >= 0 && dfd >= 0;
        /* New entries get our ids: no directory of the copy is setgid while it is filled. */
        if ((st->st_uid != c->uid || st->st_gid != c->gid) &&
            (by_fd ? fchown(dfd, st->st_uid, st->st_gid)
                   : fchownat(ddir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW)))
                return copy_error(c, -errno, "set owner of");
        if (!S_ISLNK(st->st_mode) && (st->st_mode & 07777) != created_mode &&
            (by_fd ? fchmod(dfd, st->st_mode & 07777) : fchmodat(ddir, name, st->st_mode & 07777, 0)))
                return copy_error(c, -errno, "set mode of");
        _cleanup_free_ char *sp = by_fd ? NULL : fd_path(sdir, name);
        _cleanup_free_ char *dp = by_fd ? NULL : fd_path(ddir, name);
        int r = copy_xattrs(c, by_fd ? sfd : -1, sp, by_fd ? dfd : -1, dp);
        if (r < 0)
                return r;
        struct timespec ts[2] = {st->st_atim, st->st_mtim};
        if (by_fd ? futimens(dfd, ts) : utimensat(ddir, name, ts, AT_SYMLINK_NOFOLLOW))
                return copy_error(c, -errno, "set times of");
        return 0;
}

/* ---- file data ------------------------------------------------------------------------------- */

static int copy_range(int sfd, int dfd, off_t off, off_t end)
{
        bool use_cfr = true;
        _cleanup_free_ char *buf = NULL;
        while (off < end) {
                size_t want = (size_t)MIN((off_t)COPY_CHUNK * 16, end - off);
                if (use_cfr) {
                        loff_t in = off, out = off;
                        ssize_t k = copy_file_range(sfd, &in, dfd, &out, want, 0);
                        if (k > 0) {
                                off += k;
                                continue;
                        }
                        if (k == 0)
                                return -EIO; /* the file shrank under us */
                        if (errno != EXDEV && errno != EINVAL && errno != EOPNOTSUPP &&
                            errno != ENOSYS && errno != EBADF)
                                return -errno;
                        use_cfr = false;
                }
                if (!buf)
                        buf = xmalloc(COPY_CHUNK);
                ssize_t k = pread(sfd, buf, MIN(want, (size_t)COPY_CHUNK), off);
                if (k < 0)
                        return -errno;
                if (k == 0)
                        return -EIO;
                for (ssize_t w = 0; w < k;) {
                        ssize_t x = pwrite(dfd, buf + w, k - w, off + w);
                        if (x < 0)
                                return -errno;
                        w += x;
                }
                off += k;
        }
        return 0;
}

/* Data ranges only, so holes stay holes; the size is set at the end for a trailing hole. */
static int copy_sparse(int sfd, int dfd, off_t size)
{
        off_t off = 0;
        while (off < size) {
                off_t data = lseek(sfd, off, SEEK_DATA);
                if (data < 0) {
                        if (errno == ENXIO)
                                break; /* only a hole is left */
                        if (errno == EINVAL || errno == EOPNOTSUPP) /* no SEEK_DATA here */
                                return copy_range(sfd, dfd, off, size);
                        return -errno;
                }
                off_t hole = lseek(sfd, data, SEEK_HOLE);
                if (hole < 0)
                        return -errno;
                if (hole > size)
                        hole = size;
                int r = copy_range(sfd, dfd, data, hole);
                if (r < 0)
                        return r;
                off = hole;
        }
        return ftruncate(dfd, size) < 0 ? -errno : 0;
}

static int copy_data(Copy *c, int sfd, int dfd, const struct stat *st)
{
        if (c->reflink_state >= 0) {
                if (ioctl(dfd, FICLONE, sfd) >= 0) {
                        c->reflink_state = 1;
                        return 0;
                }
                if (errno == ENOSPC || errno == EDQUOT)
                        return copy_error(c, -errno, "copy");
                if (errno != EOPNOTSUPP && errno != EXDEV && errno != EINVAL && errno != ENOTTY &&
                    errno != ENOSYS && errno != EPERM)
                        return copy_error(c, -errno, "reflink");
                /* An empty file clones to nothing anywhere; only a real refusal counts. */
                if (st->st_size > 0)
                        c->reflink_state = -1;
        }
        if (c->o->reflink_only && st->st_size > 0)
                return berth_error_setf(c->reterr, EOPNOTSUPP,
                                        "copy '%s': the filesystem cannot share file data "
                                        "(no reflinks)",
                                        c->path);
        /* Only a file with fewer blocks than bytes can have holes worth looking for. */
        int r = (uint64_t)st->st_blocks * 512 < (uint64_t)st->st_size
                        ? copy_sparse(sfd, dfd, st->st_size)
                        : copy_range(sfd, dfd, 0, st->st_size);
        if (r < 0)
                return copy_error(c, r, "copy");
        return 0;
}

/* ---- the walk -------------------------------------------------------------------------------- */

static Inode *inode_find(Copy *c, const struct stat *st)
{
        for (size_t i = c->n_inodes; i > 0; i--)
                if (c->inodes[i - 1].ino == st->st_ino && c->inodes[i - 1].dev == st->st_dev)
                        return &c->inodes[i - 1];
        return NULL;
}

static void inode_add(Copy *c, const struct stat *st)
{
        if (c->n_inodes == c->n_alloc) {
                c->n_alloc = c->n_alloc ? c->n_alloc * 2 : 64;
                c->inodes = xrealloc(c->inodes, c->n_alloc * sizeof(Inode));
        }
        c->inodes[c->n_inodes++] = (Inode){st->st_dev, st->st_ino, xstrdup(c->path)};
}

static int copy_entry(Copy *c, int sdir, int ddir, const char *name, const struct stat *st);

static int copy_children(Copy *c, int sfd, int dfd)
{
        int fd = dup(sfd);
        if (fd < 0)
                return copy_error(c, -errno, "read directory");
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return copy_error(c, -errno, "read directory");
        }
        int r = 0;
        struct dirent *de;
        size_t base = strlen(c->path);
        errno = 0;
        while (r >= 0 && (de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                size_t len = strlen(de->d_name);
                if (base + len + 2 >= sizeof(c->path)) {
                        r = berth_error_setf(c->reterr, ENAMETOOLONG, "copy '%s/%s': path too long",
                                             c->path, de->d_name);
                        break;
                }
                if (base)
                        c->path[base] = '/';
                memcpy(c->path + base + (base ? 1 : 0), de->d_name, len + 1);
                struct stat st;
                if (fstatat(sfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        r = copy_error(c, -errno, "stat");
                else
                        r = copy_entry(c, sfd, dfd, de->d_name, &st);
                c->path[base] = 0;
                errno = 0;
        }
        if (r >= 0 && errno != 0)
                r = copy_error(c, -errno, "read directory");
        closedir(d);
        return r;
}

static int copy_dir(Copy *c, int sdir, int ddir, const char *name, const struct stat *st,
                    bool exists)
{
        _cleanup_close_ int sfd =
                openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);
        if (sfd < 0)
                return copy_error(c, -errno, "open");
        if (!exists && mkdirat(ddir, name, 0700) < 0)
                return copy_error(c, -errno, "create directory");
        _cleanup_close_ int dfd = openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
                return copy_error(c, -errno, "open copy of");
        int r = copy_children(c, sfd, dfd);
        if (r < 0)
                return r;
        /* Attributes last: a read-only source directory is still filled first, and the times
         * are not touched by the entries created in it. */
        return copy_attrs(c, st, sfd, sdir, name, dfd, ddir, exists ? (mode_t)-1 : 0700 & ~c->umask);
}

static int copy_file(Copy *c, int sdir, int ddir, const char *name, const struct stat *st)
{
        _cleanup_close_ int sfd = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);
        if (sfd < 0)
                return copy_error(c, -errno, "open");
        /* Created with its final permission bits (set-id bits follow the owner), so the mode
         * rarely needs setting again. */
        mode_t mode = st->st_mode & 0777;
        _cleanup_close_ int dfd =
                openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (dfd < 0)
                return copy_error(c, -errno, "create");
        int r = copy_data(c, sfd, dfd, st);
        if (r < 0)
                return r;
        c->done += st->st_size;
        report(c, false);
        return copy_attrs(c, st, sfd, sdir, name, dfd, ddir, mode & ~c->umask);
}

static int copy_special(Copy *c, int sdir, int ddir, const char *name, const struct stat *st)
{
        if (S_ISLNK(st->st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlinkat(sdir, name, target, sizeof(target) - 1);
                if (n < 0)
                        return copy_error(c, -errno, "read link");
                target[n] = 0;
                if (symlinkat(target, ddir, name) < 0)
                        return copy_error(c, -errno, "create link");
        } else if (mknodat(ddir, name, st->st_mode & (S_IFMT | 0600), st->st_rdev) < 0)
                return copy_error(c, -errno, "create node");
        return copy_attrs(c, st, -1, sdir, name, -1, ddir,
                          S_ISLNK(st->st_mode) ? (mode_t)-1 : 0600 & ~c->umask);
}

static int copy_entry(Copy *c, int sdir, int ddir, const char *name, const struct stat *st)
{
        c->blocks += (uint64_t)st->st_blocks * 512;
        if (S_ISDIR(st->st_mode))
                return copy_dir(c, sdir, ddir, name, st, false);
        if (st->st_nlink > 1) {
                Inode *i = inode_find(c, st);
                if (i) {
                        c->blocks -= (uint64_t)st->st_blocks * 512; /* counted once */
                        if (linkat(c->dst_root, i->path, ddir, name, 0) < 0)
                                return copy_error(c, -errno, "link");
                        return 0;
                }
                inode_add(c, st);
        }
        if (S_ISREG(st->st_mode))
                return copy_file(c, sdir, ddir, name, st);
        return copy_special(c, sdir, ddir, name, st);
}

static uint64_t tree_bytes(int dfd, const char *name, bool blocks, dev_t dev, int depth)
{
        struct stat st;
        if (depth > 256 || fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev)
                return 0;
        uint64_t sum = blocks ? (uint64_t)st.st_blocks * 512
                            : (S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0);
        if (!S_ISDIR(st.st_mode))
                return st.st_nlink > 1 ? sum / st.st_nlink : sum; /* each inode once, roughly */
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return sum;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return sum;
        }
        struct dirent *de;
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        sum += tree_bytes(dirfd(d), de->d_name, blocks, dev, depth + 1);
        closedir(d);
        return sum;
}

uint64_t tree_disk_usage(int dfd, const char *name)
{
        struct stat st;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return UINT64_MAX;
        return tree_bytes(dfd, name, true, st.st_dev, 0);
}

bool dir_is_empty_at(int dfd, const char *name)
{
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return false;
        }
        struct dirent *de;
        bool empty = true;
        while (empty && (de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        empty = false;
        closedir(d);
        return empty;
}

int copy_tree(int src_dfd, const char *src, int dst_dfd, const char *dst, const CopyOptions *o,
              BerthError **reterr)
{
        Copy c = {.o = o, .reterr = reterr, .dst_root = -EBADF};
        struct stat st;
        if (fstatat(src_dfd, src, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return berth_error_set(reterr, errno, "copy '%s'", src);
        if (!S_ISDIR(st.st_mode))
                return berth_error_setf(reterr, ENOTDIR, "copy '%s': not a directory", src);
        c.started_usec = now_usec();
        c.uid = geteuid();
        c.gid = getegid();
        c.umask = umask(0022);
        umask(c.umask);
        if (!o->merge && mkdirat(dst_dfd, dst, 0700) < 0)
                return berth_error_set(reterr, errno, "copy into '%s'", dst);
        c.dst_root = openat(dst_dfd, dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (c.dst_root < 0)
                return berth_error_set(reterr, errno, "copy into '%s'", dst);
        /* The root's own entries are copied relative to dst_root; its attributes at the end. */
        _cleanup_close_ int sfd =
                openat(src_dfd, src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        c.src_root = sfd;
        int r = sfd < 0 ? berth_error_set(reterr, errno, "copy '%s'", src)
                        : copy_children(&c, sfd, c.dst_root);
        if (r >= 0)
                r = copy_attrs(&c, &st, sfd, src_dfd, src, c.dst_root, dst_dfd, (mode_t)-1);
        if (r >= 0) {
                c.done = c.total;
                if (c.total)
                        report(&c, true);
        }
        safe_close(c.dst_root);
        copy_done(&c);
        if (r >= 0 && o->ret_bytes)
                *o->ret_bytes = c.blocks + (uint64_t)st.st_blocks * 512;
        return r;
}
