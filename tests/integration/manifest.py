#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# manifest.py DIR: one line per entry of the tree DIR (not crossing into other filesystems),
# sorted: path, type and mode, owner, hard-link count, size, allocated blocks class (sparse or
# not), sha256 of the content or the link target, device numbers, and every xattr with its
# value. Two trees with the same manifest are the same for everything berth must keep.
import hashlib
import os
import stat
import sys


def xattrs(path):
    try:
        names = sorted(os.listxattr(path, follow_symlinks=False))
    except OSError:
        return ""
    out = []
    for n in names:
        try:
            v = os.getxattr(path, n, follow_symlinks=False)
        except OSError:
            continue
        out.append("%s=%s" % (n, v.hex()))
    return ",".join(out)


def digest(path, st):
    h = hashlib.sha256()
    if stat.S_ISLNK(st.st_mode):
        h.update(os.readlink(path).encode("utf-8", "surrogateescape"))
    elif stat.S_ISREG(st.st_mode):
        with open(path, "rb", buffering=0) as f:
            while True:
                b = f.read(1 << 20)
                if not b:
                    break
                h.update(b)
    else:
        return "-"
    return h.hexdigest()


def main():
    root = sys.argv[1]
    dev = os.lstat(root).st_dev
    lines = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if os.lstat(os.path.join(dirpath, d)).st_dev == dev]
        for name in [""] + dirnames + filenames if dirpath == root else dirnames + filenames:
            p = os.path.join(dirpath, name) if name else dirpath
            st = os.lstat(p)
            rel = os.path.relpath(p, root)
            sparse = "sparse" if stat.S_ISREG(st.st_mode) and st.st_blocks * 512 < st.st_size else "full"
            rdev = "%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev)) if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "-"
            size = st.st_size if not stat.S_ISDIR(st.st_mode) else 0
            lines.append("%s %o %d:%d %d %d %s %s %s %s" % (
                rel, st.st_mode, st.st_uid, st.st_gid, st.st_nlink if not stat.S_ISDIR(st.st_mode) else 0,
                size, sparse, digest(p, st), rdev, xattrs(p)))
    for l in sorted(lines):
        print(l)


main()
