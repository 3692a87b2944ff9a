#!/usr/bin/env python3
"""clcam on ONNX files that torch.onnx.export writes (model.onnx), against PyTorch in float64.

  torch_onnx.py CLCAM [--layers] [resnet mobilenet densenet resnet18 resnet18_224]

--layers: the same models and checks through model.layers with inputs:, as
tools/export_torch.py writes them (its torch.fx reading of the forward pass) with the weights
file, instead of model.onnx (ONNX tensor names are left out of the cam.layer cases).

Models (random weights, randomised BatchNorm statistics, eval mode, opset 13):
  resnet     CIFAR-style ResNet: basic blocks in layer1 and layer2, a 1x1 projection shortcut
             (BN folded into the convs by torch's export)
  mobilenet  MobileNetV2-style: inverted residuals (1x1 expand, depthwise 3x3, 1x1 project),
             ReLU6 (Clip), a residual add, dropout before the classifier
  densenet   a DenseNet-style block: concatenations and batchnorms on their own (exported with
             TrainingMode.PRESERVE, so the file keeps them; clcam folds the ones it can)
  resnet18   torchvision's resnet18 at 112x112, 8 images
  resnet18_224  the same at 224x224, 8 images, its blocks' add and second ReLU as modules of
             their own (same state_dict and arithmetic): inside a block (layer3.0.relu), at an
             add's output (layer3.1.add), at layer3 and at `auto`
For each: `clcam run` with Grad-CAM at a layer inside a block, at an add's (or concat's)
output, at the last block, each named by its PyTorch module path (one add by its ONNX tensor
name, `/layer1/layer1.0/add/Add_output_0`), and at `auto`, compared with
the hooked float64 algorithm of torch_vgg.py (logits, pred, cam_raw, cam, the tolerances of the
SimpleCNN tests); then all eight methods at the last block (torch_crosscheck.py's formulas) and
`clcam model FILE.onnx` (which must mark one `auto` row). Score-CAM's maps and the share of
maps compared tightly (min_checked 0.5, not torch_graph.py's 0.8: random deep nets give more
near-flat Grad-CAM maps, which are compared loosely) are as torch_crosscheck.py has them.
Grad-CAM's raw maps must match float64 Grad-CAM, or float64 Grad-CAM with the derivative of one
later ReLU flipped where its input lies within float32's own error of the kink (kink_flipped:
float32 may land on either side; the count of such maps is printed).
Score-CAM is left out on resnet18 (512 network runs per image). Exit 0 pass, 1 fail, 77 (SKIP)
without torch and h5py, or, after the others passed, without torchvision.
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
except ImportError as e:
    print(f"SKIP torch_onnx: {e} (apt-get install python3-torch python3-h5py)")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import torch_crosscheck as tc  # noqa: E402
import torch_vgg as tv  # noqa: E402  (hooked float64 Grad-CAM and methods, tolerances)
from torch_graph import Add, Block as Basic  # noqa: E402  (the add as a module, a basic block)

CLASSES = 10
KINK_MARGIN = 2.0  # kink_flipped: clcam's float32 error is of PyTorch's float32 error's size


class Cat(nn.Module):
    def forward(self, a, b):
        return torch.cat([a, b], 1)


# ---- (a) CIFAR-style ResNet ----

class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU()
        self.layer1 = nn.Sequential(Basic(16, 16, 1), Basic(16, 16, 1))
        self.layer2 = nn.Sequential(Basic(16, 32, 2), Basic(32, 32, 1))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, CLASSES)

    def forward(self, x):
        x = self.layer2(self.layer1(self.relu(self.bn1(self.conv1(x)))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


# ---- (b) MobileNetV2-style ----

def conv_bn_relu6(cin, cout, k, stride=1, groups=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU6())


class InvRes(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hid = cin * expand
        self.conv = nn.Sequential(nn.Conv2d(cin, hid, 1, bias=False), nn.BatchNorm2d(hid), nn.ReLU6(),
                                  nn.Conv2d(hid, hid, 3, stride, 1, groups=hid, bias=False),
                                  nn.BatchNorm2d(hid), nn.ReLU6(),
                                  nn.Conv2d(hid, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.res = stride == 1 and cin == cout
        self.add = Add()

    def forward(self, x):
        y = self.conv(x)
        return self.add(x, y) if self.res else y


class MobileNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(conv_bn_relu6(3, 16, 3), InvRes(16, 16, 1, 1),
                                      InvRes(16, 24, 2, 4), InvRes(24, 24, 1, 4),
                                      conv_bn_relu6(24, 64, 1))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(64, CLASSES))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


# ---- (c) DenseNet-style block ----

class DenseLayer(nn.Module):
    def __init__(self, cin, growth):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)          # reads a concat (or a conv with two readers)
        self.relu1 = nn.ReLU()
        self.conv1 = nn.Conv2d(cin, 4 * growth, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(4 * growth)   # folds into conv1
        self.relu2 = nn.ReLU()
        self.conv2 = nn.Conv2d(4 * growth, growth, 3, padding=1, bias=False)
        self.cat = Cat()

    def forward(self, x):
        return self.cat(x, self.conv2(self.relu2(self.bn2(self.conv1(self.relu1(self.bn1(x)))))))


class DenseNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv0 = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.block = nn.Sequential(DenseLayer(16, 8), DenseLayer(24, 8), DenseLayer(32, 8))
        self.norm5 = nn.BatchNorm2d(40)
        self.relu5 = nn.ReLU()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(40, CLASSES)

    def forward(self, x):
        x = self.relu5(self.norm5(self.block(self.conv0(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def resnet18():
    import torchvision
    return torchvision.models.resnet18(num_classes=CLASSES)


def _block_forward(self, x):
    """torchvision's BasicBlock.forward with its add and its second ReLU as modules of their own
    (the same ops on the same weights), so that a hook sees the add's output and the first
    ReLU's (torchvision calls one ReLU module twice and adds with `+=`)."""
    idt = x if self.downsample is None else self.downsample(x)
    y = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
    return self.relu2(self.add(y, idt))


def resnet18_hookable():
    """torchvision's resnet18, each block's add and second ReLU a module (_block_forward):
    state_dict and arithmetic unchanged; ONNX names the nodes /layer3/layer3.1/add/Add."""
    import types
    import torchvision
    net = torchvision.models.resnet18(num_classes=CLASSES)
    for m in net.modules():
        if isinstance(m, torchvision.models.resnet.BasicBlock):
            m.add, m.relu2 = Add(), nn.ReLU()
            m.forward = types.MethodType(_block_forward, m)
    return net


# name: (constructor, image size, images, [(cam.layer, module hooked)], methods' layer, preserve BN)
MODELS = {
    # one add named by its tensor, as Netron shows it (the node /layer1/layer1.0/add/Add's output)
    "resnet": (ResNet, 32, 64, [("layer1.0.relu1", "layer1.0.relu1"), ("layer1.1.add", "layer1.1.add"),
                                ("/layer1/layer1.0/add/Add_output_0", "layer1.0.add"),
                                ("layer2.1", "layer2.1"), ("auto", "layer2.1")], "layer2.1", False),
    "mobilenet": (MobileNet, 32, 64, [("features.2.conv.5", "features.2.conv.5"),
                                      ("features.3.add", "features.3.add"),
                                      ("features.4", "features.4"), ("auto", "features.4")],
                  "features.4", False),
    "densenet": (DenseNet, 32, 64, [("block.0.relu2", "block.0.relu2"), ("block.1.cat", "block.1.cat"),
                                    ("block", "block"), ("auto", "relu5")], "relu5", True),
    # torchvision's blocks call one ReLU module twice (hooks see the second call) and add with
    # `+=`: blocks are named whole here; the CIFAR ResNet checks inside a block and an add.
    "resnet18": (resnet18, 112, 8, [("layer3", "layer3"), ("layer4.0", "layer4.0"),
                                    ("layer4", "layer4"), ("auto", "layer4")], "layer4", False),
    # ImageNet's size, inside a block, at an add's output, at layer3's and at the last block; the
    # blocks' add and second ReLU as modules (resnet18_hookable) so that hooks see them. One
    # image's maps at layer3 match float64 only with a ReLU of layer4.1 on the other side of its
    # kink (kink_flipped)
    "resnet18_224": (resnet18_hookable, 224, 8, [("layer3.0.relu", "layer3.0.relu"),
                                                ("layer3.1.add", "layer3.1.add"),
                                                ("layer3", "layer3"), ("auto", "layer4")],
                     "layer4", False),
}


def last_linear(model):
    return [m for m in model.modules() if isinstance(m, nn.Linear)][-1]


def randomise(model, images):
    """Kaiming convs, random BN statistics and affine parameters; the classifier scaled so that
    the logits spread (std 3) and centred over these images."""
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
        fc, feats = last_linear(model), {}
        h = fc.register_forward_hook(lambda m, i, o: feats.__setitem__("x", i[0]))
        model(tc.preprocess(images, tc.DEFAULT_SCALE, tc.DEFAULT_MEAN, tc.DEFAULT_STD, torch.float32))
        h.remove()
        x = feats["x"]
        fc.weight.normal_(0, 1)
        fc.weight.mul_(3.0 / (x @ fc.weight.T).std().clamp_min(1e-12))
        fc.bias.copy_(-(x.mean(0) @ fc.weight.T))


def kink_flipped(ref_model, model32, images, targets, module):
    """Grad-CAM's raw maps (float64), one per ReLU or clip call after `module`, with the
    derivative flipped at that call's inputs that lie within KINK_MARGIN x float32's own error of a kink (PyTorch
    float32 against float64: the largest difference in that tensor of that image). float32
    (PyTorch's, or clcam's, which sums in other orders) may put such an input on the other
    side, and the gradient then differs by a whole step. On torchvision's resnet18 at 224x224
    one image has a pre-activation of layer4.1's last ReLU at 2e-8 of its tensor's largest:
    clcam's raw maps at layer3 differ from float64 Grad-CAM by 1.2x the tolerance there
    (2.88e-6) and from the reference with that ReLU flipped by 6e-8. A loosened tolerance would
    hide the reason, so each map must match the plain reference or one of these within the
    tolerance."""
    x64 = tc.preprocess(images, tc.DEFAULT_SCALE, tc.DEFAULT_MEAN, tc.DEFAULT_STD, torch.float64)
    kinks = (nn.ReLU, nn.Hardtanh)  # ReLU6 is a Hardtanh

    def bounds(m):
        return (m.min_val, m.max_val) if isinstance(m, nn.Hardtanh) else (0.0, float("inf"))

    def inputs(model, x):
        got, after, hs = [], [False], []
        for name, m in model.named_modules():
            if isinstance(m, kinks):
                hs.append(m.register_forward_pre_hook(
                    lambda m, i: got.append((after[0], *bounds(m), i[0].detach().double().clone()))))
        hs.append(dict(model.named_modules())[module].register_forward_hook(
            lambda m, i, o: after.__setitem__(0, True)))
        try:
            with torch.no_grad():
                model(x)
        finally:
            for h in hs:
                h.remove()
        return got
    a64, a32 = inputs(ref_model, x64), inputs(model32, x64.float())
    masks = []
    for (after, lo, hi, x), (_, _, _, y) in zip(a64, a32):
        err = (x - y).abs().flatten(1).amax(1).reshape((x.shape[0],) + (1,) * (x.dim() - 1))
        masks.append(torch.minimum((x - lo).abs(), (x - hi).abs()) < KINK_MARGIN * err if after else None)
    calls, hs, only = [0], [], [None]

    def flip(m, i, o):
        k = calls[0]
        calls[0] += 1
        if k != only[0]:
            return o
        x = i[0]
        lo, hi = bounds(m)
        passed = ((x > lo) & (x < hi)).to(x.dtype)
        s = (1 - 2 * passed) * masks[k].to(x.dtype)  # +1: now passes, -1: now blocks
        return o + s * x - (s * x).detach()
    saved, flipped = {}, []
    for name, m in ref_model.named_modules():
        if isinstance(m, kinks):
            saved[name], m.inplace = getattr(m, "inplace", False), False  # flip reads the input
            hs.append(m.register_forward_hook(flip))
    try:
        for k, mask in enumerate(masks):  # one call at a time: flips elsewhere stay as they are
            if mask is not None and bool(mask.any()):
                calls[0], only[0] = 0, k
                flipped.append(tv.gradcam(ref_model, images, targets, module)[1])
    finally:
        for h in hs:
            h.remove()
        for name, m in ref_model.named_modules():
            if name in saved:
                m.inplace = saved[name]
    return flipped


def check_gradcam(R, ref_model, model32, images, module, label, failures):
    n = len(images)
    logits, raw, cam, up_range = tv.gradcam(ref_model, images, R["target"].astype(np.int64), module)
    raw_flips = kink_flipped(ref_model, model32, images, R["target"].astype(np.int64), module)
    e_logit = np.abs(R["logits"] - logits) / (1 + np.abs(logits))
    top2 = np.sort(logits, 1)[:, -2:]
    tie = (top2[:, 1] - top2[:, 0]) < tv.LOGIT_TOL
    bad_pred = (R["pred"] != logits.argmax(1)) & ~tie
    if raw.shape != R["gradcam/cam_raw"].shape:
        failures.append(f"{label}: cam_raw shape {R['gradcam/cam_raw'].shape}, torch {raw.shape}")
        return
    rmax = raw.reshape(n, -1).max(1)
    med = float(np.median(rmax[rmax > 0])) if (rmax > 0).any() else 0.0
    e_plain = np.abs(R["gradcam/cam_raw"] - raw).reshape(n, -1).max(1)
    e_flip = np.full(n, np.inf)
    for raw_flip in raw_flips:
        e_flip = np.minimum(e_flip, np.abs(R["gradcam/cam_raw"] - raw_flip).reshape(n, -1).max(1))
    e_raw = np.minimum(e_plain, e_flip)  # kink_flipped: float32 may take either side
    flipped = int((e_flip < e_plain).sum())
    raw_allowed = tv.RAW_REL * rmax + tv.RAW_FLOOR * med
    keep = up_range >= tv.COND_FRAC * med
    e_cam = np.abs(R["gradcam/cam"] - cam).reshape(n, -1).max(1)
    print(f"== {label} (torch module {module}, map {raw.shape[1]}x{raw.shape[2]}): logits max "
          f"|a-b|/(1+|b|) {e_logit.max():.3g}; pred mismatches {int(bad_pred.sum())} (near ties "
          f"{int(tie.sum())}); cam_raw max |a-b| {e_raw.max():.3g} (max ratio to allowed "
          f"{np.max(e_raw / np.maximum(raw_allowed, 1e-30)):.3g}; {flipped} maps nearer the "
          f"kink-flipped reference, against float64 as is {e_plain.max():.3g}); cam max |a-b| "
          f"{e_cam[keep].max() if keep.any() else 0:.3g} on {int(keep.sum())} maps")
    if e_logit.max() > tv.LOGIT_TOL:
        failures.append(f"{label}: logits off by {e_logit.max():.3g} (1+|b|)")
    if bad_pred.any():
        failures.append(f"{label}: pred differs on {int(bad_pred.sum())} images")
    if np.any(e_raw > raw_allowed):
        failures.append(f"{label}: cam_raw off by {e_raw.max():.3g}")
    if keep.any() and e_cam[keep].max() > tv.CAM_TOL:
        failures.append(f"{label}: cam off by {e_cam[keep].max():.3g}")
    if keep.sum() < (n + 1) // 2:
        failures.append(f"{label}: only {int(keep.sum())} well-conditioned maps")


def read(path, keys):
    with h5py.File(path, "r") as f:
        return {k: np.asarray(f[k]) for k in keys}


def export_layers(model, name, tmp):
    """model.layers with inputs: and the weights file, as tools/export_torch.py writes them for
    MODELS[name]'s constructor (--model torch_onnx:CTOR); returns the YAML block."""
    pth, block = f"{tmp}/{name}.pth", f"{tmp}/{name}_layers.yaml"
    torch.save(model.state_dict(), pth)
    env = dict(os.environ, PYTHONPATH=HERE + os.pathsep + os.environ.get("PYTHONPATH", ""))
    printed = tv.run([sys.executable, f"{ROOT}/tools/export_torch.py", pth, f"{tmp}/{name}.h5",
                      "--model", f"torch_onnx:{MODELS[name][0].__name__}", "--yaml", block], env=env)
    with open(block) as f:
        text = f.read()
    if text != printed:
        raise AssertionError(f"{name}: export_torch.py printed another block than --yaml wrote")
    return text


def check_model(clcam, tmp, name, failures, via="onnx"):
    """MODELS[name] through clcam, from the ONNX file torch.onnx.export writes (via "onnx") or
    from model.layers with inputs: as tools/export_torch.py writes it (via "layers")."""
    ctor, size, n, layers, mlayer, preserve = MODELS[name]
    rng = np.random.default_rng(11)
    images = tc.smooth_images(rng, n, size)
    labels = rng.integers(0, CLASSES, size=n).astype(np.uint8)
    data = f"{tmp}/{name}_data.h5"
    with h5py.File(data, "w") as f:
        f.create_dataset("test/images", data=images)
        f.create_dataset("test/labels", data=labels)
        f.attrs.create("class_names", [f"c{i}" for i in range(CLASSES)], dtype=h5py.string_dtype())
    model = ctor()
    randomise(model, images)
    if via == "onnx":
        src = f"{tmp}/{name}.onnx"
        mode = torch.onnx.TrainingMode.PRESERVE if preserve else torch.onnx.TrainingMode.EVAL
        torch.onnx.export(model, torch.zeros(1, 3, size, size), src, opset_version=13, training=mode)
        model_yaml = f"model:\n  onnx: {src}\n"
    else:
        model_yaml = export_layers(model, name, tmp)
        if "inputs: [" not in model_yaml:
            failures.append(f"{name}: export_torch.py wrote no inputs: for a graph model")
        layers = [(c, m) for c, m in layers if not c.startswith("/")]  # ONNX tensor names
    ref_model = ctor()
    ref_model.load_state_dict(model.state_dict())
    ref_model = ref_model.double().eval()
    model32 = ctor()  # float32 PyTorch: how far float32 itself lands from float64 (kink_flipped)
    model32.load_state_dict(model.state_dict())
    model32.eval()
    for p in ref_model.parameters():
        p.requires_grad_(False)

    cfg = f"{tmp}/{name}.yaml"
    with open(cfg, "w") as f:
        f.write(f"batch: 16\ndata:\n  file: {data}\n{model_yaml}output:\n  file: {tmp}/out.h5\n")
    table = tv.run([clcam, "model", src if via == "onnx" else cfg])
    auto_rows = [l for l in table.splitlines() if l.endswith("<- auto")]
    print(f"== {name} ({via}): clcam model: {len(table.splitlines()) - 4} layers, "
          f"auto: {auto_rows[0].split()[1] if auto_rows else None}")
    if preserve and " batchnorm " not in table:
        failures.append(f"{name}: no batchnorm layer of its own in the table")
    if len(auto_rows) != 1:
        failures.append(f"{name}: clcam model marks {len(auto_rows)} auto rows")

    keys = ("logits", "pred", "target", "gradcam/cam", "gradcam/cam_raw")
    for cam_layer, module in layers:
        out = f"{tmp}/{name}_{cam_layer.replace('/', '_')}.h5"
        tv.run([clcam, "run", cfg, "--quiet", "--set", f"cam.layer={cam_layer}",
                "--set", f"output.file={out}"])
        check_gradcam(read(out, keys), ref_model, model32, images, module, f"{name} cam.layer {cam_layer}",
                      failures)

    # Every CAM method at the last block (A >= 0 there); not Score-CAM on resnet18, whose 512
    # channels x 8 images forward passes would take minutes here.
    names = [m for m in tc.METHODS if not (name.startswith("resnet18") and m == "scorecam")]
    k = min(n, 32)
    out = f"{tmp}/{name}_all.h5"
    tv.run([clcam, "run", cfg, "--quiet", "--set", f"cam.layer={mlayer}", "--set", f"data.count={k}",
            "--set", f"cam.methods=[{', '.join(names)}]", "--set", f"output.file={out}"])
    with h5py.File(out, "r") as f:
        R = {f"{m}/{q}": np.asarray(f[f"{m}/{q}"]) for m in names for q in ("cam", "cam_raw")}
        targets = np.asarray(f["target"]).astype(np.int64)
    ref = tv.methods(ref_model, images[:k], targets, names, mlayer)
    ck = tc.Checker()
    opts = type("opts", (), dict(raw_rel_tol=1e-5, cam_tol=tv.CAM_TOL, min_checked=0.5))
    print(f"== {name}: {len(names)} methods at {mlayer} (the last block), {k} images")
    tc.compare_methods(ck, opts, names, R, ref, np.arange(k), k, tv.RAW_FLOOR)
    ck.report()
    failures += [f"{name}: {x}" for x in ck.failures]


def main():
    if len(sys.argv) < 2:
        print("usage: torch_onnx.py CLCAM [--layers] [MODEL...]", file=sys.stderr)
        return 2
    clcam = sys.argv[1]
    via = "layers" if "--layers" in sys.argv[2:] else "onnx"
    which = [a for a in sys.argv[2:] if a != "--layers"] or list(MODELS)
    failures, skipped = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name in which:
            if name.startswith("resnet18"):
                try:
                    import torchvision  # noqa: F401
                except ImportError as e:
                    skipped.append(f"{name}: {e} (apt-get install python3-torchvision)")
                    continue
            check_model(clcam, tmp, name, failures, via)
    for f in failures:
        print("FAIL:", f)
    if not failures and skipped:
        print("SKIP (part of torch_onnx): " + "; ".join(skipped) + "; the rest passed")
        return 77
    print("PASS" if not failures else f"FAILED: {len(failures)} checks")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
