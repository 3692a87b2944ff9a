#!/usr/bin/env python3
"""docs/ against the files clcam writes and the keys it reads.

  docs_check.py CLCAM

Reads the tables of docs/file_formats.md (one section per file kind: a "path" table of datasets
and an "attribute" table of root attributes, each row with type, shape and when it is
present) and checks real files against them:

  dataset file         `clcam import-cifar10` of a generated CIFAR-10 folder, `clcam
                       import-images` of a folder of PNGs (class folders with --skip-bad, flat)
  results file         `clcam run` of an empty config (every key at its default), of a top-k
                       run with two methods and a baseline (cam_dtype float16), of a split without labels (uint8),
                       two parts of a `--shard I/2` run and their `clcam merge`
  weights file         `clcam train` output (conv, batchnorm, conv without bias, linear), with
                       and without an eval split; tools/export_torch.py output where torch is
  training checkpoint  `clcam train` killed after its first checkpoint (CLCAM_FAULT)

Every dataset and attribute in those files must be documented with its dtype and rank (and
sizes consistent across a results file: N, classes, H, W, h, w, K); every documented item must
be in at least one of them, and one marked "always" in all of them. docs/config.md's key table
must list exactly the keys of the effective config (the results file's `config` attribute,
which config_to_yaml writes from io/config_keys.c's table), with the default that the empty
config's run shows. Every docs/NAME.md that README.md, the notebook, the configs, the --help
texts, tools/ and docs/ name must exist, and none may point at ../shared/docs. Last, the checks are shown to fail: on a results file with an extra
dataset, an extra attribute or a documented dataset removed, on docs with a row removed, and
on a config table missing a key or with a wrong default.
Exit 0 pass, 1 fail, 77 (SKIP) without h5py and numpy.
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

try:
    import h5py
    import numpy as np
except ImportError as e:
    print(f"SKIP docs_check: {e} (apt-get install python3-h5py python3-numpy)")
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_weights import write_simplecnn_weights  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FORMATS = os.path.join(ROOT, "docs", "file_formats.md")
CONFIG = os.path.join(ROOT, "docs", "config.md")
SECTIONS = {"Dataset file": "dataset", "Weights file": "weights",
            "Training checkpoint": "checkpoint", "Results file": "results"}


# ---- reading the docs ----

def md_tables(text):
    """{section heading: [(header cells, [row cells...]), ...]} for every '## ' section."""
    out, section, table = {}, None, None
    for line in text.splitlines():
        if line.startswith("## "):
            section, table = line[3:].strip(), None
            out.setdefault(section, [])
            continue
        if section is None:
            continue
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if table is None:
                table = (cells, [])
                out[section].append(table)
            elif not all(re.fullmatch(r":?-+:?", c) for c in cells):
                table[1].append(cells)
        else:
            table = None
    return out


def ticked(cell):
    return re.findall(r"`([^`]*)`", cell)


def parse_shape(s):
    """'[N, H, W, 3]' -> ['N', 'H', 'W', 3]; 'scalar' -> []."""
    if s == "scalar":
        return []
    return [int(d) if d.strip().isdigit() else d.strip() for d in s.strip("[]").split(",")]


def template_regex(path):
    """'/<method>/cam' -> a regex; a placeholder is one or more groups (not train_state)."""
    parts = re.split(r"(<[^>]+>)", path.lstrip("/"))
    rx = "".join(r"(?!train_state/)[^/]+(?:/[^/]+)*?" if p.startswith("<") else re.escape(p)
                 for p in parts)
    return re.compile(rx)


def doc_items(text):
    """{kind: [item]}: item = dict(where 'path'|'attribute', name, rx, type, shape, topk_shape,
    always)."""
    items = {}
    for section, tables in md_tables(text).items():
        kind = SECTIONS.get(section)
        if not kind:
            continue
        for head, rows in tables:
            where = head[0]
            if where not in ("path", "attribute"):
                continue
            col = {h: i for i, h in enumerate(head)}
            for r in rows:
                name = ticked(r[0])[0]
                shapes = re.findall(r"`(\[[^\]]*\]|scalar)`", r[col["shape"]])
                items.setdefault(kind, []).append(dict(
                    where=where, name=name, type=ticked(r[col["type"]])[0],
                    shape=parse_shape(shapes[0]),
                    topk_shape=parse_shape(shapes[1]) if "top-k" in r[col["shape"]] else None,
                    always=r[col["present"]] == "always",
                    rx=template_regex(name) if where == "path" or "@" in name else None))
    return items


# ---- reading the files ----

def type_name(dtype):
    info = h5py.check_string_dtype(dtype)
    if info is not None:
        return "string" if info.length is None else f"fixed-length string ({info.length} bytes)"
    return np.dtype(dtype).name


def file_items(path):
    """[(where, name, type, shape)] of every dataset and attribute; an attribute of a group or
    dataset is named 'obj@attr'."""
    out = []
    with h5py.File(path, "r") as f:
        for k in f.attrs:
            a = f.attrs.get_id(k)
            out.append(("attribute", k, type_name(a.dtype), tuple(a.shape)))

        def visit(name, obj):
            for k in obj.attrs:
                a = obj.attrs.get_id(k)
                out.append(("attribute", f"{name}@{k}", type_name(a.dtype), tuple(a.shape)))
            if isinstance(obj, h5py.Dataset):
                out.append(("path", name, type_name(obj.dtype), tuple(obj.shape)))
        f.visititems(visit)
    return out


def check_file(items, path, topk, bind_globally):
    """Failures of one file against its kind's items; the set of items it has."""
    fails, seen = [], set()
    binding = {"K": topk} if topk else {}
    for where, name, typ, shape in file_items(path):
        cands = [i for i, it in enumerate(items) if it["where"] == where and
                 (it["rx"].fullmatch(name) if it["rx"] is not None else it["name"] == name)]
        if not cands and "@" in name:
            fails.append(f"{path}: attribute {name} is not documented (only root attributes and "
                         "those the attribute table names as OBJECT@NAME are)")
            continue
        what = f"/{name}" if where == "path" else f"attribute {name}"
        if not cands:
            fails.append(f"{path}: {what} ({typ} {list(shape)}) is not in docs/file_formats.md")
            continue
        ok = False  # rows alike in type and shape (every bias) all count as seen
        for i in cands:
            it = items[i]
            want = it["topk_shape"] if topk and it["topk_shape"] is not None else it["shape"]
            if it["type"] != typ or len(want) != len(shape):
                continue
            local = binding if bind_globally else {}
            trial, good = dict(local), True
            for w, g in zip(want, shape):
                if isinstance(w, int):
                    good &= w == g
                elif trial.setdefault(w, g) != g:
                    good = False
            if good:
                if bind_globally:
                    binding.update(trial)
                seen.add(i)
                ok = True
        if not ok:
            docs = "; ".join(f"{items[i]['type']} {items[i]['shape']}" for i in cands)
            fails.append(f"{path}: {what} is {typ} {list(shape)}, documented as {docs}"
                         f"{' (sizes ' + str(binding) + ')' if bind_globally else ''}")
    for i, it in enumerate(items):
        if it["always"] and i not in seen:
            fails.append(f"{path}: {'' if it['where'] == 'path' else 'attribute '}{it['name']} "
                         "is documented as always present, but the file has no such item")
    return fails, seen


def check_kind(kind, items, files):
    """files: [(path, topk)] of one kind; every documented item must be in one of them. Sizes
    named alike agree within a results file (N, classes, H, W, ...), within one dataset else."""
    fails, seen = [], set()
    for path, topk in files:
        f, s = check_file(items, path, topk, bind_globally=kind == "results")
        fails += f
        seen |= s
    for i, it in enumerate(items):
        if i not in seen:
            fails.append(f"{'' if it['where'] == 'path' else 'attribute '}{it['name']} is "
                         f"documented, but none of {[os.path.basename(p) for p, _ in files]} has it")
    return fails


# ---- config ----

def effective_keys(yaml_text):
    """{dotted key: value text} of config_to_yaml's output (two spaces per level)."""
    out, stack = {}, []
    for line in yaml_text.splitlines():
        if not line.strip() or line.lstrip().startswith("#") or line.lstrip().startswith("- "):
            continue
        depth = (len(line) - len(line.lstrip())) // 2
        key, _, value = line.strip().partition(":")
        stack = stack[:depth] + [key]
        if value.strip():
            out[".".join(stack)] = value.strip()
        elif key == "layers":  # a list follows on the next lines
            out[".".join(stack)] = "[...]"
    return out


def check_config(doc_text, yaml_text):
    fails = []
    rows = {}
    for section, tables in md_tables(doc_text).items():
        for head, body in tables:
            if head[0] == "key":
                for r in body:
                    rows[ticked(r[0])[0]] = ticked(r[2])[0] if ticked(r[2]) else None
    keys = effective_keys(yaml_text)
    for k in sorted(set(keys) - set(rows)):
        fails.append(f"config key {k} (in the effective config) is not in docs/config.md")
    for k in sorted(set(rows) - set(keys)):
        fails.append(f"docs/config.md lists {k}, which is not a config key")
    for k in sorted(set(rows) & set(keys)):
        if rows[k] != keys[k]:
            fails.append(f"docs/config.md: {k} defaults to `{rows[k]}`, the effective config of "
                         f"an empty config says {keys[k]}")
    return fails, len(rows)


# ---- making the files ----

def run(cmd, cwd, env=None, ok=(0,)):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    if r.returncode not in ok:
        raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}\n{r.stdout}{r.stderr}")
    return r


def make_files(clcam, tmp):
    """Writes every file to check; returns {kind: [(path, topk)]} and the default config."""
    rng = np.random.default_rng(4)
    files = {k: [] for k in SECTIONS.values()}
    # A CIFAR-10 binary folder, imported.
    src = os.path.join(tmp, "cifar-10-batches-bin")
    os.makedirs(src)
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        rec = np.zeros((10000, 3073), np.uint8)
        rec[:, 0] = rng.integers(0, 10, 10000)
        rec[:, 1:] = rec[:, :1] * 25  # compresses fast
        rec.tofile(os.path.join(src, name))
    with open(os.path.join(src, "batches.meta.txt"), "w") as f:
        f.write("\n".join(f"class{i}" for i in range(10)) + "\n")
    run([clcam, "import-cifar10", src, "imported.h5", "--quiet"], tmp)
    files["dataset"].append((os.path.join(tmp, "imported.h5"), 0))
    # A folder of images (PNGs written by hand: no Pillow needed), with a corrupt one for
    # --skip-bad, by class folders and flat.
    def png(path, h, w):
        def chunk(t, d):
            return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
        rows = b"".join(b"\0" + rng.integers(0, 256, w * 3, dtype=np.uint8).tobytes() for _ in range(h))
        with open(path, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                    + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    for cls in ("cat", "dog"):
        os.makedirs(os.path.join(tmp, "images", cls))
        for i in range(3):
            png(os.path.join(tmp, "images", cls, f"{i}.png"), 9 + i, 12)
    with open(os.path.join(tmp, "images", "dog", "bad.png"), "wb") as f:
        f.write(b"not a png")
    run([clcam, "import-images", "images", "folder.h5", "--size", "8", "--skip-bad", "--quiet"], tmp)
    files["dataset"].append((os.path.join(tmp, "folder.h5"), 0))
    run([clcam, "import-images", "images/cat", "flat.h5", "--resize", "8", "--crop", "8",
         "--quiet"], tmp)
    files["dataset"].append((os.path.join(tmp, "flat.h5"), 0))

    # The defaults' paths, relative to tmp: data/cifar10.h5, models/simplecnn_cifar10.h5.
    os.makedirs(os.path.join(tmp, "data"))
    os.makedirs(os.path.join(tmp, "models"))
    with h5py.File(os.path.join(tmp, "data", "cifar10.h5"), "w") as f:
        f["test/images"] = rng.integers(0, 256, (24, 32, 32, 3), dtype=np.uint8)
        f["test/labels"] = rng.integers(0, 10, 24).astype(np.uint8)
        f["nolabels/images"] = rng.integers(0, 256, (8, 32, 32, 3), dtype=np.uint8)
        f["train/images"] = rng.integers(0, 256, (48, 32, 32, 3), dtype=np.uint8)
        f["train/labels"] = rng.integers(0, 10, 48).astype(np.uint8)
        f.attrs["class_names"] = [f"c{i}" for i in range(10)]
    write_simplecnn_weights(os.path.join(tmp, "models", "simplecnn_cifar10.h5"), rng)
    with open(os.path.join(tmp, "empty.yaml"), "w"):
        pass
    run([clcam, "run", "empty.yaml", "--quiet"], tmp)
    default = os.path.join(tmp, "results", "cifar10_test_gradcam.h5")
    files["results"].append((default, 0))
    run([clcam, "run", "empty.yaml", "--quiet", "--set", "cam.target={topk: 2}", "--set",
         "cam.methods=[gradcam, layercam, sobel]", "--set", "output.file=results/topk.h5",
         "--set", "output.cam_dtype=float16", "--set",
         "cam.metrics=[confidence_drop, deletion, insertion]", "--set", "cam.metric_steps=4"], tmp)
    files["results"].append((os.path.join(tmp, "results", "topk.h5"), 2))
    run([clcam, "run", "empty.yaml", "--quiet", "--set", "data.split=nolabels", "--set",
         "output.file=results/nolabels.h5", "--set", "output.cam_dtype=uint8", "--set",
         "cam.metrics=[road_combined]", "--set", "cam.road_percentiles=[50]"], tmp)
    files["results"].append((os.path.join(tmp, "results", "nolabels.h5"), 0))
    # Two parts of a --shard run and their merge (virtual datasets).
    for i in range(2):
        run([clcam, "run", "empty.yaml", "--quiet", "--set", "batch=8", "--shard", f"{i}/2", "--set",
             f"output.file=results/part_{i}.h5"], tmp)
        files["results"].append((os.path.join(tmp, "results", f"part_{i}.h5"), 0))
    run([clcam, "merge", "results/merged.h5", "results/part_0.h5", "results/part_1.h5"], tmp)
    files["results"].append((os.path.join(tmp, "results", "merged.h5"), 0))

    # Training: conv + batchnorm, a conv without bias, linear; 2 epochs of 48 images.
    with open(os.path.join(tmp, "train.yaml"), "w") as f:
        f.write("model:\n  layers:\n"
                "    - {type: conv, name: features.0, out: 8, kernel: 3, padding: 1}\n"
                "    - {type: batchnorm, name: features.1}\n"
                "    - {type: relu, name: features.2}\n"
                "    - {type: maxpool, name: features.3, kernel: 2}\n"
                "    - {type: conv, name: features.4, out: 8, kernel: 3, padding: 1, bias: false}\n"
                "    - {type: relu, name: features.5}\n"
                "    - {type: avgpool, name: gap, global: true}\n"
                "    - {type: flatten, name: flat}\n"
                "    - {type: linear, name: classifier, out: 10}\n"
                "train: {epochs: 2, batch: 16, output: models/trained.h5}\n")
    run([clcam, "train", "train.yaml", "--quiet"], tmp)
    files["weights"].append((os.path.join(tmp, "models", "trained.h5"), 0))
    run([clcam, "train", "train.yaml", "--quiet", "--set", "train.eval_split=none", "--set",
         "train.output=models/noeval.h5"], tmp)
    files["weights"].append((os.path.join(tmp, "models", "noeval.h5"), 0))
    env = dict(os.environ, CLCAM_FAULT="kill_after_checkpoint:1")
    run([clcam, "train", "train.yaml", "--quiet", "--set", "train.output=models/killed.h5"], tmp,
        env=env, ok=(-9, 137))
    files["checkpoint"].append((os.path.join(tmp, "models", "killed.h5.ckpt"), 0))

    # tools/export_torch.py writes weights files too, where torch is.
    try:
        import torch  # noqa: F401
        script = ("import torch, torch.nn as nn; torch.save(nn.Sequential(nn.Conv2d(3, 4, 3), "
                  "nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), "
                  "nn.Linear(4, 10)).state_dict(), 'seq.pth')")
        run([sys.executable, "-c", script], tmp)
        run([sys.executable, os.path.join(ROOT, "tools", "export_torch.py"), "seq.pth",
             "models/exported.h5", "--model", "nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), "
             "nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 10))"], tmp)
        files["weights"].append((os.path.join(tmp, "models", "exported.h5"), 0))
    except ImportError:
        print("note: no torch here, so tools/export_torch.py's output is not checked")
    with h5py.File(default, "r") as f:
        config = f.attrs["config"]
    return files, config if isinstance(config, str) else config.decode()


def check_pointers():
    """What a user reads points inside the repository: every docs/NAME.md named in the README,
    the notebook, the shipped configs, the --help texts, tools/ and docs/ exists, and nothing
    points at ../shared/docs."""
    fails, n = [], 0
    paths = ["README.md", "pipeline/main.c"]
    for d, ext in (("notebooks", ".ipynb"), ("configs", ".yaml"), ("tools", ".py"), ("docs", ".md")):
        paths += [os.path.join(d, f) for f in sorted(os.listdir(os.path.join(ROOT, d))) if f.endswith(ext)]
    for p in paths:
        text = open(os.path.join(ROOT, p), encoding="utf-8").read()
        for m in re.finditer(r"shared/docs|docs/interfaces\.md", text):
            fails.append(f"{p}: points outside the repository ({m.group(0)})")
        for m in re.finditer(r"(?<![\w/.])(?:\.\./)?docs/([\w-]+\.md)", text):
            n += 1
            if not os.path.isfile(os.path.join(ROOT, "docs", m.group(1))):
                fails.append(f"{p}: names docs/{m.group(1)}, which does not exist")
    return fails, n


def check_all(files, formats_text, config_text, config_yaml):
    items = doc_items(formats_text)
    fails = []
    for kind in SECTIONS.values():
        if not items.get(kind):
            fails.append(f"docs/file_formats.md has no table for the {kind} file")
            continue
        fails += check_kind(kind, items[kind], files[kind])
    f, n = check_config(config_text, config_yaml)
    return fails + f, items, n


def main():
    if len(sys.argv) != 2:
        print("usage: docs_check.py CLCAM", file=sys.stderr)
        return 2
    clcam = os.path.abspath(sys.argv[1])
    formats_text = open(FORMATS, encoding="utf-8").read()
    config_text = open(CONFIG, encoding="utf-8").read()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            files, config_yaml = make_files(clcam, tmp)
        except RuntimeError as e:
            print(f"FAIL: {e}")
            return 1
        fails, items, n_keys = check_all(files, formats_text, config_text, config_yaml)
        print(f"== docs/file_formats.md: {sum(len(v) for v in items.values())} documented items "
              f"in {len(items)} sections, against "
              + ", ".join(f"{len(v)} {k} file{'s' if len(v) != 1 else ''}" for k, v in files.items()))
        print(f"== docs/config.md: {n_keys} keys against the effective config")
        f, n_ptr = check_pointers()
        fails += f
        print(f"== {n_ptr} pointers to docs/ in README.md, notebooks, configs, --help, tools, docs")

        # The checks must be able to fail.
        can_fail = []
        default = files["results"][0][0]

        def mutated(name, change):
            path = os.path.join(tmp, name)
            shutil.copy(default, path)
            with h5py.File(path, "r+") as f:
                change(f)
            trial = dict(files, results=[(path, 0)] + files["results"][1:])
            return check_all(trial, formats_text, config_text, config_yaml)[0]

        can_fail.append(("an undocumented dataset", mutated(
            "results_extra.h5", lambda f: f.create_dataset("extra", data=np.zeros(3, np.float32)))))
        can_fail.append(("an undocumented root attribute", mutated(
            "results_attr.h5", lambda f: f.attrs.__setitem__("extra", 1))))
        can_fail.append(("an attribute on a dataset", mutated(
            "results_dsattr.h5", lambda f: f["logits"].attrs.__setitem__("units", "logit"))))
        can_fail.append(("/probs removed", mutated(
            "results_noprobs.h5", lambda f: f.__delitem__("probs"))))
        can_fail.append(("/pred of the wrong dtype", mutated(
            "results_dtype.h5", lambda f: (f.__delitem__("pred"),
                                           f.create_dataset("pred", data=np.zeros(24, np.int64))))))
        no_pred = re.sub(r"^\| `/pred` .*\n", "", formats_text, flags=re.M)
        can_fail.append(("the /pred row removed from the docs",
                         check_all(files, no_pred, config_text, config_yaml)[0]))
        no_var = re.sub(r"^\| `/<batchnorm>/running_var` .*\n", "", formats_text, flags=re.M)
        can_fail.append(("the running_var rows removed from the docs",
                         check_all(files, no_var, config_text, config_yaml)[0]))
        extra_row = formats_text.replace(
            "| `/index` |", "| `/index_extra` | `int64` | `[N]` | with labels | made up |\n| `/index` |")
        can_fail.append(("a documented dataset no file has",
                         check_all(files, extra_row, config_text, config_yaml)[0]))
        no_key = re.sub(r"^\| `train\.seed` .*\n", "", config_text, flags=re.M)
        can_fail.append(("train.seed removed from docs/config.md",
                         check_all(files, formats_text, no_key, config_yaml)[0]))
        wrong = config_text.replace("| `output.compression` | integer | `4` |",
                                    "| `output.compression` | integer | `5` |")
        can_fail.append(("a wrong default in docs/config.md",
                         check_all(files, formats_text, wrong, config_yaml)[0]))
        for what, f in can_fail:
            extra = [x for x in f if x not in fails]
            print(f"== can fail: {what}: {extra[0] if extra else 'NOT CAUGHT'}")
            if not extra:
                fails.append(f"the check does not catch {what}")
    for f in fails:
        print("FAIL:", f)
    print("PASS" if not fails else f"FAILED: {len(fails)} checks")
    return 0 if not fails else 1


if __name__ == "__main__":
    sys.exit(main())
