#!/usr/bin/env python3
"""224x224 inputs through the whole pipeline, against PyTorch.

  large_inputs.py CLCAM

Writes JPEGs of several sizes with Pillow into an ImageFolder (four classes), imports them with
`clcam import-images --resize 256 --crop 224`, builds a small random CNN for 224x224 inputs
(strided convs, a max-pool, global average pooling, a linear classifier) exported with
tools/export_torch.py, and runs `clcam run`:
  - Grad-CAM at the last ReLU against the reference algorithm with hooks in float64
    (torch_vgg.py's compare_gradcam), on the images as clcam imported them;
  - all eight methods at that layer against torch_crosscheck.py's formulas;
  - output.cam_dtype float16 and uint8 against the float32 run's maps: float16 within half an
    ulp of float16 (2^-11 relative, 2^-25 absolute near 0), uint8 equal to round(255 x map);
  - torchvision's resnet18 exported with torch.onnx.export (random weights), run through
    model.onnx on the same imported images: Grad-CAM at `auto` (layer4) against PyTorch;
  - `clcam report` on the 224x224 results: its overlay pictures are at the input's resolution.
Exit 0 pass, 1 fail, 77 (SKIP) without torch, h5py and Pillow.
"""
import os
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
    import torch
    import torch.nn as nn
    from PIL import Image
except ImportError as e:
    print(f"SKIP large_inputs: {e} (apt-get install python3-torch python3-h5py python3-pil)")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import torch_crosscheck as tc  # noqa: E402
import torch_vgg as tv  # noqa: E402

N, SIZE, CLASSES = 12, 224, 4
LAST = "9"  # the last ReLU: a 32 x 14 x 14 map


def make_net():
    return nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(),
                         nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 24, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(24, 32, 3, stride=2, padding=1), nn.ReLU(), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, CLASSES))


def randomise(model, images):
    torch.manual_seed(4)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                m.bias.uniform_(-0.2, 0.2)
        h = model[:-1](tc.preprocess(images, tc.DEFAULT_SCALE, tc.DEFAULT_MEAN, tc.DEFAULT_STD,
                                     torch.float32))
        lin = model[-1]
        lin.weight.normal_(0, 1)
        lin.weight.mul_(3.0 / (h @ lin.weight.T).std().clamp_min(1e-12))
        lin.bias.copy_(-(h.mean(0) @ lin.weight.T))
    model.eval()


def write_jpegs(root, rng):
    """N smooth images of varied sizes (none 224x224) as JPEGs in CLASSES class folders."""
    for i in range(N):
        w, h = [(300, 260), (256, 320), (480, 360), (231, 231)][i % 4]
        img = tc.smooth_images(rng, 1, size=max(w, h))[0][:h, :w]
        d = os.path.join(root, f"class{i % CLASSES}")
        os.makedirs(d, exist_ok=True)
        Image.fromarray(img).save(os.path.join(d, f"img{i:02d}.jpg"), quality=92)


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:2])} exited {r.returncode}: {r.stderr.strip()[:400]}")
    return r.stdout


def main():
    if len(sys.argv) != 2:
        print("usage: large_inputs.py CLCAM", file=sys.stderr)
        return 2
    clcam = sys.argv[1]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        rng = np.random.default_rng(11)
        write_jpegs(f"{tmp}/folder", rng)
        run([clcam, "import-images", f"{tmp}/folder", f"{tmp}/data.h5", "--resize", "256",
             "--crop", str(SIZE), "--quiet"])
        with h5py.File(f"{tmp}/data.h5", "r") as f:
            images = np.asarray(f["test/images"])
        if images.shape != (N, SIZE, SIZE, 3):
            print(f"FAIL: imported images {images.shape}, expected {(N, SIZE, SIZE, 3)}")
            return 1

        model = make_net()
        randomise(model, images)
        torch.save(model.state_dict(), f"{tmp}/net.pth")
        env = dict(os.environ, PYTHONPATH=HERE + os.pathsep + os.environ.get("PYTHONPATH", ""))
        block = run([sys.executable, os.path.join(ROOT, "tools", "export_torch.py"), f"{tmp}/net.pth",
                     f"{tmp}/net.h5", "--model", "large_inputs:make_net"], env=env)
        ref = model.double().eval()
        for p in ref.parameters():
            p.requires_grad_(False)
        cfg = f"{tmp}/cfg.yaml"
        with open(cfg, "w") as f:
            f.write(f"batch: 4\ndata:\n  file: {tmp}/data.h5\n{block}cam:\n  layer: \"{LAST}\"\n"
                    f"output:\n  file: {tmp}/r.h5\n")

        # Grad-CAM against the reference algorithm
        run([clcam, "run", cfg, "--quiet"])
        failures += tv.compare_gradcam(f"224x224, layer {LAST}", tv.read_gradcam(f"{tmp}/r.h5"),
                                       ref, images, LAST)

        # every method; cam_dtype float16 and uint8 against the float32 maps of the same run
        names = list(tc.METHODS)
        maps = {}
        for dtype in ("float32", "float16", "uint8"):
            out = f"{tmp}/all_{dtype}.h5"
            run([clcam, "run", cfg, "--quiet", "--set", f"cam.methods=[{', '.join(names)}]",
                 "--set", f"output.cam_dtype={dtype}", "--set", f"output.file={out}"])
            with h5py.File(out, "r") as f:
                maps[dtype] = {m: np.asarray(f[f"{m}/cam"]) for m in names}
                if dtype == "float32":
                    R = {f"{m}/{k}": np.asarray(f[f"{m}/{k}"]) for m in names for k in ("cam", "cam_raw")}
                    targets = np.asarray(f["target"]).astype(np.int64)
                want = {"float32": np.float32, "float16": np.float16, "uint8": np.uint8}[dtype]
                if f[f"{names[0]}/cam"].dtype != want:
                    failures.append(f"cam_dtype {dtype}: /{names[0]}/cam is {f[f'{names[0]}/cam'].dtype}")
        ck = tc.Checker()
        opts = type("opts", (), dict(raw_rel_tol=1e-5, cam_tol=tv.CAM_TOL, min_checked=0.8))
        print(f"== all eight methods at layer {LAST}, {N} images at {SIZE}x{SIZE}")
        tc.compare_methods(ck, opts, names, R, tv.methods(ref, images, targets, names, LAST),
                           np.arange(N), N, tv.RAW_FLOOR)
        ck.report()
        failures += ck.failures
        for m in names:
            ref32 = maps["float32"][m]
            half = maps["float16"][m].astype(np.float32)
            e16 = np.abs(half - ref32) - (np.abs(ref32) * 2.0 ** -11 + 2.0 ** -25)
            if e16.max() > 0:
                failures.append(f"{m}: float16 maps off by more than half an ulp ({e16.max():.3g} over)")
            u8 = maps["uint8"][m].astype(np.int32)
            want8 = np.round(np.float32(255) * ref32).astype(np.int32)  # in float32, as clcam
            if not np.array_equal(u8, want8):
                d = np.abs(u8 - want8).max()
                failures.append(f"{m}: uint8 maps are not round(255 x map) (max difference {d})")
        print(f"== cam_dtype: float16 and uint8 maps of {len(names)} methods checked against float32")

        # torchvision's resnet18 from ONNX on the same imported images, at `auto` (layer4)
        try:
            import torchvision
            import torch_onnx as to
        except ImportError as e:
            skipped = f"resnet18 from ONNX: {e} (apt-get install python3-torchvision)"
        else:
            skipped = None
            net = torchvision.models.resnet18(num_classes=CLASSES)
            to.randomise(net, images)
            torch.onnx.export(net, torch.zeros(1, 3, SIZE, SIZE), f"{tmp}/resnet18.onnx", opset_version=13)
            ref18 = torchvision.models.resnet18(num_classes=CLASSES)
            ref18.load_state_dict(net.state_dict())
            ref18 = ref18.double().eval()
            for p in ref18.parameters():
                p.requires_grad_(False)
            run([clcam, "run", cfg, "--quiet", "--set", f"model.onnx={tmp}/resnet18.onnx",
                 "--set", "cam.layer=auto", "--set", "model.layers=[]", "--set", f"output.file={tmp}/r18.h5"])
            failures += tv.compare_gradcam("resnet18 (ONNX) on the imported 224x224 images",
                                           tv.read_gradcam(f"{tmp}/r18.h5"), ref18, images, "layer4")

        # report: pictures at the input's resolution
        run([clcam, "report", f"{tmp}/all_uint8.h5", "--out", f"{tmp}/report", "--data", f"{tmp}/data.h5"])
        pngs = sorted(p for p in os.listdir(f"{tmp}/report") if p.endswith(".png"))
        if not pngs:
            failures.append("report wrote no pictures")
        else:
            w, h = Image.open(os.path.join(tmp, "report", pngs[0])).size
            print(f"== report: {len(pngs)} pictures, {pngs[0]} is {w}x{h}")
            if h < SIZE or w < SIZE:
                failures.append(f"report picture {pngs[0]} is {w}x{h}, smaller than the {SIZE}x{SIZE} input")
    for f in failures:
        print("FAIL:", f)
    if not failures and skipped:
        print(f"SKIP (part of large_inputs): {skipped}; the rest passed")
        return 77
    print("PASS" if not failures else f"FAILED: {len(failures)} checks")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
