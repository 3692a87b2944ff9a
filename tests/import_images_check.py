#!/usr/bin/env python3
"""`clcam import-images` against torchvision's ImageFolder + Resize + CenterCrop (PIL backend).

  import_images_check.py CLCAM

Builds an ImageFolder with Pillow (JPEG at qualities 50/90/100 in 4:2:0, 4:2:2 and 4:4:4,
grayscale and CMYK JPEG, PNG RGB, L, 1-bit, LA, RGBA, palette with and without transparency,
16-bit grayscale, RGB and RGBA, odd sizes), imports it with `--resize 40 --crop 32`,
`--size 24 --gzip 4`, `--resize 256 --crop 224 --gzip 1`, and without a size option (same-size images, flat and with classes), and compares
with torchvision on the same files: class names, labels, paths, and pixels within 1 on at
least 99.9% and never more than 2 apart (the bitwise share is printed; PNGs, which leave a
decoder no freedom, must match bitwise). Then `--list`, adding
and overwriting splits, and the bad inputs: an empty folder, a class folder without images, a
text file named .jpg, a truncated JPEG, a corrupt PNG, a BMP, huge dimensions in a PNG IHDR and
a JPEG SOF (refused without a large allocation: clcam's peak RSS is checked), an unreadable
file (a dangling link; chmod 000 too when not root), images of two sizes without a size option,
and --skip-bad. Also: clcam's peak RSS for 50 and 400 images (no growth), and an import
killed while writing leaves no OUT. Each bad input: exit 2, one line naming the file, no output file left.
Exit 0 pass, 1 fail, 77 (SKIP) without Pillow, torchvision, h5py or numpy.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib

try:
    import h5py
    import numpy as np
    from PIL import Image
    import torchvision
    from torchvision import transforms
except ImportError as e:
    print(f"SKIP import_images_check: {e} (apt-get install python3-pil python3-torchvision "
          "python3-h5py python3-numpy)")
    sys.exit(77)

CLCAM = os.path.abspath(sys.argv[1])
RSS_LIMIT_MB = 300  # a refused huge header must not allocate its pixels (65000^2 * 3 = 12 GB)
rng = np.random.default_rng(14)
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def smooth(h, w, c=3):
    """A photo-like image: random colours upsampled smoothly, plus a little noise."""
    small = rng.integers(0, 256, (max(2, h // 6), max(2, w // 6), c), dtype=np.uint8)
    big = Image.fromarray(small.squeeze() if c == 1 else small).resize((w, h), Image.BICUBIC)
    a = np.asarray(big).astype(np.int16).reshape(h, w, c)
    a += rng.integers(-12, 13, a.shape, dtype=np.int16)
    return np.clip(a, 0, 255).astype(np.uint8)


def png_raw(path, w, h, depth, ctype, rows):
    """A PNG written by hand (Pillow cannot write 16-bit RGB/RGBA)."""
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    data = b"".join(b"\0" + r for r in rows)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(data)) + chunk(b"IEND", b""))


def sixteen(h, w, c):
    a = smooth(h, w, c).astype(np.uint16) * 257 + rng.integers(0, 257, (h, w, c)).astype(np.uint16)
    return a.astype(">u2")


def write_images(d, h, w, tag):
    """One of every kind into folder d (h x w when same size, else sizes vary around it)."""
    os.makedirs(d, exist_ok=True)
    sz = lambda k: (h, w) if tag == "same" else (h + 3 * k, w + 5 * k % 17)
    k = 0
    for q in (50, 90, 100):
        for sub in (0, 1, 2):
            k += 1
            Image.fromarray(smooth(*sz(k))).save(f"{d}/j_q{q}_s{sub}.jpg", quality=q, subsampling=sub)
    k += 1
    Image.fromarray(smooth(*sz(k), 1)[..., 0], "L").save(f"{d}/j_gray.JPG", quality=85)
    k += 1
    Image.fromarray(smooth(*sz(k), 4), "CMYK").save(f"{d}/j_cmyk.jpeg", quality=90)
    k += 1
    Image.fromarray(smooth(*sz(k))).save(f"{d}/p_rgb.png")
    k += 1
    Image.fromarray(smooth(*sz(k), 1)[..., 0], "L").save(f"{d}/p_l.png")
    k += 1
    Image.fromarray(smooth(*sz(k), 1)[..., 0] > 128).save(f"{d}/p_1bit.png")
    k += 1
    Image.fromarray(smooth(*sz(k), 2), "LA").save(f"{d}/p_la.png")
    k += 1
    Image.fromarray(smooth(*sz(k), 4), "RGBA").save(f"{d}/p_rgba.png")
    k += 1
    Image.fromarray(smooth(*sz(k))).convert("P", palette=Image.ADAPTIVE, colors=50).save(f"{d}/p_pal.png")
    k += 1
    Image.fromarray(smooth(*sz(k))).convert("P", palette=Image.ADAPTIVE, colors=200).save(
        f"{d}/p_pal_trns.png", transparency=3)
    k += 1
    hh, ww = sz(k)
    g16 = (smooth(hh, ww, 1)[..., 0].astype(np.uint16) * 2)  # values past 255: Pillow clips
    Image.fromarray(g16, "I;16").save(f"{d}/p_gray16.png")
    k += 1
    hh, ww = sz(k)
    png_raw(f"{d}/p_rgb16.png", ww, hh, 16, 2, [r.tobytes() for r in sixteen(hh, ww, 3)])
    k += 1
    hh, ww = sz(k)
    png_raw(f"{d}/p_rgba16.png", ww, hh, 16, 6, [r.tobytes() for r in sixteen(hh, ww, 4)])
    k += 1
    Image.fromarray(smooth(*sz(k))).save(f"{d}/p_no_iend.png")  # Pillow opens it: so must we
    with open(f"{d}/p_no_iend.png", "r+b") as f:
        f.truncate(os.path.getsize(f"{d}/p_no_iend.png") - 12)


def run(args, ok=(0,)):
    r = subprocess.run([CLCAM, "import-images"] + args + ["--quiet"], capture_output=True, text=True)
    if r.returncode not in ok:
        print(f"  clcam import-images {' '.join(args)} exited {r.returncode}: {r.stderr.strip()}")
    return r


def compare(name, ours, theirs):
    """Pixels: within 1 on >= 99.9%, never over 2 apart."""
    if ours.shape != theirs.shape:
        check(False, f"{name}: shape {ours.shape}, torchvision {theirs.shape}")
        return
    d = np.abs(ours.astype(int) - theirs.astype(int))
    exact, within1, worst = (d == 0).mean(), (d <= 1).mean(), int(d.max())
    check(within1 >= 0.999 and worst <= 2,
          f"{name}: {100 * exact:.3f}% bitwise, {100 * within1:.3f}% within 1, max diff {worst} "
          f"over {d.size} values")
    return exact


def against_imagefolder(name, root, out, tf, args, flat=False, split="test"):
    r = run([root, out] + args + ["--split", split])
    check(r.returncode == 0, f"{name}: exit 0")
    if r.returncode != 0:
        return
    with h5py.File(out, "r") as f:
        g = f[split]
        paths = [p.decode() for p in g["paths"][:]]
        images = g["images"][:]
        labels = g["labels"][:] if "labels" in g else None
        names = [n if isinstance(n, str) else n.decode() for n in f.attrs.get("class_names", [])]
    if flat:
        files = sorted(f for f in os.listdir(root))
        check(paths == files and labels is None, f"{name}: paths {len(paths)} files, no labels")
        theirs = np.stack([np.asarray(tf(Image.open(os.path.join(root, p)).convert("RGB")))
                           for p in files])
    else:
        ds = torchvision.datasets.ImageFolder(root, transform=tf)
        want_paths = [os.path.relpath(p, root) for p, _ in ds.samples]
        check(names == ds.classes, f"{name}: class names {names}")
        check(paths == want_paths, f"{name}: paths in ImageFolder's order ({len(paths)})")
        check(labels is not None and labels.dtype == np.int32 and
              labels.tolist() == [t for _, t in ds.samples], f"{name}: labels")
        theirs = np.stack([np.asarray(ds[i][0]) for i in range(len(ds))])
    compare(name, images, theirs)
    # Per kind, for the record: which conversions are bitwise.
    if not flat:
        kinds = {}
        for i, p in enumerate(paths):
            kinds.setdefault(os.path.basename(p).split(".")[0], []).append(i)
        off = [k for k, ix in kinds.items() if not np.array_equal(images[ix], theirs[ix])]
        print(f"     {name}: not bitwise: {off if off else 'none'}")
        # PNG decoding has no freedom (JPEG's depends on both sides using one libjpeg-turbo):
        # every PNG kind must match bitwise, so a wrong conversion cannot hide in the tolerance.
        check(not [k for k in off if k.startswith("p_")], f"{name}: every PNG kind bitwise")


def peak_rss_run(args, env=None):
    """Exit code, stderr and clcam's own peak RSS in MB: through GNU time, whose child is
    forked from a small process (a child forked from this Python would inherit its RSS peak);
    without it, under a 1 GB address-space limit (not under ASan, which reserves terabytes)."""
    cmd = [CLCAM, "import-images"] + args + ["--quiet"]
    if os.path.exists("/usr/bin/time"):
        mark = os.path.join(WORK, "rss.txt")
        r = subprocess.run(["/usr/bin/time", "-o", mark, "-f", "%M"] + cmd, capture_output=True,
                           text=True, env=env)
        with open(mark) as f:
            return r.returncode, r.stderr, int(f.read().split()[-1]) / 1024.0
    if "ASAN_OPTIONS" in os.environ:
        print("     (peak RSS not measured: no /usr/bin/time, and ASan cannot run under an "
              "address-space limit)")
        r = subprocess.run(cmd, capture_output=True, text=True)
        return r.returncode, r.stderr, None
    import resource
    limit = lambda: resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    r = subprocess.run(cmd, capture_output=True, text=True, preexec_fn=limit)
    return r.returncode, r.stderr, None


def bad(name, root, needle, extra=(), rss=False):
    """Exit 2, one line naming the file (needle), no output left."""
    out = os.path.join(WORK, f"bad_{name}.h5")
    args = [root, out] + list(extra)
    if rss:
        rc, err, mb = peak_rss_run(args)
    else:
        r = run(args, ok=(2,))
        rc, err, mb = r.returncode, r.stderr, None
    lines = err.strip().splitlines()
    left = [p for p in (out, out + ".tmp") if os.path.exists(p)]
    check(rc == 2 and len(lines) == 1 and needle in lines[0] and not left and
          (mb is None or mb < RSS_LIMIT_MB),
          f"bad input {name}: exit {rc}, {lines}{'' if mb is None else f', peak RSS {mb:.0f} MB'}"
          f"{', left ' + str(left) if left else ''}")


def jpeg_with_size(path, w, h):
    Image.fromarray(smooth(16, 16)).save(path, quality=90)
    b = bytearray(open(path, "rb").read())
    i = b.index(b"\xff\xc0")  # SOF0: length(2) precision(1) height(2) width(2)
    b[i + 5:i + 9] = struct.pack(">HH", h, w)
    open(path, "wb").write(bytes(b))


WORK = tempfile.mkdtemp(prefix="clcam-import-")
try:
    # ---- against torchvision ----
    root = os.path.join(WORK, "folder")
    for cls, (h, w) in {"apple": (61, 47), "Zebra": (45, 80), "b c": (53, 53)}.items():
        write_images(os.path.join(root, cls), h, w, "vary")
    write_images(os.path.join(root, "apple", "nested"), 50, 41, "vary")  # ImageFolder walks down
    open(os.path.join(root, "apple", "notes.txt"), "w").write("not an image, not listed\n")
    out = os.path.join(WORK, "out.h5")
    against_imagefolder("resize 40 crop 32", root, out,
                        transforms.Compose([transforms.Resize(40), transforms.CenterCrop(32)]),
                        ["--resize", "40", "--crop", "32"])
    against_imagefolder("size 24", root, out, transforms.Resize((24, 24)), ["--size", "24", "--gzip", "4"],
                        split="small")
    against_imagefolder("resize 256 crop 224 (upscaling)", root, out,
                        transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224)]),
                        ["--resize", "256", "--crop", "224", "--gzip", "1"], split="big")
    with h5py.File(out, "r") as f:
        check(sorted(f.keys()) == ["big", "small", "test"], f"three splits in one file: {list(f.keys())}")
        filt = [(k, f[k]["images"].compression, f[k]["images"].chunks) for k in ("test", "small", "big")]
        n = f["test/images"].shape[0]  # under 1,000 and under 4 MB: one chunk
        check(filt == [("test", None, (n, 32, 32, 3)), ("small", "gzip", (n, 24, 24, 3)),
                       ("big", "gzip", (27, 224, 224, 3))],
              f"--gzip and chunks of <= 4 MB: {filt}")
    same = os.path.join(WORK, "same")
    for cls in ("x", "y"):
        write_images(os.path.join(same, cls), 29, 23, "same")
    against_imagefolder("no size option (decoding alone)", same, os.path.join(WORK, "same.h5"),
                        None, [])
    flat = os.path.join(WORK, "flat")
    write_images(flat, 30, 20, "vary")
    against_imagefolder("flat folder, no labels", flat, os.path.join(WORK, "flat.h5"),
                        transforms.Compose([transforms.Resize(17), transforms.CenterCrop(15)]),
                        ["--resize", "17", "--crop", "15"], flat=True)

    # ---- incompressible images: a chunk deflate cannot shrink is stored raw, filter skipped ----
    noise = os.path.join(WORK, "noise", "k")
    os.makedirs(noise)
    for i in range(5):
        Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(f"{noise}/{i}.png")
    no = os.path.join(WORK, "noise.h5")
    r = run([os.path.dirname(noise), no, "--gzip", "9"])
    ok = r.returncode == 0
    if ok:
        with h5py.File(no, "r") as f:
            d = f["test/images"]
            info = d.id.get_chunk_info(0)
            want = np.stack([np.asarray(Image.open(f"{noise}/{i}.png")) for i in range(5)])
            ok = d.compression == "gzip" and info.filter_mask == 1 and np.array_equal(d[:], want)
            print(f"     noise: filter mask {info.filter_mask}, {info.size} bytes stored")
    check(ok, "incompressible chunk stored raw with its gzip filter skipped, read back exactly")

    # ---- memory does not grow with the number of images; a killed import leaves no OUT ----
    many = os.path.join(WORK, "many", "k")
    os.makedirs(many)
    for i in range(400):
        src = os.path.join(many, "000.jpg")
        if i == 0:
            Image.fromarray(smooth(300, 400)).save(src, quality=90)
        else:
            os.symlink(src, os.path.join(many, f"{i:03d}.jpg"))
    if os.path.exists("/usr/bin/time"):
        peaks = []
        env = dict(os.environ)
        if "ASAN_OPTIONS" in env:  # ASan keeps freed memory in quarantine, 256 MB by default
            env["ASAN_OPTIONS"] += ":quarantine_size_mb=1"
        for n in (50, 400):
            lst = os.path.join(WORK, f"many{n}.csv")
            with open(lst, "w") as f:
                f.write("".join(f"k/{i:03d}.jpg\n" for i in range(n)))
            rc, err, mb = peak_rss_run([os.path.dirname(many), os.path.join(WORK, f"many{n}.h5"),
                                        "--list", lst, "--resize", "256", "--crop", "224"], env)
            peaks.append(mb)
        check(peaks[1] < peaks[0] * 1.3 + 10,
              f"peak RSS {peaks[0]:.0f} MB for 50 images of 224x224, {peaks[1]:.0f} MB for 400 "
              "(output 60 MB): not growing with the count")
    else:
        print("skip the memory check: no /usr/bin/time (apt-get install time)")
    ko = os.path.join(WORK, "killed.h5")
    proc = subprocess.Popen([CLCAM, "import-images", os.path.dirname(many), ko, "--resize", "600",
                             "--crop", "560", "--threads", "1", "--gzip", "9", "--quiet"])
    for _ in range(2000):
        if os.path.exists(ko + ".tmp") or proc.poll() is not None:
            break
        time.sleep(0.005)
    time.sleep(0.2)
    running = proc.poll() is None
    proc.kill()
    proc.wait()
    check(running and not os.path.exists(ko),
          f"import killed while writing: no {os.path.basename(ko)} (only its .tmp: "
          f"{os.path.exists(ko + '.tmp')})" if running else "import killed while writing: it "
          "finished first, the check did not run")

    # ---- splits: refused twice, replaced with --overwrite ----
    r = run([same, out, "--split", "test"], ok=(2,))
    check(r.returncode == 2 and "already has a split test" in r.stderr,
          f"existing split refused: {r.stderr.strip()}")
    r = run([same, out, "--split", "test", "--overwrite"])
    with h5py.File(out, "r") as f:
        ok = r.returncode == 0 and f["test/images"].shape[1:] == (29, 23, 3) and "big" in f
    check(ok, "--overwrite replaces the split and keeps the others")

    # ---- --list ----
    csv = os.path.join(WORK, "list.csv")
    with open(csv, "w") as f:
        f.write("path,label\napple/p_rgb.png,fruit\nZebra/p_l.png,animal\napple/j_gray.JPG,fruit\n")
    r = run([root, os.path.join(WORK, "list.h5"), "--list", csv, "--size", "8"])
    ok = r.returncode == 0
    if ok:
        with h5py.File(os.path.join(WORK, "list.h5"), "r") as f:
            ok = (f["test/labels"][:].tolist() == [1, 0, 1] and
                  [n if isinstance(n, str) else n.decode() for n in f.attrs["class_names"]] == ["animal", "fruit"]
                  and f["test/paths"][1].decode() == "Zebra/p_l.png")
    check(ok, "--list: labels by sorted class names, paths as listed")

    # ---- bad inputs ----
    empty = os.path.join(WORK, "empty")
    os.makedirs(empty)
    bad("empty folder", empty, empty)
    noimg = os.path.join(WORK, "noimg")
    write_images(os.path.join(noimg, "a"), 20, 20, "same")
    os.makedirs(os.path.join(noimg, "b"))
    open(os.path.join(noimg, "b", "readme.txt"), "w").write("x")
    bad("class folder without images", noimg, os.path.join(noimg, "b"), ["--size", "8"])

    def one_bad(name, make, needle_suffix, extra=("--size", "8"), rss=False):
        d = os.path.join(WORK, "b_" + name.replace(" ", "_"))
        os.makedirs(os.path.join(d, "k"))
        Image.fromarray(smooth(20, 20)).save(os.path.join(d, "k", "a_good.png"))
        path = os.path.join(d, "k", needle_suffix)
        make(path)
        bad(name, d, path, list(extra), rss=rss)
        return d, path

    one_bad("text file named .jpg", lambda p: open(p, "w").write("hello\n"), "t.jpg")
    jp = os.path.join(WORK, "full.jpg")
    Image.fromarray(smooth(64, 64)).save(jp, quality=90)
    data = open(jp, "rb").read()
    one_bad("truncated JPEG", lambda p: open(p, "wb").write(data[:len(data) // 2]), "cut.jpg")
    pp = os.path.join(WORK, "full.png")
    Image.fromarray(smooth(64, 64)).save(pp)
    pdata = bytearray(open(pp, "rb").read())
    pdata[len(pdata) // 2] ^= 0xFF
    one_bad("corrupt PNG", lambda p: open(p, "wb").write(bytes(pdata)), "flip.png")
    one_bad("BMP (not decoded by clcam)", lambda p: Image.fromarray(smooth(8, 8)).save(p), "pic.bmp")
    one_bad("PNG IHDR 100000x100000",
            lambda p: png_raw(p, 100000, 100000, 8, 2, [b"\0\0\0"]), "huge.png", rss=True)
    one_bad("JPEG SOF 65000x65000", lambda p: jpeg_with_size(p, 65000, 65000), "huge.jpg", rss=True)
    one_bad("dangling link", lambda p: os.symlink(os.path.join(WORK, "nowhere.jpg"), p), "gone.jpg")
    if os.geteuid() == 0:
        print("skip unreadable-permission case: running as root, which reads every file "
              "(the dangling link above is the unreadable file)")
    else:
        def unreadable(p):
            Image.fromarray(smooth(8, 8)).save(p)
            os.chmod(p, 0)
        one_bad("chmod 000", unreadable, "locked.png")
    two = os.path.join(WORK, "two_sizes")
    os.makedirs(os.path.join(two, "k"))
    Image.fromarray(smooth(20, 20)).save(os.path.join(two, "k", "a.png"))
    Image.fromarray(smooth(20, 21)).save(os.path.join(two, "k", "b.png"))
    bad("two sizes without a size option", two, os.path.join(two, "k", "b.png"), [])

    # ---- --skip-bad ----
    sk = os.path.join(WORK, "skip")
    write_images(os.path.join(sk, "k"), 20, 20, "same")
    open(os.path.join(sk, "k", "bad1.jpg"), "wb").write(data[:200])
    os.symlink(os.path.join(WORK, "nowhere.png"), os.path.join(sk, "k", "bad2.png"))
    so = os.path.join(WORK, "skip.h5")
    r = run([sk, so, "--skip-bad", "--size", "8"])
    ok = r.returncode == 0
    if ok:
        with h5py.File(so, "r") as f:
            skipped = [p.decode() for p in f["test/skipped"][:]]
            paths = [p.decode() for p in f["test/paths"][:]]
            ok = (skipped == ["k/bad1.jpg", "k/bad2.png"] and len(paths) == f["test/images"].shape[0]
                  == len(os.listdir(os.path.join(sk, "k"))) - 2 and not set(skipped) & set(paths))
            print(f"     skipped: {skipped}; {len(paths)} imported")
    check(ok, "--skip-bad: bad files in /test/skipped, the rest imported")
except Exception as e:  # a failed import leaves nothing to read: one failure, not a traceback
    import traceback
    traceback.print_exc()
    check(False, f"stopped by {type(e).__name__}: {e}")
finally:
    shutil.rmtree(WORK, ignore_errors=True)

if failures:
    print(f"FAIL import_images_check: {len(failures)} failed: {failures}")
    sys.exit(1)
print("PASS import_images_check")
