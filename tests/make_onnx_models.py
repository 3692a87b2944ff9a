#!/usr/bin/python3
"""Exports the small models of tests/test_onnx.c with torch.onnx.export, at opset 11 and 17.

Usage: make_onnx_models.py OUTDIR
For each model NAME and opset OP it writes OUTDIR/NAME_opOP.onnx, exported with
training=PRESERVE so that batchnorms stay unfolded and initializers keep their state_dict names
and values, and OUTDIR/NAME.params: a line "name count" for every float tensor of the state_dict
(running stats included), whose float32 values follow one another as little-endian bytes in
OUTDIR/NAME.bin. Some models also come as torch exports them by default (eval: batchnorms folded
into convolutions, NAME_opOP_fused.onnx) and with a symbolic batch (NAME_opOP_dyn.onnx). Exits 77
(SKIP) when torch is missing. Where torchvision is installed, its resnet18 and mobilenet_v2 come
too (tv_NAME_op17.onnx, with tv_NAME.modules: the counts of Conv2d, BatchNorm2d and Linear)."""
import os
import sys

try:
    import torch
    import torch.nn as nn
except ImportError as e:  # the C test turns this into a SKIP with the reason
    print(f"SKIP: torch is missing ({e})")
    sys.exit(77)


class BasicBlock(nn.Module):
    """CIFAR ResNet basic block with a 1x1 projection shortcut (stride 2, 8 -> 16 channels)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(8, 16, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 16, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.shortcut = nn.Sequential(nn.Conv2d(8, 16, 1, 2, bias=False), nn.BatchNorm2d(16))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + self.shortcut(x))


class InvertedResidual(nn.Module):
    """MobileNetV2 inverted residual: expand 1x1, depthwise 3x3, ReLU6, project 1x1, add."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(8, 32, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU6(inplace=True),
            nn.Conv2d(32, 32, 3, 1, 1, groups=32, bias=False), nn.BatchNorm2d(32), nn.ReLU6(inplace=True),
            nn.Conv2d(32, 8, 1, bias=False), nn.BatchNorm2d(8))

    def forward(self, x):
        return x + self.conv(x)


class DenseBlock(nn.Module):
    """DenseNet-style: BN-ReLU-Conv on the concatenation of everything before (BN unfolded)."""

    def __init__(self):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(8)
        self.conv1 = nn.Conv2d(8, 4, 3, 1, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(12)
        self.conv2 = nn.Conv2d(12, 4, 3, 1, 1, bias=False)

    def forward(self, x):
        y1 = self.conv1(torch.relu(self.norm1(x)))
        x = torch.cat([x, y1], 1)
        y2 = self.conv2(torch.relu(self.norm2(x)))
        return torch.cat([x, y2], 1)


class Head(nn.Module):
    """Stem MaxPool 3x3 s2 p1, AvgPool with padding, then view(N, -1) and Linear (Gemm)."""

    def __init__(self, flatten):
        super().__init__()
        self.flatten = flatten
        self.conv = nn.Conv2d(3, 8, 3, 1, 1)
        self.pool = nn.MaxPool2d(3, 2, 1)
        self.avg = nn.AvgPool2d(3, 2, 1, count_include_pad=False)
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(8 * 4 * 4, 10)

    def forward(self, x):
        x = self.avg(self.pool(torch.relu(self.conv(x))))
        if self.flatten == "view":
            x = x.view(x.size(0), -1)
        elif self.flatten == "reshape":
            x = x.reshape(1, -1)
        else:
            x = torch.flatten(x, 1)
        return self.fc(self.drop(x))


class SoftmaxHead(nn.Module):
    """An op clcam does not read (Softmax) after a supported one."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        return torch.softmax(self.conv(x), 1)


class GapHead(nn.Module):
    """Global average pooling, AvgPool counting the padding, MatMul + Add as a linear layer."""

    def __init__(self):
        super().__init__()
        self.avg = nn.AvgPool2d(3, 1, 1, count_include_pad=True)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.w = nn.Parameter(torch.randn(8, 5))
        self.b = nn.Parameter(torch.randn(5))

    def forward(self, x):
        x = self.gap(self.avg(x)).flatten(1)
        return x @ self.w + self.b


MODELS = {
    "resblock": (BasicBlock, (1, 8, 8, 8)),
    "invres": (InvertedResidual, (1, 8, 8, 8)),
    "dense": (DenseBlock, (1, 8, 6, 6)),
    "head_view": (lambda: Head("view"), (1, 3, 16, 16)),
    "head_reshape": (lambda: Head("reshape"), (1, 3, 16, 16)),
    "head_flatten": (lambda: Head("flatten"), (1, 3, 16, 16)),
    "gaphead": (GapHead, (1, 8, 4, 4)),
    "big": (lambda: nn.Sequential(nn.Conv2d(64, 64, 3, 1, 1)), (1, 64, 4, 4)),
    "softmax": (SoftmaxHead, (1, 3, 4, 4)),
}
FUSED = ("resblock", "invres")   # also exported as torch does by default
DYNAMIC = ("head_view", "resblock")  # also exported with a symbolic batch


def main():
    import warnings
    warnings.filterwarnings("ignore")  # PRESERVE with constant folding: the model is in eval mode
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    for name, (make, shape) in MODELS.items():
        m = make()
        # Non-trivial running statistics, so a mix-up of mean and var shows.
        for mod in m.modules():
            if isinstance(mod, nn.BatchNorm2d):
                mod.running_mean.uniform_(-1, 1)
                mod.running_var.uniform_(0.5, 2)
                mod.weight.data.uniform_(0.5, 1.5)
                mod.bias.data.uniform_(-0.5, 0.5)
        m.eval()
        x = torch.randn(*shape)
        for opset in (11, 17):
            io = dict(opset_version=opset, input_names=["input"], output_names=["output"])
            torch.onnx.export(m, x, f"{out}/{name}_op{opset}.onnx",
                              training=torch.onnx.TrainingMode.PRESERVE, **io)
            if name in FUSED:
                torch.onnx.export(m, x, f"{out}/{name}_op{opset}_fused.onnx", **io)
            if name in DYNAMIC:
                torch.onnx.export(m, x, f"{out}/{name}_op{opset}_dyn.onnx",
                                  training=torch.onnx.TrainingMode.PRESERVE,
                                  dynamic_axes={"input": {0: "N"}, "output": {0: "N"}}, **io)
        write_params(m, f"{out}/{name}")
    n = len(MODELS)
    try:  # optional: torchvision's own models, when it is installed
        import torchvision.models as tv
        for name in ("resnet18", "mobilenet_v2"):
            m = getattr(tv, name)().eval()
            torch.onnx.export(m, torch.randn(1, 3, 224, 224), f"{out}/tv_{name}_op17.onnx", opset_version=17,
                              training=torch.onnx.TrainingMode.PRESERVE, input_names=["input"],
                              output_names=["output"])
            write_params(m, f"{out}/tv_{name}")
            with open(f"{out}/tv_{name}.modules", "w") as f:
                f.write(" ".join(str(sum(isinstance(x, t) for x in m.modules()))
                                 for t in (nn.Conv2d, nn.BatchNorm2d, nn.Linear)) + "\n")
            n += 1
    except ImportError:
        print("torchvision is missing: its models are left out")
    print(f"wrote {n} models at opsets 11 and 17 to {out}")


def write_params(m, stem):
    with open(f"{stem}.params", "w") as p, open(f"{stem}.bin", "wb") as b:
        for k, v in m.state_dict().items():
            if v.dtype != torch.float32:
                continue
            p.write(f"{k} {v.numel()}\n")
            b.write(v.contiguous().numpy().astype("<f4").tobytes())


if __name__ == "__main__":
    main()
