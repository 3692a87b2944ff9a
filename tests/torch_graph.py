#!/usr/bin/env python3
"""clcam against PyTorch on a small CIFAR-style ResNet, described by model.layers with inputs:.

  torch_graph.py CLCAM

The network: a conv-BN-ReLU stem, a basic block (conv-BN-ReLU-conv-BN, plus its input, ReLU)
and a basic block with stride 2 and a 1x1 projection shortcut (conv + BN), global average
pooling and a linear layer; random weights, randomised BatchNorm statistics, eval mode. The
weights go through tools/export_torch.py's state_dict -> HDF5 writer; the model.layers block,
a graph, is written here. `clcam run` with Grad-CAM at a ReLU inside the first block, at its
add's output and at the last block's output is compared with PyTorch (float64, hooks; the
algorithm of torch_vgg.py / torch_crosscheck.py): logits, pred and the maps; then all eight
methods at the last block. The same run without buffer reuse (CLCAM_GRAPH_REUSE=0) must give
the same bits, with more device memory (run --stats: device_peak_bytes). Exit 0 pass, 1 fail,
77 (SKIP) without torch and h5py.
"""
import json
import os
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
    import torch
    import torch.nn as nn
except ImportError as e:
    print(f"SKIP torch_graph: {e} (apt-get install python3-torch python3-h5py)")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tools"))
import torch_crosscheck as tc  # noqa: E402
import torch_vgg as tv  # noqa: E402  (hooked float64 Grad-CAM and methods, tolerances)
import export_torch  # noqa: E402  (write_weights: state_dict -> HDF5)

N, CLASSES = 64, 10
LAYERS = ["layer1.relu1", "layer1.add", "layer2.relu2"]  # inside a block, an add, the last block


class Add(nn.Module):
    """a + b as a module, so that a hook can read the sum (torch_vgg.hooked)."""
    def forward(self, a, b):
        return a + b


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                                            nn.BatchNorm2d(cout))
        self.add = Add()
        self.relu2 = nn.ReLU()

    def forward(self, x):
        y = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        return self.relu2(self.add(y, x if self.downsample is None else self.downsample(x)))


class ResNet(nn.Module):
    def __init__(self, classes=CLASSES):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU()
        self.layer1 = Block(16, 16, 1)
        self.layer2 = Block(16, 32, 2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, classes)

    def features(self, x):
        x = self.layer2(self.layer1(self.relu(self.bn1(self.conv1(x)))))
        return self.avgpool(x).flatten(1)

    def forward(self, x):
        return self.fc(self.features(x))


def block_yaml(p, cin, cout, stride, x):
    """model.layers entries of a Block named p reading the tensor x; returns (lines, output)."""
    s = f", stride: {stride}" if stride != 1 else ""
    lines = [f"{{type: conv, name: {p}.conv1, out: {cout}, kernel: 3, padding: 1{s}, bias: false, inputs: [{x}]}}",
             f"{{type: batchnorm, name: {p}.bn1}}",
             f"{{type: relu, name: {p}.relu1}}",
             f"{{type: conv, name: {p}.conv2, out: {cout}, kernel: 3, padding: 1, bias: false}}",
             f"{{type: batchnorm, name: {p}.bn2}}"]
    short = x
    if stride != 1 or cin != cout:
        lines += [f"{{type: conv, name: {p}.downsample.0, out: {cout}, kernel: 1{s}, bias: false, inputs: [{x}]}}",
                  f"{{type: batchnorm, name: {p}.downsample.1}}"]
        short = f"{p}.downsample.1"
    lines += [f"{{type: add, name: {p}.add, inputs: [{p}.bn2, {short}]}}",
              f"{{type: relu, name: {p}.relu2}}"]
    return lines, f"{p}.relu2"


def model_yaml(weights):
    lines = ["{type: conv, name: conv1, out: 16, kernel: 3, padding: 1, bias: false}",
             "{type: batchnorm, name: bn1}", "{type: relu, name: relu}"]
    b1, out1 = block_yaml("layer1", 16, 16, 1, "relu")
    b2, _ = block_yaml("layer2", 16, 32, 2, out1)
    lines += b1 + b2 + ["{type: avgpool, name: avgpool, global: true}",
                        "{type: flatten, name: flatten}", "{type: linear, name: fc}"]
    return f"model:\n  weights: {weights}\n  layers:\n" + "".join(f"    - {l}\n" for l in lines)


def randomise(model, images):
    torch.manual_seed(7)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.5)
                m.running_var.uniform_(0.05, 3.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.3)
        model.eval()
        h = model.features(tc.preprocess(images, tc.DEFAULT_SCALE, tc.DEFAULT_MEAN,
                                         tc.DEFAULT_STD, torch.float32))
        model.fc.weight.normal_(0, 1)
        z = h @ model.fc.weight.T
        model.fc.weight.mul_(3.0 / z.std().clamp_min(1e-12))
        model.fc.bias.copy_(-(h.mean(0) @ model.fc.weight.T))


def read(path, keys):
    with h5py.File(path, "r") as f:
        return {k: np.asarray(f[k]) for k in keys}


def main():
    if len(sys.argv) != 2:
        print("usage: torch_graph.py CLCAM", file=sys.stderr)
        return 2
    clcam = sys.argv[1]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        rng = np.random.default_rng(11)
        images = tc.smooth_images(rng, N)
        labels = rng.integers(0, CLASSES, size=N).astype(np.uint8)
        with h5py.File(f"{tmp}/data.h5", "w") as f:
            f.create_dataset("test/images", data=images)
            f.create_dataset("test/labels", data=labels)
            f.attrs.create("class_names", [f"c{i}" for i in range(CLASSES)], dtype=h5py.string_dtype())
        model = ResNet()
        randomise(model, images)
        export_torch.write_weights(f"{tmp}/resnet.h5", model.state_dict())
        ref_model = ResNet()
        ref_model.load_state_dict(model.state_dict())
        ref_model = ref_model.double().eval()
        for p in ref_model.parameters():
            p.requires_grad_(False)
        with open(f"{tmp}/resnet.yaml", "w") as f:
            f.write(f"batch: 24\ndata:\n  file: {tmp}/data.h5\n{model_yaml(tmp + '/resnet.h5')}"
                    f"cam:\n  layer: layer2.relu2\noutput:\n  file: {tmp}/out.h5\n")
        keys = ("logits", "pred", "target", "gradcam/cam", "gradcam/cam_raw")
        for layer in LAYERS:
            out = f"{tmp}/r_{layer}.h5"
            tv.run([clcam, "run", f"{tmp}/resnet.yaml", "--quiet", "--set", f"cam.layer={layer}",
                    "--set", f"output.file={out}"])
            failures += tv.compare_gradcam(layer, tv.read_gradcam(out), ref_model, images, layer)

        # Buffer reuse changes memory, not bits.
        peak = {}
        for reuse in ("1", "0"):
            out = f"{tmp}/reuse{reuse}.h5"
            env = dict(os.environ, CLCAM_GRAPH_REUSE=reuse)
            stats = tv.run([clcam, "run", f"{tmp}/resnet.yaml", "--quiet", "--stats", "--set",
                            "cam.layer=layer1.add", "--set", f"output.file={out}"], env=env)
            peak[reuse] = json.loads(stats.strip().splitlines()[-1])["device_peak_bytes"]
        a, b = read(f"{tmp}/reuse1.h5", keys), read(f"{tmp}/reuse0.h5", keys)
        print(f"== buffer reuse, CAM at layer1.add, batch 24: device_peak_bytes {peak['1']} "
              f"(CLCAM_GRAPH_REUSE=0: {peak['0']})")
        if any(not np.array_equal(a[k], b[k]) for k in keys):
            failures.append("results differ with CLCAM_GRAPH_REUSE=0")
        if not peak["1"] < peak["0"]:
            failures.append(f"reuse does not save memory: {peak['1']} vs {peak['0']}")

        # Every CAM method at the last block (its ReLU: A >= 0), 32 images.
        names = list(tc.METHODS)
        out = f"{tmp}/r_all.h5"
        tv.run([clcam, "run", f"{tmp}/resnet.yaml", "--quiet", "--set", "cam.layer=layer2.relu2",
                "--set", "data.count=32", "--set", f"cam.methods=[{', '.join(names)}]",
                "--set", f"output.file={out}"])
        with h5py.File(out, "r") as f:
            R = {f"{m}/{k}": np.asarray(f[f"{m}/{k}"]) for m in names for k in ("cam", "cam_raw")}
            targets = np.asarray(f["target"]).astype(np.int64)
        ref = tv.methods(ref_model, images[:32], targets, names, "layer2.relu2")
        ck = tc.Checker()
        opts = type("opts", (), dict(raw_rel_tol=1e-5, cam_tol=tv.CAM_TOL, min_checked=0.8))
        print("== all eight methods at layer2.relu2 (the last block), 32 images")
        tc.compare_methods(ck, opts, names, R, ref, np.arange(32), 32, tv.RAW_FLOOR)
        ck.report()
        failures += ck.failures

    for f in failures:
        print("FAIL:", f)
    print("PASS" if not failures else f"FAILED: {len(failures)} checks")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
