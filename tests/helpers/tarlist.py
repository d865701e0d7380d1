#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Compare what layer tars should produce with a directory tree.

  tarlist.py compare [--overlay|--flat] DIR TAR [TAR...]
      Model the tars applied in order (whiteouts as overlay devices and the
      opaque xattr, or applied), list DIR, print every difference; exit 1
      if there is any.
  tarlist.py list DIR            the listing of a tree, one entry a line
  tarlist.py hostile KIND OUT [OUTSIDE]   write a hostile test tar
  tarlist.py layers IMAGE WORK   the layers and diff_ids of an OCI layout or
                                 a docker-save tar, one image a line

A listing line holds the name, type, mode, owner, link target or device
numbers, size and content hash, mtime, xattrs, and for files with several
names the smallest name of the group (hard links).
"""
import hashlib
import io
import os
import stat
import sys
import tarfile

WH = ".wh."
OPQ = ".wh..wh..opq"


def clean(name):
    parts = []
    for p in name.split("/"):
        if p in ("", "."):
            continue
        if p == "..":
            if not parts:
                raise ValueError("escapes: " + name)
            parts.pop()
            continue
        parts.append(p)
    return "/".join(parts)


def parent(path):
    return path.rsplit("/", 1)[0] if "/" in path else ""


class Model:
    def __init__(self, overlay):
        self.overlay = overlay
        self.entries = {}  # path -> record (dict)
        self.group = {}  # path -> hardlink group key

    def remove_tree(self, path):
        for p in [p for p in self.entries if p == path or p.startswith(path + "/")]:
            del self.entries[p]
            self.group.pop(p, None)

    def ensure_parents(self, path):
        p = parent(path)
        missing = []
        while p and p not in self.entries:
            missing.append(p)
            p = parent(p)
        for p in missing:
            self.entries[p] = dict(type="dir", mode=0o755, uid=0, gid=0, mtime=None, xattrs={})

    def apply(self, tarpath):
        made = set()
        whited = set()
        with tarfile.open(tarpath, "r:*") as tf:
            for m in tf:
                path = clean(m.name)
                if path == "":
                    continue
                base = path.rsplit("/", 1)[-1]
                self.ensure_parents(path)
                d = parent(path)
                q = d
                while q:
                    made.add(q)
                    q = parent(q)
                if base == OPQ:
                    if self.overlay:
                        self.entries[d]["xattrs"]["trusted.overlay.opaque"] = b"y"
                    else:
                        for p in [p for p in self.entries
                                  if p.startswith(d + "/" if d else "") and p not in made]:
                            del self.entries[p]
                            self.group.pop(p, None)
                    continue
                if base.startswith(WH):
                    target = (d + "/" if d else "") + base[len(WH):]
                    if target in made:
                        continue  # whiteouts hide lower layers only
                    whited.add(target)
                    self.remove_tree(target)
                    if self.overlay:
                        self.entries[target] = dict(type="chr", mode=0, uid=m.uid, gid=m.gid,
                                                    rdev="0,0", mtime=None, xattrs={})
                    continue
                made.add(path)
                xattrs = {k[len("SCHILY.xattr."):]: v.encode("utf-8", "surrogateescape")
                          for k, v in m.pax_headers.items() if k.startswith("SCHILY.xattr.")}
                xattrs = {k: v for k, v in xattrs.items() if not k.startswith("trusted.overlay.")}
                old = self.entries.get(path)
                if m.islnk():
                    t = clean(m.linkname)
                    self.remove_tree(path)
                    self.entries[path] = self.entries[t]
                    self.group[path] = self.group.setdefault(t, t)
                    continue
                if old is not None and not (old["type"] == "dir" and m.isdir()):
                    self.remove_tree(path)
                rec = dict(mode=m.mode & 0o7777, uid=m.uid, gid=m.gid, mtime=int(m.mtime),
                           xattrs=xattrs)
                if m.isdir():
                    rec["type"] = "dir"
                    if path in whited and self.overlay:
                        rec["xattrs"]["trusted.overlay.opaque"] = b"y"
                    if old is not None and old["type"] == "dir":
                        old.update(rec)
                        continue
                elif m.issym():
                    rec.update(type="lnk", target=m.linkname)
                    del rec["mode"]
                elif m.ischr() or m.isblk():
                    rec.update(type="chr" if m.ischr() else "blk", rdev="%d,%d" % (m.devmajor, m.devminor))
                elif m.isfifo():
                    rec["type"] = "fifo"
                else:
                    data = tf.extractfile(m).read()
                    rec.update(type="reg", size=len(data), sha=hashlib.sha256(data).hexdigest())
                self.group.pop(path, None)
                self.entries[path] = rec

    def listing(self):
        groups = {}
        for p, g in self.group.items():
            if p in self.entries:
                groups.setdefault(g, []).append(p)
        lines = {}
        for p, rec in self.entries.items():
            r = dict(rec)
            g = self.group.get(p)
            if g is not None and len(groups.get(g, [])) > 1:
                r["link"] = min(groups[g])
            lines[p] = r
        return lines


def list_dir(root):
    lines = {}
    inodes = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            full = os.path.join(dirpath, n)
            path = os.path.relpath(full, root)
            st = os.lstat(full)
            rec = dict(uid=st.st_uid, gid=st.st_gid, mtime=int(st.st_mtime), xattrs={},
                       mode=stat.S_IMODE(st.st_mode))
            try:
                for k in os.listxattr(full, follow_symlinks=False):
                    rec["xattrs"][k] = os.getxattr(full, k, follow_symlinks=False)
            except OSError:
                pass
            if stat.S_ISDIR(st.st_mode):
                rec["type"] = "dir"
            elif stat.S_ISLNK(st.st_mode):
                rec.update(type="lnk", target=os.readlink(full))
                del rec["mode"]
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                rec.update(type="chr" if stat.S_ISCHR(st.st_mode) else "blk",
                           rdev="%d,%d" % (os.major(st.st_rdev), os.minor(st.st_rdev)))
            elif stat.S_ISFIFO(st.st_mode):
                rec["type"] = "fifo"
            else:
                with open(full, "rb") as f:
                    data = f.read()
                rec.update(type="reg", size=len(data), sha=hashlib.sha256(data).hexdigest())
                if st.st_nlink > 1:
                    inodes.setdefault((st.st_dev, st.st_ino), []).append(path)
            lines[path] = rec
    for paths in inodes.values():
        if len(paths) > 1:
            for p in paths:
                lines[p]["link"] = min(paths)
    return lines


def fmt(path, r):
    out = [path, r["type"]]
    if "mode" in r:
        out.append("%04o" % r["mode"])
    out.append("%d:%d" % (r["uid"], r["gid"]))
    for k in ("target", "rdev", "size", "sha", "link"):
        if k in r:
            out.append("%s=%s" % (k, r[k]))
    if r.get("mtime") is not None:
        out.append("mtime=%d" % r["mtime"])
    for k in sorted(r["xattrs"]):
        out.append("xattr:%s=%r" % (k, r["xattrs"][k]))
    return " ".join(out)


def compare(args):
    overlay = True
    if args[0] in ("--overlay", "--flat"):
        overlay = args.pop(0) == "--overlay"
    root, tars = args[0], args[1:]
    model = Model(overlay)
    for t in tars:
        model.apply(t)
    want = model.listing()
    have = list_dir(root)
    bad = 0
    for p in sorted(set(want) | set(have)):
        w, h = want.get(p), have.get(p)
        if w is None:
            print("unexpected: " + fmt(p, h))
            bad += 1
            continue
        if h is None:
            print("missing:    " + fmt(p, w))
            bad += 1
            continue
        if w.get("mtime") is None:
            h = dict(h, mtime=None)
        if fmt(p, w) != fmt(p, h):
            print("want:       " + fmt(p, w))
            print("have:       " + fmt(p, h))
            bad += 1
    print("%d entries compared, %d differences" % (len(want), bad))
    return 1 if bad else 0


def add(tf, name, type=tarfile.REGTYPE, data=b"", linkname="", mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.type = type
    ti.mode = mode
    ti.linkname = linkname
    ti.size = len(data) if type == tarfile.REGTYPE else 0
    tf.addfile(ti, io.BytesIO(data) if type == tarfile.REGTYPE else None)


def hostile(kind, out, arg):
    """Layers that try to write outside the destination (arg: an outside dir)."""
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tf:
        if kind == "dotdot":
            add(tf, "ok")
            add(tf, "../escape", data=b"pwned")
        elif kind == "dotdot-deep":
            add(tf, "a/b/../../../escape", data=b"pwned")
        elif kind == "absolute":
            add(tf, "/abs/path", data=b"contained")
        elif kind == "symlink-parent":
            add(tf, "evil", tarfile.SYMTYPE, linkname=arg)
            add(tf, "evil/pwned", data=b"pwned")
        elif kind == "symlink-relative-parent":
            add(tf, "evil", tarfile.SYMTYPE, linkname="../../../../../../../../" + arg)
            add(tf, "evil/pwned", data=b"pwned")
        elif kind == "symlink-final":
            # a later file at a symlink's name replaces the link
            add(tf, "evil", tarfile.SYMTYPE, linkname=arg + "/victim")
            add(tf, "evil", data=b"pwned")
        elif kind == "hardlink-dotdot":
            add(tf, "passwd", tarfile.LNKTYPE, linkname="../../etc/passwd")
        elif kind == "hardlink-absolute":
            add(tf, "passwd", tarfile.LNKTYPE, linkname="/etc/passwd")
        elif kind == "hardlink-symlink":
            add(tf, "evil", tarfile.SYMTYPE, linkname=arg + "/victim")
            add(tf, "link", tarfile.LNKTYPE, linkname="evil")
            add(tf, "link", data=b"pwned")
        elif kind == "hardlink-via-symlink-dir":
            add(tf, "evil", tarfile.SYMTYPE, linkname=arg)
            add(tf, "link", tarfile.LNKTYPE, linkname="evil/victim")
        elif kind == "whiteout-parent":
            # a lower layer's dir whited out, then a file put under it
            add(tf, ".wh.dir")
            add(tf, "dir/file", data=b"under a whiteout")
        elif kind == "whiteout-dotdot":
            add(tf, "sub/", tarfile.DIRTYPE, mode=0o755)
            add(tf, ".wh..")
        elif kind == "device":
            add(tf, "dev/", tarfile.DIRTYPE, mode=0o755)
            ti = tarfile.TarInfo("dev/mem")
            ti.type = tarfile.CHRTYPE
            ti.devmajor, ti.devminor = 1, 1
            ti.mode = 0o600
            tf.addfile(ti)
        else:
            raise SystemExit("unknown hostile kind " + kind)


def image_layers(image, work):
    """(layer file, diff_id) of every image manifest in an OCI layout or a
    docker-save archive (extracted into work), bottom layer first."""
    import json
    out = []
    if os.path.isdir(image):
        blobs = os.path.join(image, "blobs", "sha256")

        def blob(d):
            return os.path.join(blobs, d.split(":", 1)[1])

        def walk(desc):
            with open(blob(desc["digest"])) as f:
                doc = json.load(f)
            if "manifests" in doc:
                for m in doc["manifests"]:
                    walk(m)
                return
            with open(blob(doc["config"]["digest"])) as f:
                ids = json.load(f)["rootfs"]["diff_ids"]
            out.append([(blob(l["digest"]), i) for l, i in zip(doc["layers"], ids)])

        with open(os.path.join(image, "index.json")) as f:
            for m in json.load(f)["manifests"]:
                walk(m)
        return out
    with tarfile.open(image) as tf:
        tf.extractall(work)
    with open(os.path.join(work, "manifest.json")) as f:
        for m in json.load(f):
            with open(os.path.join(work, m["Config"])) as c:
                ids = json.load(c)["rootfs"]["diff_ids"]
            out.append([(os.path.join(work, l), i) for l, i in zip(m["Layers"], ids)])
    return out


def main(argv):
    if len(argv) == 4 and argv[1] == "layers":
        # one line per image: layer=diff_id pairs, bottom first
        for layers in image_layers(argv[2], argv[3]):
            print(" ".join("%s=%s" % l for l in layers))
        return 0
    if len(argv) >= 3 and argv[1] == "compare":
        return compare(argv[2:])
    if len(argv) == 3 and argv[1] == "list":
        lines = list_dir(argv[2])
        for p in sorted(lines):
            print(fmt(p, lines[p]))
        return 0
    if len(argv) >= 4 and argv[1] == "hostile":
        hostile(argv[2], argv[3], argv[4] if len(argv) > 4 else "/tmp")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
