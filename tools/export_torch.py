#!/usr/bin/env python3
"""Export a PyTorch CNN for clcam: the weights file (h5py) and the matching model.layers YAML.

  export_torch.py MODEL.pth OUT.h5
      a SimpleCNN state_dict (the built-in preset, model.arch: simplecnn)
  export_torch.py MODEL.pth OUT.h5 --model 'nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), ...)'
  export_torch.py MODEL.pth OUT.h5 --model mypackage.models:make_vgg
      any nn.Sequential-style model: --model is a Python expression (torch, nn and F are in
      scope) or module:function (called without arguments); MODEL.pth is its state_dict (or a
      whole pickled module), loaded with strict=True. Prints the model.layers block to paste
      under `model:` in a clcam config (--yaml FILE writes it to a file as well).

"Sequential-style" means the forward pass applies the model's leaf modules in the order they
were registered, one after the other (nn.Sequential, nested Sequentials, or a module whose
forward does the same). Supported leaves: Conv2d (square kernel, symmetric padding, any groups,
depthwise included, dilation=1, bias or not), BatchNorm2d (eval mode: running statistics;
clcam folds it into the conv right before it, or applies it on its own after anything else),
ReLU, ReLU6 and Hardtanh (type clip), MaxPool2d and AvgPool2d (floor mode, padding,
count_include_pad; not ceil_mode, dilation or divisor_override), ZeroPad2d (type pad),
AdaptiveAvgPool2d(1) (a global average pool), Flatten (start_dim=1), Dropout, Linear. Each layer's `name` is its
state_dict prefix, its module path (features.0; a plain nn.Sequential's 0, 1, ...; nested
Sequentials' features.0.1), so cam.layer can name any of them (cam.layer: "4"). Names that
start with a digit are printed quoted, so that every YAML reader keeps them strings.

Needs torch, numpy and h5py (Debian: python3-torch python3-numpy python3-h5py; pip: torch
numpy h5py); without one it says which, in one line, and exits 2. docs/file_formats.md in the
repository describes the weights file it writes.

The weights file holds one float32 dataset per floating-point state_dict entry, its key's dots
turned into groups (features.0.weight -> /features/0/weight); BatchNorm's integer
num_batches_tracked is left out. Root attributes input_mean and input_std record --mean/--std.
"""
import argparse
import importlib
import json
import re
import sys

# Which Debian package and which pip package provide each module this tool needs.
PACKAGES = (("numpy", "python3-numpy", "numpy"), ("h5py", "python3-h5py", "h5py"),
            ("torch", "python3-torch", "torch"))


def _require():
    """Imports the modules in turn; one that fails gets one line naming it and the package
    that provides it (no traceback), exit 2."""
    for name, deb, pip in PACKAGES:
        try:
            importlib.import_module(name)
        except ImportError as e:
            print(f"export_torch.py: cannot import {name} ({e}); install it with 'apt-get install "
                  f"{deb}' (Debian, Ubuntu) or 'pip install {pip}'", file=sys.stderr)
            sys.exit(2)


try:
    import h5py
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    if __name__ != "__main__":
        raise
    h5py = np = torch = nn = F = None  # main() says which is missing, after --help had its turn

DEFAULT_MEAN = (0.4914, 0.4822, 0.4465)
DEFAULT_STD = (0.2470, 0.2435, 0.2616)


def simplecnn(classes=10):
    """clcam's built-in preset (model.arch: simplecnn), as a Sequential-compatible module."""

    class SimpleCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 32, 3, padding=1)
            self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
            self.conv3 = nn.Conv2d(64, 128, 3, padding=1)
            self.fc1 = nn.Linear(2048, 512)
            self.fc2 = nn.Linear(512, classes)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = F.max_pool2d(F.relu(self.conv3(x)), 2)
            return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))

    return SimpleCNN()


def build_model(spec):
    """--model: module:function, or a Python expression."""
    if ":" in spec and "(" not in spec:
        mod, fn = spec.split(":", 1)
        return getattr(importlib.import_module(mod), fn)()
    return eval(spec, {"torch": torch, "nn": nn, "F": F})  # the user's own expression


def _pair(v, what, name):
    if isinstance(v, (tuple, list)):
        if len(set(v)) != 1:
            raise ValueError(f"{name}: {what} {tuple(v)} is not square; clcam supports square ones")
        v = v[0]
    return int(v)


NAME_RE = re.compile(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*")  # clcam's layer-name rule


def yaml_name(name):
    """A module path as a YAML scalar: quoted where it starts with a digit (nn.Sequential's
    "0", "1.0"), so that YAML readers with a schema keep it a string."""
    return json.dumps(name) if name[:1].isdigit() else name


def layers_yaml(model):
    """model.layers entries (a list of strings) for a Sequential-style model."""
    out = []
    for path, m in model.named_modules():
        if len(list(m.children())) > 0 or isinstance(m, nn.Sequential):
            continue  # containers: their leaves follow
        if not path:
            raise ValueError("the model is a single layer, not a network")
        if not NAME_RE.fullmatch(path):
            raise ValueError(f"{path}: clcam names layers by module paths of letters, digits "
                             "and '_' joined by dots; rename this module")
        name = yaml_name(path)
        if isinstance(m, nn.Conv2d):
            k = _pair(m.kernel_size, "kernel", path)
            s = _pair(m.stride, "stride", path)
            if isinstance(m.padding, str):
                raise ValueError(f"{path}: padding='{m.padding}'; give it as a number")
            p = _pair(m.padding, "padding", path)
            if _pair(m.dilation, "dilation", path) != 1:
                raise ValueError(f"{path}: dilation {m.dilation} is not supported yet (1 only)")
            if m.padding_mode != "zeros":
                raise ValueError(f"{path}: padding_mode='{m.padding_mode}' is not supported (zeros only)")
            e = f"{{type: conv, name: {name}, out: {m.out_channels}, kernel: {k}, stride: {s}, padding: {p}"
            if m.groups != 1:
                e += f", groups: {m.groups}"
            out.append(e + (", bias: false}" if m.bias is None else "}"))
        elif isinstance(m, nn.BatchNorm2d):
            if not m.track_running_stats or m.running_mean is None:
                raise ValueError(f"{path}: BatchNorm2d without running statistics")
            if not m.affine:
                raise ValueError(f"{path}: BatchNorm2d(affine=False) is not supported")
            out.append(f"{{type: batchnorm, name: {name}, eps: {m.eps:g}}}")
        elif isinstance(m, nn.ReLU):
            out.append(f"{{type: relu, name: {name}}}")
        elif isinstance(m, nn.Hardtanh):  # ReLU6 is Hardtanh(0, 6)
            out.append(f"{{type: clip, name: {name}, min: {float(m.min_val)!r}, max: {float(m.max_val)!r}}}")
        elif isinstance(m, nn.ZeroPad2d):
            left, right, top, bottom = (int(v) for v in m.padding)
            if min(left, right, top, bottom) < 0:
                raise ValueError(f"{path}: ZeroPad2d with negative padding (a crop) is not supported")
            out.append(f"{{type: pad, name: {name}, pads: [{top}, {left}, {bottom}, {right}]}}")
        elif isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
            kind = "maxpool" if isinstance(m, nn.MaxPool2d) else "avgpool"
            k = _pair(m.kernel_size, "kernel", path)
            s = _pair(m.stride if m.stride is not None else m.kernel_size, "stride", path)
            p = _pair(m.padding, "padding", path)
            if m.ceil_mode:
                raise ValueError(f"{path}: ceil_mode=True is not supported yet (floor mode only)")
            if kind == "maxpool" and _pair(m.dilation, "dilation", path) != 1:
                raise ValueError(f"{path}: dilation {m.dilation} is not supported yet (1 only)")
            if kind == "avgpool" and m.divisor_override is not None:
                raise ValueError(f"{path}: divisor_override is not supported")
            e = f"{{type: {kind}, name: {name}, kernel: {k}, stride: {s}"
            if p:
                e += f", padding: {p}"
                if kind == "avgpool" and not m.count_include_pad:
                    e += ", count_include_pad: false"
            out.append(e + "}")
        elif isinstance(m, nn.AdaptiveAvgPool2d):
            size = m.output_size if isinstance(m.output_size, (tuple, list)) else (m.output_size,)
            if any(v != 1 for v in size):
                raise ValueError(f"{path}: only AdaptiveAvgPool2d(1) (global average pooling)")
            out.append(f"{{type: avgpool, name: {name}, global: true}}")
        elif isinstance(m, nn.Flatten):
            if m.start_dim != 1 or m.end_dim != -1:
                raise ValueError(f"{path}: only Flatten(start_dim=1)")
            out.append(f"{{type: flatten, name: {name}}}")
        elif isinstance(m, (nn.Dropout, nn.Dropout2d)):
            out.append(f"{{type: dropout, name: {name}}}")
        elif isinstance(m, nn.Linear):
            out.append(f"{{type: linear, name: {name}, out: {m.out_features}}}")
        else:
            raise ValueError(f"{path}: {type(m).__name__} is not supported by clcam")
    return out


def last_spatial(model):
    """The module path of the last leaf before the first flatten, global pool or linear layer:
    the deepest layer whose output is still a map (None if there is none)."""
    last = None
    for path, m in model.named_modules():
        if len(list(m.children())) > 0 or isinstance(m, nn.Sequential) or not path:
            continue
        if isinstance(m, (nn.Flatten, nn.AdaptiveAvgPool2d, nn.Linear)):
            break
        if not isinstance(m, (nn.Dropout, nn.Dropout2d)):
            last = path
    return last


def write_weights(path, state_dict, mean=DEFAULT_MEAN, std=DEFAULT_STD):
    """One float32 dataset per floating-point state_dict entry, dots -> groups."""
    with h5py.File(path, "w") as f:
        for k, v in state_dict.items():
            if not torch.is_floating_point(v):
                continue  # num_batches_tracked
            f.create_dataset(k.replace(".", "/"), data=v.detach().cpu().numpy().astype(np.float32))
        f.attrs["input_mean"] = np.asarray(mean, np.float32)
        f.attrs["input_std"] = np.asarray(std, np.float32)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("pth", help="state_dict (.pth) or a pickled nn.Module")
    p.add_argument("out", help="weights file to write (.h5)")
    p.add_argument("--model", help="Python expression or module:function giving the model "
                   "(default: clcam's SimpleCNN preset)")
    p.add_argument("--yaml", help="also write the model.layers block to this file")
    p.add_argument("--mean", type=float, nargs=3, default=list(DEFAULT_MEAN))
    p.add_argument("--std", type=float, nargs=3, default=list(DEFAULT_STD))
    a = p.parse_args(argv)
    _require()

    obj = torch.load(a.pth, map_location="cpu")
    if isinstance(obj, nn.Module):
        model, sd = obj, obj.state_dict()
    else:
        sd = obj.get("state_dict", obj) if isinstance(obj, dict) else obj
        if a.model:
            model = build_model(a.model)
        else:
            classes = sd["fc2.weight"].shape[0] if "fc2.weight" in sd else 10
            model = simplecnn(classes)
        model.load_state_dict(sd, strict=True)  # names and shapes must match the model
    model.eval()
    write_weights(a.out, model.state_dict(), a.mean, a.std)
    if not a.model and not isinstance(obj, nn.Module):
        print(f"wrote {a.out} (SimpleCNN; use model.arch: simplecnn)", file=sys.stderr)
        return 0
    try:
        entries = layers_yaml(model)
    except ValueError as e:
        print(f"export_torch.py: {e}", file=sys.stderr)
        return 2
    block = "model:\n  weights: " + json.dumps(a.out) + "\n  layers:\n" + "".join(f"    - {e}\n" for e in entries)
    sys.stdout.write(block)
    if a.yaml:
        with open(a.yaml, "w") as f:
            f.write(block)
    spatial = last_spatial(model)
    print(f"wrote {a.out} ({len(entries)} layers)" +
          (f"; cam.layer can name any layer with a spatial output, the last being "
           f"{yaml_name(spatial)}" if spatial else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
