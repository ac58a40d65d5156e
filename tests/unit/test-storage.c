/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The storage backends in temporary directories: the tree copier against a tree with every kind
 * of file and attribute, overlay layer sharing and reference counting in any order, btrfs
 * subvolumes (when BERTH_TEST_BTRFS names a directory on btrfs, as tests/integration/storage.sh
 * does with a loop image), and the start seam (root only: in a private mount namespace, with
 * and without an idmap, with an ephemeral layer). */
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "security/security.h"
#include "tap.h"

#include "fileio.h"
#include "path-util.h"
#include "storage/storage-internal.h"
#include "storage/storage.h"

static bool is_root;

/* A setup step that must work for the test to mean anything. */
#define MUST(x) ok((x) >= 0, "setup: %s", #x)

static void write_at(int dfd, const char *name, const char *text)
{
        int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || loop_write(fd, text, strlen(text)) < 0)
                printf("# write '%s' failed: %m\n", name);
        safe_close(fd);
}

static char *read_at(int dfd, const char *name)
{
        char *t = NULL;
        if (read_full_file_at(dfd, name, 16 << 20, &t, NULL) < 0)
                return NULL;
        return t;
}

/* A tree with one of everything the copier must keep. */
static void make_tree(int dfd, const char *name)
{
        if (mkdirat(dfd, name, 0755) < 0)
                return;
        int t = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        write_at(t, "plain", "hello\n");
        MUST(mkdirat(t, "etc", 0755));
        write_at(t, "etc/hostname", "src\n");
        write_at(t, "etc/machine-id", "0123456789abcdef0123456789abcdef\n");
        MUST(mkdirat(t, "dir", 02750));
        MUST(fchmodat(t, "dir", 02750, 0));
        write_at(t, "dir/setuid", "x");
        MUST(fchmodat(t, "dir/setuid", 04755, 0));
        MUST(linkat(t, "plain", t, "dir/hardlink", 0));
        MUST(symlinkat("/etc/passwd", t, "abs-link")); /* never followed */
        MUST(symlinkat("../plain", t, "dir/rel-link"));
        MUST(mkfifoat(t, "fifo", 0640));
        /* sparse: 4 MiB hole, then data, then a trailing hole */
        int fd = openat(t, "sparse", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0) {
                MUST(pwrite(fd, "data", 4, 4 << 20));
                MUST(ftruncate(fd, 8 << 20));
                close(fd);
        }
        fd = openat(t, "plain", O_RDONLY | O_CLOEXEC);
        MUST(fsetxattr(fd, "user.berth", "value", 5, 0));
        safe_close(fd);
        if (is_root) {
                MUST(mknodat(t, "null", S_IFCHR | 0666, makedev(1, 3)));
                MUST(fchownat(t, "plain", 1234, 5678, 0));
                MUST(fchownat(t, "abs-link", 4321, 8765, AT_SYMLINK_NOFOLLOW));
                fd = openat(t, "dir/setuid", O_RDONLY | O_CLOEXEC);
                /* cap_net_raw+ep, VFS_CAP_REVISION_2 */
                static const uint8_t cap[20] = {0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00,
                                                0x00, 0x20, 0x00, 0x00};
                MUST(fsetxattr(fd, "security.capability", cap, sizeof(cap), 0));
                MUST(fsetxattr(fd, "trusted.berth", "t", 1, 0));
                safe_close(fd);
                /* a socket node */
                int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                struct sockaddr_un sa = {.sun_family = AF_UNIX};
                _cleanup_free_ char *p = fd_path(t, "sock");
                char real[PATH_MAX];
                _cleanup_free_ char *dirp = fd_path(t, ".");
                if (realpath(dirp, real) && strlen(real) + 6 < sizeof(sa.sun_path)) {
                        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sock", real);
                        MUST(bind(s, (struct sockaddr *)&sa, sizeof(sa)));
                }
                safe_close(s);
        }
        close(t);
}

static bool xattrs_equal(int a, int b, const char *name)
{
        char la[4096], lb[4096];
        _cleanup_free_ char *pa = fd_path(a, name), *pb = fd_path(b, name);
        ssize_t na = llistxattr(pa, la, sizeof(la)), nb = llistxattr(pb, lb, sizeof(lb));
        if (na != nb)
                return false;
        for (char *k = la; k < la + na; k += strlen(k) + 1) {
                char va[256], vb[256];
                ssize_t x = lgetxattr(pa, k, va, sizeof(va)), y = lgetxattr(pb, k, vb, sizeof(vb));
                if (x != y || (x > 0 && memcmp(va, vb, x) != 0))
                        return false;
        }
        return true;
}

/* Compares the trees entry by entry; prints the first difference. */
static bool trees_equal(int a, int b, const char *path)
{
        _cleanup_close_ int da = openat(a, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int db = openat(b, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (da < 0 || db < 0)
                return false;
        DIR *d = fdopendir(dup(da));
        bool same = true;
        struct dirent *de;
        size_t n_a = 0;
        while (same && d && (de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                n_a++;
                struct stat sa, sb;
                if (fstatat(db, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
                    fstatat(da, de->d_name, &sa, AT_SYMLINK_NOFOLLOW) < 0) {
                        printf("# missing '%s/%s'\n", path, de->d_name);
                        same = false;
                        break;
                }
                if (sa.st_mode != sb.st_mode || sa.st_uid != sb.st_uid || sa.st_gid != sb.st_gid ||
                    sa.st_nlink != sb.st_nlink || sa.st_rdev != sb.st_rdev ||
                    (!S_ISDIR(sa.st_mode) && sa.st_size != sb.st_size) ||
                    (!S_ISDIR(sa.st_mode) && sa.st_mtim.tv_sec != sb.st_mtim.tv_sec) ||
                    (S_ISREG(sa.st_mode) && sb.st_blocks > sa.st_blocks + 8)) {
                        printf("# differs: '%s/%s'\n", path, de->d_name);
                        same = false;
                } else if (!xattrs_equal(da, db, de->d_name)) {
                        printf("# xattrs differ: '%s/%s'\n", path, de->d_name);
                        same = false;
                } else if (S_ISREG(sa.st_mode)) {
                        _cleanup_free_ char *ta = read_at(da, de->d_name);
                        _cleanup_free_ char *tb = read_at(db, de->d_name);
                        same = ta && tb && streq(ta, tb);
                } else if (S_ISLNK(sa.st_mode)) {
                        char la[PATH_MAX] = "", lb[PATH_MAX] = "";
                        same = readlinkat(da, de->d_name, la, sizeof(la) - 1) > 0 &&
                               readlinkat(db, de->d_name, lb, sizeof(lb) - 1) > 0 && streq(la, lb);
                } else if (S_ISDIR(sa.st_mode)) {
                        _cleanup_free_ char *sub = path_join(path, de->d_name);
                        same = trees_equal(a, b, sub);
                }
        }
        if (d)
                closedir(d);
        /* and b has nothing more */
        size_t n_b = 0;
        d = fdopendir(dup(db));
        while (d && (de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        n_b++;
        if (d)
                closedir(d);
        return same && n_a == n_b;
}

static size_t count_entries(int dfd, const char *name)
{
        _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(dup(fd)) : NULL;
        size_t n = 0;
        struct dirent *de;
        while (d && (de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        if (d)
                closedir(d);
        return n;
}

static void test_copy(int root)
{
        make_tree(root, "src");
        _cleanup_(storage_freep) Storage *s = NULL;
        BerthError *err = NULL;
        _cleanup_free_ char *rp = fd_path(root, ".");
        char real[PATH_MAX];
        ok(realpath(rp, real) != NULL, "resolve root");
        is_int(storage_new(BERTH_BACKEND_DIR, real, &s, &err), 0, "dir backend");
        is_int(storage_copy(s, root, "src", root, "copy", 0, &err), 0, "dir copy");
        ok(trees_equal(root, root, "src") && trees_equal(root, root, "copy") == trees_equal(root, root, "copy"),
           "tree compares with itself");
        _cleanup_close_ int a = openat(root, "src", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int b = openat(root, "copy", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ok(trees_equal(a, b, "."), "the copy equals the source (modes, owners, xattrs, links, holes)");
        struct stat st;
        ok(fstatat(b, "sparse", &st, 0) == 0 && st.st_size == 8 << 20 && st.st_blocks < 64,
           "the sparse file stays sparse (%lld blocks)", (long long)st.st_blocks);
        ok(fstatat(b, "dir/hardlink", &st, 0) == 0 && st.st_nlink == 2, "hard link kept");
        ok(fstatat(b, "abs-link", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode),
           "an absolute symlink is copied as a link");
        if (is_root) {
                ok(fstatat(b, "null", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISCHR(st.st_mode) &&
                           st.st_rdev == makedev(1, 3),
                   "device node kept");
                ok(fstatat(b, "sock", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISSOCK(st.st_mode),
                   "socket kept");
                char v[32];
                _cleanup_free_ char *p = fd_path(b, "dir/setuid");
                ok(getxattr(p, "security.capability", v, sizeof(v)) == 20, "file capability kept");
                ok(stat(p, &st) == 0 && (st.st_mode & 07777) == 04755, "setuid bit kept");
        }
        is_int(storage_copy(s, root, "src", root, "copy", 0, &err), -EEXIST,
               "copy onto an existing name fails");
        like(err ? err->message : NULL, "copy into 'copy'", "message names the target");
        err = berth_error_free(err);
        is_int(storage_copy(s, root, "missing", root, "x", 0, &err), -ENOENT, "copy of nothing");
        err = berth_error_free(err);

        ok(storage_size(s, root, "copy") > 4096, "size of the copy");
        is_int(storage_rewrite_file(s, root, "copy", "etc/hostname", "src", "dst\n", &err), 1,
               "rewrite /etc/hostname holding the old name");
        _cleanup_free_ char *h = read_at(b, "etc/hostname");
        is_str(h, "dst\n", "hostname rewritten");
        is_int(storage_rewrite_file(s, root, "copy", "etc/hostname", "src", "x\n", &err), 0,
               "no rewrite when the content differs");
        is_int(storage_rewrite_file(s, root, "copy", "abs-link/x", NULL, "x\n", &err), 0,
               "no rewrite through a symlink");
        is_int(storage_remove(real, root, "copy", &err), 0, "remove the copy");
        ok(faccessat(root, "copy", F_OK, AT_SYMLINK_NOFOLLOW) < 0, "copy gone");
        is_int(storage_remove(real, root, "copy", &err), 0, "removing nothing is fine");
}

static size_t n_layers(int root)
{
        return count_entries(root, ".layers");
}

static void test_overlay(int root)
{
        _cleanup_free_ char *rp = fd_path(root, ".");
        char real[PATH_MAX];
        if (!realpath(rp, real))
                return;
        _cleanup_(storage_freep) Storage *s = NULL;
        BerthError *err = NULL;
        is_int(storage_new(BERTH_BACKEND_OVERLAY, real, &s, &err), 0, "overlay backend");
        _cleanup_free_ char *tree = NULL;
        is_int(storage_create(s, root, "vol", &tree, &err), 0, "create overlay volume");
        ok(tree && strstr(tree, "/.layers/") && strstr(tree, "/tree"), "tree in the layer store");
        _cleanup_close_ int t = tree ? open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -EBADF;
        write_at(t, "a", "one\n");
        is_int((int)n_layers(root), 1, "one layer");

        /* Whiteouts and opaque directories are what an upper holds besides files. */
        if (is_root) {
                MUST(mknodat(t, "gone", S_IFCHR | 0000, makedev(0, 0)));
                MUST(mkdirat(t, "opaque", 0755));
                _cleanup_free_ char *op = fd_path(t, "opaque");
                MUST(setxattr(op, "trusted.overlay.opaque", "y", 1, 0));
        }
        is_int(storage_copy(s, root, "vol", root, "snap1", STORAGE_COPY_SNAPSHOT, &err), 0,
               "snapshot");
        is_int((int)n_layers(root), 2, "the snapshot copied the upper into a layer");
        if (is_root) {
                _cleanup_close_ int v = openat(root, "snap1", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                _cleanup_free_ char *l = read_at(v, "layers");
                char id[17] = "";
                if (l && strncmp(l, "ro ", 3) == 0)
                        memcpy(id, l + 3, 16);
                _cleanup_free_ char *lt = xasprintf(".layers/%s/tree", id);
                _cleanup_close_ int lfd = openat(root, lt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                struct stat wst;
                ok(lfd >= 0 && fstatat(lfd, "gone", &wst, AT_SYMLINK_NOFOLLOW) == 0 &&
                           S_ISCHR(wst.st_mode) && wst.st_rdev == makedev(0, 0),
                   "a whiteout survives the snapshot");
                char v1[4] = "";
                _cleanup_free_ char *op = lfd >= 0 ? fd_path(lfd, "opaque") : NULL;
                ok(op && getxattr(op, "trusted.overlay.opaque", v1, sizeof(v1)) == 1 && v1[0] == 'y',
                   "an opaque directory survives the snapshot");
        }
        write_at(t, "a", "two\n");
        is_int(storage_copy(s, root, "snap1", root, "snap2", STORAGE_COPY_SNAPSHOT, &err), 0,
               "snapshot of a snapshot shares its layers");
        is_int((int)n_layers(root), 2, "no new layer for it");
        is_int(storage_copy(s, root, "snap1", root, "clone", 0, &err), 0, "clone of a snapshot");
        is_int((int)n_layers(root), 3, "the clone has its own upper");
        _cleanup_free_ char *ctree = NULL;
        is_int(storage_tree_path(s, root, "clone", &ctree, &err), 0, "clone's tree");
        ok(ctree && dir_is_empty_at(AT_FDCWD, ctree), "clone's upper is empty");
        is_int(storage_tree_path(s, root, "snap1", &ctree, &err), -EROFS, "a snapshot has no upper");
        err = berth_error_free(err);
        is_int(storage_rewrite_file(s, root, "clone", "a", "one", "three\n", &err), 1,
               "rewrite through the layers into the upper");
        free(ctree);
        ctree = NULL;
        is_int(storage_tree_path(s, root, "clone", &ctree, &err), 0, "clone's tree again");
        _cleanup_free_ char *ca = ctree ? path_join(ctree, "a") : NULL;
        _cleanup_free_ char *ct = ca ? read_at(AT_FDCWD, ca) : NULL;
        is_str(ct, "three\n", "the upper holds the rewritten file");

        /* Delete in an order different from creation: the shared layer survives its first
         * owner. */
        is_int(storage_remove(real, root, "snap1", &err), 0, "remove snap1");
        is_int((int)n_layers(root), 3, "its layer is still used by snap2 and the clone");
        is_int(storage_remove(real, root, "vol", &err), 0, "remove the original");
        is_int((int)n_layers(root), 2, "its upper went with it");
        is_int(storage_remove(real, root, "clone", &err), 0, "remove the clone");
        is_int((int)n_layers(root), 1, "only snap2's layer is left");
        is_int(storage_remove(real, root, "snap2", &err), 0, "remove snap2");
        is_int((int)n_layers(root), 0, "no layer is left");

        /* A leftover of an interrupted copy (a listed layer never made) removes cleanly. */
        is_int(storage_create(s, root, "v2", NULL, &err), 0, "create another volume");
        _cleanup_close_ int vfd = openat(root, "v2", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char text[128];
        _cleanup_free_ char *layers = read_at(vfd, "layers");
        snprintf(text, sizeof(text), "%sro 0000000000000000\n", layers ? layers : "");
        write_at(vfd, "layers", text);
        is_int(storage_remove(real, root, "v2", &err), 0, "remove a volume listing a missing layer");
        is_int((int)n_layers(root), 0, "nothing left");
        if (err)
                printf("# %s\n", err->message);
        berth_error_free(err);
}

static void test_btrfs(void)
{
        const char *dir = getenv("BERTH_TEST_BTRFS");
        if (!dir || !is_root) {
                ok(true, "# SKIP btrfs: set BERTH_TEST_BTRFS to a directory on btrfs (root)");
                return;
        }
        _cleanup_(storage_freep) Storage *s = NULL;
        BerthError *err = NULL;
        is_int(storage_new(BERTH_BACKEND_BTRFS, dir, &s, &err), 0, "btrfs backend");
        _cleanup_close_ int root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        is_int(storage_check(s, root, &err), 0, "the directory is on btrfs");
        _cleanup_free_ char *tree = NULL;
        is_int(storage_create(s, root, "sub", &tree, &err), 0, "create subvolume");
        struct stat st;
        ok(fstatat(root, "sub", &st, 0) == 0 && st.st_ino == 256, "it is a subvolume");
        _cleanup_close_ int t = openat(root, "sub", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        write_at(t, "f", "x\n");
        is_int(storage_copy(s, root, "sub", root, "snap", STORAGE_COPY_SNAPSHOT, &err), 0,
               "snapshot");
        ok(fstatat(root, "snap", &st, 0) == 0 && st.st_ino == 256, "the snapshot is a subvolume");
        _cleanup_close_ int sn = openat(root, "snap", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ok(openat(sn, "g", O_WRONLY | O_CREAT | O_CLOEXEC, 0644) < 0 && errno == EROFS,
           "the snapshot is read-only");
        is_int(storage_copy(s, root, "snap", root, "clone", 0, &err), 0, "clone the snapshot");
        _cleanup_close_ int cl = openat(root, "clone", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        write_at(cl, "g", "y\n");
        _cleanup_free_ char *g = read_at(cl, "g");
        is_str(g, "y\n", "the clone is writable");
        /* A nested subvolume, as a guest's systemd makes. */
        (void)storage_create(s, cl, "nested", NULL, &err);
        is_int(storage_remove(dir, root, "clone", &err), 0, "remove a clone holding a nested subvolume");
        is_int(storage_remove(dir, root, "snap", &err), 0, "remove the read-only snapshot");
        is_int(storage_remove(dir, root, "sub", &err), 0, "remove the subvolume");
        ok(count_entries(root, ".") == 0, "nothing left");
        /* dir backend on btrfs: reflinks */
        _cleanup_(storage_freep) Storage *d = NULL;
        is_int(storage_new(BERTH_BACKEND_DIR, dir, &d, &err), 0, "dir backend on btrfs");
        make_tree(root, "tree");
        is_int(storage_copy(d, root, "tree", root, "cow", STORAGE_COPY_COW, &err), 0,
               "a copy-on-write dir copy works on btrfs");
        (void)storage_remove(dir, root, "tree", NULL);
        (void)storage_remove(dir, root, "cow", NULL);
        if (err)
                printf("# %s\n", err->message);
        berth_error_free(err);
}

/* ---- the start seam (root) ------------------------------------------------------------------- */

/* A user namespace with container 0 = host 100000, held open by a sleeping child. */
static int make_userns(pid_t *ret_pid)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid_t pid = fork();
        if (pid == 0) {
                if (unshare(CLONE_NEWUSER) < 0)
                        _exit(1);
                char c;
                close(p[1]);
                if (read(p[0], &c, 1) < 0)
                        _exit(1);
                _exit(0);
        }
        close(p[0]);
        usleep(50000);
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
        write_string_file_at(AT_FDCWD, path, "0 100000 65536\n");
        snprintf(path, sizeof(path), "/proc/%d/gid_map", pid);
        write_string_file_at(AT_FDCWD, path, "0 100000 65536\n");
        snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        *ret_pid = pid;
        close(p[1]); /* the child waits for EOF, which comes when we exit */
        return fd;
}

/* File ids of uid (and gid uid), keeping the right to reach into root's directories. */
static int act_as(uid_t uid)
{
        (void)setfsgid(uid);
        (void)setfsuid(uid);
        return uid != 0 ? caps_raise_dac(true, NULL) : 0;
}

/* Runs in a child with its own mount namespace; exit status = number of failures. With a user
 * namespace it acts as the monitor's tree builder does: container root's ids as fsuid and
 * fsgid, with the right to reach into the store. */
static int seam_child(const char *store, int userns)
{
        int fails = 0;
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return 100;
        if (userns >= 0 && act_as(100000) < 0)
                return 101;
        for (int b = 0; b < 2; b++) {
                BerthConfig *c = config_new();
                c->rootfs_backend = b ? BERTH_BACKEND_OVERLAY : BERTH_BACKEND_DIR;
                _cleanup_free_ char *cdir = xasprintf("%s/ct%d", store, b);
                int fd = -EBADF;
                BerthError *err = NULL;
                int r = storage_rootfs_open(cdir, c, userns, NULL, &fd, &err);
                if (r < 0) {
                        printf("# rootfs open (%s): %s\n", b ? "overlay" : "dir", err->message);
                        fails++;
                }
                struct stat st;
                if (r >= 0 && (fstatat(fd, "plain", &st, 0) < 0 ||
                               st.st_uid != (userns >= 0 ? 100000U + 1234 : 1234))) {
                        printf("# owner seen through the tree (%s): %u\n", b ? "overlay" : "dir",
                               st.st_uid);
                        fails++;
                }
                safe_close(fd);
                err = berth_error_free(err);

                /* ephemeral: writes land in the throw-away layer only */
                /* Made by the monitor, which is host root. */
                _cleanup_free_ char *eph = NULL;
                (void)act_as(0);
                r = storage_ephemeral_new(cdir, &eph, &err);
                if (userns >= 0 && act_as(100000) < 0)
                        fails++;
                if (r < 0) {
                        fails++;
                        continue;
                }
                r = storage_rootfs_open(cdir, c, userns, eph, &fd, &err);
                if (r < 0) {
                        printf("# ephemeral open (%s): %s\n", b ? "overlay" : "dir", err->message);
                        fails++;
                } else {
                        int w = openat(fd, "new-file", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
                        _cleanup_free_ char *up = path_join(eph, "upper/new-file");
                        struct stat ust;
                        if (w < 0 || stat(up, &ust) < 0) {
                                printf("# ephemeral write did not land in the layer (%s)\n",
                                       b ? "overlay" : "dir");
                                fails++;
                        } else if (ust.st_uid != 0) {
                                /* Root's on disk: container root's through the idmapped upper. */
                                printf("# ephemeral file owned by %u on disk\n", ust.st_uid);
                                fails++;
                        }
                        safe_close(w);
                        _cleanup_free_ char *orig = xasprintf("%s/rootfs/new-file", cdir);
                        if (access(orig, F_OK) >= 0) {
                                printf("# ephemeral write reached the rootfs\n");
                                fails++;
                        }
                }
                safe_close(fd);
                err = berth_error_free(err);
                if (storage_ephemeral_release(eph, NULL) < 0 || access(eph, F_OK) >= 0)
                        fails++;
                config_free(c);
        }
        return fails;
}

static void test_seam(int root)
{
        if (!is_root) {
                ok(true, "# SKIP start seam: needs root");
                return;
        }
        _cleanup_free_ char *rp = fd_path(root, ".");
        char real[PATH_MAX];
        if (!realpath(rp, real))
                return;
        BerthError *err = NULL;
        /* ct0: dir, ct1: overlay with a lower (a snapshot restored) */
        (void)mkdirat(root, "ct0", 0700);
        (void)mkdirat(root, "ct1", 0700);
        _cleanup_close_ int c0 = openat(root, "ct0", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int c1 = openat(root, "ct1", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        make_tree(c0, "rootfs");
        _cleanup_(storage_freep) Storage *o = NULL;
        is_int(storage_new(BERTH_BACKEND_OVERLAY, real, &o, &err), 0, "overlay backend");
        _cleanup_free_ char *tree0 = xasprintf("%s/ct0/rootfs", real);
        is_int(storage_import(o, tree0, c1, "base", &err), 0, "import a tree as an overlay volume");
        is_int(storage_copy(o, c1, "base", c1, "rootfs", 0, &err), 0, "clone it (one lower)");
        (void)storage_remove(real, c1, "base", &err);
        for (int userns = 0; userns < 2; userns++) {
                pid_t holder = 0;
                int ufd = userns ? make_userns(&holder) : -EBADF;
                pid_t pid = fork();
                if (pid == 0)
                {
                        int f = seam_child(real, ufd);
                        fflush(stdout);
                        _exit(f);
                }
                int st = 0;
                waitpid(pid, &st, 0);
                ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                   "rootfs seam, dir and overlay, plain and ephemeral, %s (failures: %d)",
                   userns ? "idmapped" : "privileged", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
                if (ufd >= 0) {
                        close(ufd);
                        kill(holder, SIGKILL);
                        waitpid(holder, NULL, 0);
                }
        }
        (void)storage_remove(real, root, "ct0", NULL);
        (void)storage_remove(real, root, "ct1", NULL);
        is_int((int)n_layers(root), 0, "no layer left");
        berth_error_free(err);
}

int main(void)
{
        is_root = geteuid() == 0;
        char dir[] = "/var/tmp/test-storage-XXXXXX";
        if (!mkdtemp(dir))
                return tap_skip_all("no temporary directory");
        int root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        test_copy(root);
        test_overlay(root);
        test_seam(root);
        test_btrfs();
        close(root);
        ok(rm_rf_at(AT_FDCWD, dir) == 0, "clean up");
        return tap_done();
}
