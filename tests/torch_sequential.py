#!/usr/bin/env python3
"""A plain nn.Sequential through tools/export_torch.py and `clcam run`, against PyTorch.

  torch_sequential.py CLCAM

nn.Sequential numbers its children, so its layers are named 0, 1, ... (state_dict keys
0.weight, 1.running_mean; weights /0/weight) and nested ones 2.0 or features.0.0. For three
random models of that kind (plain: conv, batchnorm, relu, maxpool, conv, relu, global average
pool, flatten, linear; the same nested in unnamed Sequentials; and in named ones), this
exports random weights with the tool, runs clcam from the printed model.layers block with
cam.layer naming layers by their index (in the file as a bare YAML number, and by --set),
and compares logits, pred, cam_raw and cam with PyTorch's (float64, hooks: the helpers of
torch_vgg.py). It also checks that the tool, where `import torch` or `import h5py` fails,
says so in one line naming the Debian and pip package and exits 2, with no traceback.
Exit 0 pass, 1 fail, 77 (SKIP) without torch and h5py.
"""
import os
import subprocess
import sys
import tempfile
from collections import OrderedDict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
EXPORT = os.path.join(ROOT, "tools", "export_torch.py")


def check_missing_module(failures, tmp):
    """The tool without torch (or h5py): one line naming the module and its packages, exit 2."""
    for mod, deb, pip in (("torch", "python3-torch", "torch"), ("h5py", "python3-h5py", "h5py")):
        fake = os.path.join(tmp, f"no_{mod}")
        os.makedirs(fake, exist_ok=True)
        with open(os.path.join(fake, f"{mod}.py"), "w") as f:
            f.write(f"raise ImportError('No module named {mod} (simulated)')\n")
        env = dict(os.environ, PYTHONPATH=fake)
        r = subprocess.run([sys.executable, EXPORT, "m.pth", "o.h5"], capture_output=True,
                           text=True, env=env)
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        want = (f"cannot import {mod}", f"apt-get install {deb}", f"pip install {pip}")
        ok = (r.returncode == 2 and len(lines) == 1 and "Traceback" not in r.stderr and
              all(w in lines[0] for w in want) and not r.stdout)
        print(f"== without {mod}: exit {r.returncode}: {r.stderr.strip()}")
        if not ok:
            failures.append(f"without {mod}: expected exit 2 and one line with {want}, got exit "
                            f"{r.returncode}, stdout {r.stdout!r}, stderr {r.stderr!r}")
    # --help needs neither.
    r = subprocess.run([sys.executable, EXPORT, "--help"], capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=os.path.join(tmp, "no_torch")))
    if r.returncode != 0 or "usage:" not in r.stdout:
        failures.append(f"--help without torch: exit {r.returncode}, {r.stderr.strip()}")


failures = []
if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as _tmp:
        check_missing_module(failures, _tmp)  # needs no torch itself

try:
    import h5py
    import numpy as np
    import torch
    import torch.nn as nn
except ImportError as e:
    if __name__ == "__main__":
        for f in failures:
            print("FAIL:", f)
        if failures:
            sys.exit(1)
    print(f"SKIP torch_sequential: {e} (apt-get install python3-torch python3-h5py)")
    sys.exit(77)

sys.path.insert(0, HERE)
import torch_crosscheck as tc  # noqa: E402
import torch_vgg as tv  # noqa: E402  (hooked float64 Grad-CAM and the tolerances)

N, CLASSES, SIZE = 48, 10, 16


def _plain_layers():
    return [nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 24, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            nn.Linear(24, CLASSES)]


def make_plain():
    """0 conv, 1 batchnorm, 2 relu, 3 maxpool, 4 conv, 5 relu, 6 gap, 7 flatten, 8 linear."""
    return nn.Sequential(*_plain_layers())


def make_nested():
    """The same layers in unnamed Sequentials: 0.0 .. 0.3, 1.0, 1.1, 2.0 .. 2.2."""
    l = _plain_layers()
    return nn.Sequential(nn.Sequential(*l[0:4]), nn.Sequential(*l[4:6]), nn.Sequential(*l[6:9]))


def make_named():
    """Named and numbered: features.0.0 (conv), features.0.1 (bn), features.2.0 (conv), ..."""
    l = _plain_layers()
    features = nn.Sequential(nn.Sequential(*l[0:3]), l[3], nn.Sequential(*l[4:6]))
    return nn.Sequential(OrderedDict(features=features, classifier=nn.Sequential(*l[6:9])))


# (builder, layers compared by Grad-CAM, the folded conv and the batchnorm to name instead,
#  state_dict keys that must be datasets of the weights file)
MODELS = [
    ("plain", make_plain, ["4", "5", "1", "3"], ("0", "1"),
     ["0/weight", "0/bias", "1/weight", "1/running_mean", "1/running_var", "4/weight", "8/bias"]),
    ("nested", make_nested, ["1.0", "1.1", "0.1", ("1", "1.1")], ("0.0", "0.1"),
     ["0/0/weight", "0/1/running_var", "1/0/weight", "2/2/weight"]),
    ("named", make_named, ["features.2.0", "features.0.2", ("features", "features.2.1")],
     ("features.0.0", "features.0.1"),
     ["features/0/0/weight", "features/0/1/running_mean", "features/2/0/bias",
      "classifier/2/weight"]),
]


def randomise(model, images):
    """Random conv weights and batchnorm statistics (folding matters); the linear layer
    re-centred on these images so that predictions vary."""
    torch.manual_seed(11)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                m.bias.uniform_(-0.2, 0.2)
            elif isinstance(m, nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.5)
                m.running_var.uniform_(0.05, 3.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.3)
        model.eval()
        lin = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
        feats = {}
        h = lin.register_forward_hook(lambda m, i, o: feats.__setitem__("h", i[0]))
        model(tc.preprocess(images, tc.DEFAULT_SCALE, tc.DEFAULT_MEAN, tc.DEFAULT_STD,
                            torch.float32))
        h.remove()
        lin.weight.normal_(0, 1)
        z = feats["h"] @ lin.weight.T
        lin.weight.mul_(3.0 / z.std().clamp_min(1e-12))
        lin.bias.copy_(-(feats["h"].mean(0) @ lin.weight.T))


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}\n{r.stdout}{r.stderr}")
    return r.stdout


def compare(tag, R, ref_model, images):
    """Logits, pred, cam_raw and cam of one results file against float64 PyTorch."""
    out = tv.compare_gradcam(tag, R, ref_model, images, R["layer"])
    if len(set(R["pred"].tolist())) < 2:
        out.append(f"{tag}: every image predicted the same class (the test would not see a "
                   "wrong target)")
    return out


def check_model(clcam, tmp, images, name, make, layers, folded, keys):
    out = []
    model = make()
    randomise(model, images)
    torch.save(model.state_dict(), f"{tmp}/{name}.pth")
    env = dict(os.environ, PYTHONPATH=HERE + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, EXPORT, f"{tmp}/{name}.pth", f"{tmp}/{name}.h5",
                        "--model", f"torch_sequential:make_{name}"], capture_output=True,
                       text=True, env=env)
    if r.returncode != 0:
        return [f"{name}: export_torch.py exited {r.returncode}: {r.stderr.strip()}"]
    block = r.stdout
    print(block, end="")
    with h5py.File(f"{tmp}/{name}.h5", "r") as f:
        for k in keys:
            if k not in f or f[k].dtype != np.float32:
                out.append(f"{name}: weights file has no float32 /{k}")
        for k, v in model.state_dict().items():
            path = k.replace(".", "/")
            if torch.is_floating_point(v) and not np.array_equal(np.asarray(f[path]), v.numpy()):
                out.append(f"{name}: /{path} is not state_dict[{k!r}]")
    ref = make()
    ref.load_state_dict(torch.load(f"{tmp}/{name}.pth"))
    ref = ref.double().eval()
    for p in ref.parameters():
        p.requires_grad_(False)

    # The first layer given in the file as a bare YAML number (or a dotted one), unquoted;
    # the others by --set.
    cfg = f"{tmp}/{name}.yaml"
    with open(cfg, "w") as f:
        f.write(f"batch: 20\ndata:\n  file: {tmp}/data.h5\n{block}cam:\n  layer: {layers[0]}\n"
                f"output:\n  file: {tmp}/{name}_0.h5\n")
    results = {}
    for i, layer in enumerate(layers):
        # (module path, the layer it names): cam.layer as a PyTorch module's scope
        layer, want = layer if isinstance(layer, tuple) else (layer, layer)
        cmd = [clcam, "run", cfg, "--quiet"]
        if i:
            cmd += ["--set", f"cam.layer={layer}", "--set", f"output.file={tmp}/{name}_{i}.h5"]
        try:
            run(cmd)
        except RuntimeError as e:
            out.append(f"{name}: cam.layer {layer}: {e}")
            continue
        R = tv.read_gradcam(f"{tmp}/{name}_{i}.h5")
        if R["layer"] != want:
            out.append(f"{name}: cam.layer {layer}: the results' layer attribute is {R['layer']!r}, "
                       f"not {want!r}")
        results[layer] = R
        out += compare(f"{name}", R, ref, images)

    # Unquoted digit names in model.layers (name: 0) read as names: same results.
    if name != "named":
        bare = block.replace('name: "', "name: ").replace('", ', ", ").replace('"}', "}")
        with open(f"{tmp}/{name}_bare.yaml", "w") as f:
            f.write(f"batch: 20\ndata:\n  file: {tmp}/data.h5\n{bare}cam:\n  layer: {layers[0]}\n"
                    f"output:\n  file: {tmp}/{name}_bare.h5\n")
        try:
            run([clcam, "run", f"{tmp}/{name}_bare.yaml", "--quiet"])
            B = tv.read_gradcam(f"{tmp}/{name}_bare.h5")
            if layers[0] in results and not all(
                    np.array_equal(B[k], results[layers[0]][k]) for k in ("logits", "cam_raw", "cam")):
                out.append(f"{name}: unquoted names gave different results")
        except RuntimeError as e:
            out.append(f"{name}: unquoted names: {e}")

    # The conv folded into its batchnorm: refused, naming the batchnorm to use.
    r = subprocess.run([clcam, "run", cfg, "--quiet", "--set", f"cam.layer={folded[0]}",
                        "--set", f"output.file={tmp}/{name}_bad.h5"], capture_output=True, text=True)
    if r.returncode != 2 or f"'{folded[1]}'" not in r.stderr:
        out.append(f"{name}: cam.layer {folded[0]} (folded): exit {r.returncode}, {r.stderr.strip()}")
    # A name that is no layer: exit 2, naming it.
    r = subprocess.run([clcam, "run", cfg, "--quiet", "--set", "cam.layer=99",
                        "--set", f"output.file={tmp}/{name}_bad.h5"], capture_output=True, text=True)
    if r.returncode != 2 or "no layer named '99'" not in r.stderr:
        out.append(f"{name}: cam.layer 99: exit {r.returncode}, {r.stderr.strip()}")
    return out


def main():
    if len(sys.argv) != 2:
        print("usage: torch_sequential.py CLCAM", file=sys.stderr)
        return 2
    clcam = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        rng = np.random.default_rng(8)
        images = tc.smooth_images(rng, N, size=SIZE)
        with h5py.File(f"{tmp}/data.h5", "w") as f:
            f.create_dataset("test/images", data=images)
            f.create_dataset("test/labels", data=rng.integers(0, CLASSES, N).astype(np.uint8))
        for name, make, layers, folded, keys in MODELS:
            failures.extend(check_model(clcam, tmp, images, name, make, layers, folded, keys))
    for f in failures:
        print("FAIL:", f)
    print("PASS" if not failures else f"FAILED: {len(failures)} checks")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
