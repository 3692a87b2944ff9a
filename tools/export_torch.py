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

A graph model (residual adds, concatenations) gets `inputs: [name, ...]` on the entries that
do not read the one before them: the forward pass is traced with torch.fx, one entry per call of
a leaf module (named by its module path; a module without weights called twice, like
torchvision's block ReLU, gets `_1` on the second call), `a + b`, `torch.cat([...], 1)`,
`F.relu`, `torch.flatten(x, 1)` and `F.adaptive_avg_pool2d(x, 1)` as layers named as fx names
them, and a module of your own without children whose forward is one add or cat (an `Add` or
`Cat` module) as an `add` or `concat` named by its path, so that cam.layer names what a hook on
it sees. A forward that fx cannot trace is read as Sequential-style.

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
        out.append(module_entry(path, m))
    return out


def module_entry(path, m, name=None):
    """The model.layers entry of the leaf module m at `path` (its weights' prefix), named
    `name` (default: path)."""
    if not NAME_RE.fullmatch(name or path):
        raise ValueError(f"{path}: clcam names layers by module paths of letters, digits "
                         "and '_' joined by dots; rename this module")
    name = yaml_name(name or path)
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
        return e + (", bias: false}" if m.bias is None else "}")
    elif isinstance(m, nn.BatchNorm2d):
        if not m.track_running_stats or m.running_mean is None:
            raise ValueError(f"{path}: BatchNorm2d without running statistics")
        if not m.affine:
            raise ValueError(f"{path}: BatchNorm2d(affine=False) is not supported")
        return f"{{type: batchnorm, name: {name}, eps: {m.eps:g}}}"
    elif isinstance(m, nn.ReLU):
        return f"{{type: relu, name: {name}}}"
    elif isinstance(m, nn.Hardtanh):  # ReLU6 is Hardtanh(0, 6)
        return f"{{type: clip, name: {name}, min: {float(m.min_val)!r}, max: {float(m.max_val)!r}}}"
    elif isinstance(m, nn.ZeroPad2d):
        left, right, top, bottom = (int(v) for v in m.padding)
        if min(left, right, top, bottom) < 0:
            raise ValueError(f"{path}: ZeroPad2d with negative padding (a crop) is not supported")
        return f"{{type: pad, name: {name}, pads: [{top}, {left}, {bottom}, {right}]}}"
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
        return e + "}"
    elif isinstance(m, nn.AdaptiveAvgPool2d):
        size = m.output_size if isinstance(m.output_size, (tuple, list)) else (m.output_size,)
        if any(v != 1 for v in size):
            raise ValueError(f"{path}: only AdaptiveAvgPool2d(1) (global average pooling)")
        return f"{{type: avgpool, name: {name}, global: true}}"
    elif isinstance(m, nn.Flatten):
        if m.start_dim != 1 or m.end_dim != -1:
            raise ValueError(f"{path}: only Flatten(start_dim=1)")
        return f"{{type: flatten, name: {name}}}"
    elif isinstance(m, (nn.Dropout, nn.Dropout2d)):
        return f"{{type: dropout, name: {name}}}"
    elif isinstance(m, nn.Linear):
        return f"{{type: linear, name: {name}, out: {m.out_features}}}"
    else:
        raise ValueError(f"{path}: {type(m).__name__} is not supported by clcam")


def _func_kind(fn, args, kwargs, what):
    """The model.layers type of a function call in a forward pass: (type, extra fields)."""
    import operator
    if fn in (operator.add, operator.iadd, torch.add, "add", "add_", "__add__", "__iadd__"):
        if kwargs.get("alpha", 1) != 1 or len(args) != 2:
            raise ValueError(f"{what}: add with alpha or other than two tensors")
        return "add", ""
    if fn in (torch.cat, getattr(torch, "concat", torch.cat)):
        dim = kwargs.get("dim", args[1] if len(args) > 1 else 0)
        if dim not in (1, -3):
            raise ValueError(f"{what}: torch.cat along dim {dim}; clcam joins channels (dim 1)")
        return "concat", ""
    if fn in (F.relu, torch.relu, "relu", "relu_"):
        return "relu", ""
    if fn in (torch.flatten, "flatten"):
        start = kwargs.get("start_dim", args[1] if len(args) > 1 else 0)
        end = kwargs.get("end_dim", args[2] if len(args) > 2 else -1)
        if start != 1 or end != -1:
            raise ValueError(f"{what}: flatten from dim {start} to {end}; clcam flattens from dim 1")
        return "flatten", ""
    if fn is F.adaptive_avg_pool2d and (args[1] if len(args) > 1 else kwargs.get("output_size")) in (1, (1, 1)):
        return "avgpool", ", global: true"
    name = getattr(fn, "__name__", fn)
    raise ValueError(f"{what}: {name} is not supported by clcam (graph models: modules, and "
                     "add, torch.cat(dim=1), relu, flatten(1), adaptive_avg_pool2d(1) as functions)")


def _tensor_args(node):
    """The fx nodes a call reads, in order (torch.cat's list flattened)."""
    import torch.fx as fx
    out = []
    for a in node.args:
        for x in (a if isinstance(a, (list, tuple)) else [a]):
            if isinstance(x, fx.Node):
                out.append(x)
    return out


def graph_entries(model):
    """model.layers entries with `inputs:` for a model whose forward is a graph (residual adds,
    concatenations), traced with torch.fx: one entry per call of a leaf module (named by its
    module path, which is also its weights' prefix; a parameter-free module called twice, like
    torchvision's block ReLU, gets `_1` on the second call) or of a supported function (named
    as fx names the call, made unique). A module without children that is not torch.nn's (an
    `Add` or `Cat` module whose forward is `a + b` or `torch.cat([a, b], 1)`) is one add or
    concat named by its path, so that cam.layer and a hook name the same tensor. Returns None
    when the forward is sequential (every call reads the one before it: layers_yaml then
    describes it as before) or cannot be traced."""
    import torch.fx as fx

    class Leaves(fx.Tracer):
        def is_leaf_module(self, m, qualname):
            return len(list(m.children())) == 0

    try:
        graph = Leaves().trace(model)
    except Exception:  # data-dependent control flow: the sequential reading stays
        return None
    names, entries, used, sequential = {}, [], set(), True
    calls = {}
    for node in graph.nodes:
        if node.op == "placeholder":
            if names:
                raise ValueError(f"forward({node.name}, ...): clcam runs models with one input")
            names[node] = "input"
            continue
        if node.op == "output":
            if entries and names.get(node.args[0]) != entries[-1][0]:
                raise ValueError("the forward's result is not its last call")
            continue
        if node.op == "get_attr":
            raise ValueError(f"{node.target}: a tensor attribute read in forward is not supported")
        ins = _tensor_args(node)
        what = node.target if node.op == "call_module" else node.name
        if node.op == "call_module":
            m = model.get_submodule(node.target)
            calls[node.target] = calls.get(node.target, 0) + 1
            name = node.target + (f"_{calls[node.target] - 1}" if calls[node.target] > 1 else "")
            if calls[node.target] > 1 and any(True for _ in m.parameters()):
                raise ValueError(f"{node.target}: a module with weights called twice; clcam needs "
                                 "one layer per call")
            if type(m).__module__.startswith("torch.nn"):
                entry = module_entry(node.target, m, name)
            else:  # a module of our own: its forward must be one add or cat
                inner = [n for n in fx.symbolic_trace(m).graph.nodes
                         if n.op in ("call_function", "call_method")]
                if len(inner) != 1:
                    raise ValueError(f"{node.target}: {type(m).__name__}'s forward is {len(inner)} "
                                     "calls; a module of its own must be one add or torch.cat")
                kind, extra = _func_kind(inner[0].target, inner[0].args, inner[0].kwargs, node.target)
                if not NAME_RE.fullmatch(name):
                    raise ValueError(f"{node.target}: rename this module (letters, digits, '_', dots)")
                entry = f"{{type: {kind}, name: {yaml_name(name)}{extra}}}"
        elif node.op in ("call_function", "call_method"):
            if node.target in (F.dropout, "dropout", "contiguous") or \
                    getattr(node.target, "__name__", "") == "dropout":
                names[node] = names[ins[0]]  # the identity at inference
                continue
            kind, extra = _func_kind(node.target, node.args, node.kwargs, node.name)
            name = node.name
            while name in used:
                name += "_"
            entry = f"{{type: {kind}, name: {name}{extra}}}"
        else:
            raise ValueError(f"{node.name}: fx op {node.op} is not supported")
        if name in used:
            raise ValueError(f"{name}: two layers of this name")
        used.add(name)
        reads = [names[x] for x in ins]
        prev = entries[-1][0] if entries else "input"
        if reads != [prev]:
            sequential = False
            entry = entry[:-1] + ", inputs: [" + ", ".join(yaml_name(r) for r in reads) + "]}"
        names[node] = name
        entries.append((name, entry))
    return None if sequential else [e for _, e in entries]


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
        entries = graph_entries(model) or layers_yaml(model)
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
