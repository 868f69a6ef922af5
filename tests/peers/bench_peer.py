#!/usr/bin/env python3
"""A plain reference pipeline for `mura bench pipeline --peer`: what a department's own script would do.

pydicom reads each file, numpy applies the grayscale pipeline (modality LUT, the file's first VOI window or the
0.5/99.5 percentiles, MONOCHROME1 inverted, 8 bits), PIL reduces it to a long side of 512 (box filter) and then to
the model's input size, and PyTorch runs the network in batches of 16 on as many threads as we use.

The network is what a user who trained the model has at hand: the training code's own module (src/training/train.py,
`Exported(Backbone(...))`, built from the ONNX file's `mura.arch`, `mura.pool` and `mura.cam_stride`), in eval mode.
Its weights are left untrained (the export folds batch norm into the convolutions, so the file's weights do not load
into the module; the compute is the same): it times the peer, and its probabilities are not compared. `--network
graph` instead executes the ONNX file's own graph node by node with torch operators (the file's weights; its
probabilities agree with ours), which is also the fallback for a model the training code did not make.

Usage: bench_peer.py FILE_LIST MODEL.onnx [--threads 2] [--batch 16] [--network module|graph]
Prints one JSON object: views, seconds, views_per_second, network, and each view's probability.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import onnx
import pydicom
import torch
import torch.nn.functional as F
from onnx import numpy_helper
from PIL import Image


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


class OnnxInTorch:
    """Runs an ONNX graph with torch operators: enough of the operator set for the exported CNNs here."""

    def __init__(self, path):
        model = onnx.load(path)
        self.graph = model.graph
        self.opset = max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
        self.weights = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in self.graph.initializer}
        self.meta = {p.key: p.value for p in model.metadata_props}
        self.input = next(i.name for i in self.graph.input if i.name not in self.weights)

    def axes(self, node, a, env, position=1):
        if "axes" in a:
            return list(a["axes"])
        if len(node.input) > position and node.input[position]:
            return [int(x) for x in env[node.input[position]].tolist()]
        return None

    def __call__(self, x):
        env = dict(self.weights)
        env[self.input] = x
        for node in self.graph.node:
            a = attrs(node)
            i = [env[n] if n else None for n in node.input]
            op = node.op_type
            if op == "Conv":
                pads = a.get("pads", [0, 0, 0, 0])
                y = F.conv2d(i[0], i[1], i[2] if len(i) > 2 else None, stride=a.get("strides", [1, 1]), padding=(pads[0], pads[1]), dilation=a.get("dilations", [1, 1]), groups=a.get("group", 1))
            elif op == "Relu":
                y = F.relu(i[0])
            elif op == "Sigmoid":
                y = torch.sigmoid(i[0])
            elif op == "MaxPool":
                pads = a.get("pads", [0, 0, 0, 0])
                y = F.max_pool2d(i[0], a["kernel_shape"], a.get("strides", a["kernel_shape"]), (pads[0], pads[1]), ceil_mode=bool(a.get("ceil_mode", 0)))
            elif op == "AveragePool":
                pads = a.get("pads", [0, 0, 0, 0])
                y = F.avg_pool2d(i[0], a["kernel_shape"], a.get("strides", a["kernel_shape"]), (pads[0], pads[1]), ceil_mode=bool(a.get("ceil_mode", 0)), count_include_pad=bool(a.get("count_include_pad", 0)))
            elif op == "GlobalAveragePool":
                y = i[0].mean(dim=(2, 3), keepdim=True)
            elif op == "BatchNormalization":
                y = F.batch_norm(i[0], i[3], i[4], i[1], i[2], False, 0.0, a.get("epsilon", 1e-5))
            elif op == "Concat":
                y = torch.cat(i, dim=a["axis"])
            elif op in ("ReduceMean", "ReduceSum", "ReduceLogSumExp", "ReduceMax"):
                ax = self.axes(node, a, env)
                keep = bool(a.get("keepdims", 1))
                ax = ax if ax is not None else list(range(i[0].dim()))
                fn = {"ReduceMean": torch.mean, "ReduceSum": torch.sum, "ReduceLogSumExp": torch.logsumexp, "ReduceMax": torch.amax}[op]
                y = fn(i[0], dim=ax, keepdim=keep)
            elif op in ("Mul", "Add", "Sub", "Div"):
                y = {"Mul": torch.mul, "Add": torch.add, "Sub": torch.sub, "Div": torch.div}[op](i[0], i[1])
            elif op == "Constant":
                y = torch.from_numpy(numpy_helper.to_array(a["value"]).copy())
            elif op == "Flatten":
                y = torch.flatten(i[0], a.get("axis", 1))
            elif op == "Gemm":
                b = i[1].t() if a.get("transB", 0) else i[1]
                y = a.get("alpha", 1.0) * (i[0] @ b)
                if len(i) > 2 and i[2] is not None:
                    y = y + a.get("beta", 1.0) * i[2]
            elif op == "MatMul":
                y = i[0] @ i[1]
            elif op == "Reshape":
                y = i[0].reshape([int(s) if int(s) != 0 else i[0].shape[k] for k, s in enumerate(i[1].tolist())])
            elif op == "Squeeze":
                ax = self.axes(node, a, env)
                y = i[0].squeeze() if ax is None else i[0].squeeze(ax[0]) if len(ax) == 1 else i[0].squeeze(tuple(ax))
            elif op == "Unsqueeze":
                y = i[0]
                for ax in sorted(self.axes(node, a, env)):
                    y = y.unsqueeze(ax)
            elif op == "Transpose":
                y = i[0].permute(a["perm"])
            elif op == "Softmax":
                y = torch.softmax(i[0], dim=a.get("axis", -1))
            elif op == "Shape":
                y = torch.tensor(i[0].shape, dtype=torch.int64)
            elif op == "Gather":
                y = torch.index_select(i[0], a.get("axis", 0), i[1].reshape(-1).long()).reshape(i[1].shape if i[1].dim() else ())
            else:
                raise SystemExit(f"bench_peer: ONNX operator {op} is not supported by this peer")
            env[node.output[0]] = y
        return {o.name: env[o.name] for o in self.graph.output}


def derivative(path, max_side=512):
    ds = pydicom.dcmread(path)
    values = ds.pixel_array.astype(np.float64)
    values = values * float(getattr(ds, "RescaleSlope", 1) or 1) + float(getattr(ds, "RescaleIntercept", 0) or 0)
    center, width = getattr(ds, "WindowCenter", None), getattr(ds, "WindowWidth", None)
    if center is not None and width is not None:
        c = float(center[0] if isinstance(center, pydicom.multival.MultiValue) else center)
        w = float(width[0] if isinstance(width, pydicom.multival.MultiValue) else width)
        lo, hi = c - 0.5 - (w - 1) / 2, c - 0.5 + (w - 1) / 2
    else:
        lo, hi = np.percentile(values, [0.5, 99.5])
    eight = np.clip((values - lo) / max(hi - lo, 1e-9), 0, 1) * 255
    if ds.PhotometricInterpretation == "MONOCHROME1":
        eight = 255 - eight
    image = Image.fromarray(eight.astype(np.uint8))
    scale = max_side / max(image.size)
    if scale < 1:
        image = image.resize((max(1, round(image.size[0] * scale)), max(1, round(image.size[1] * scale))), Image.BOX)
    return image


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("files")
    ap.add_argument("model")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--network", choices=["module", "graph"], default="module")
    args = ap.parse_args(argv[1:])
    torch.set_num_threads(args.threads)
    files = [line.strip() for line in open(args.files) if line.strip()]
    graph = OnnxInTorch(args.model)
    meta = graph.meta
    size = (int(meta.get("mura.input.width", 224)), int(meta.get("mura.input.height", 224)))
    channels = int(meta.get("mura.input.channels", 3))
    mean = np.array([float(v) for v in meta.get("mura.input.mean", "0.485,0.456,0.406").split(",")], dtype=np.float32)
    std = np.array([float(v) for v in meta.get("mura.input.std", "0.229,0.224,0.225").split(",")], dtype=np.float32)
    net, network = (graph, "graph")
    if args.network == "module" and meta.get("mura.contract", "mura") == "mura" and "mura.arch" in meta:
        net, network = training_module(meta, channels), "module"
    mean = np.resize(mean, channels).reshape(channels, 1, 1)
    std = np.resize(std, channels).reshape(channels, 1, 1)

    started = time.perf_counter()
    probabilities = []
    with torch.inference_mode():
        for k in range(0, len(files), args.batch):
            batch = []
            for f in files[k:k + args.batch]:
                x = np.asarray(derivative(f).resize(size, Image.BILINEAR), dtype=np.float32) / 255.0
                batch.append((np.repeat(x[None], channels, axis=0) - mean) / std)
            out = net(torch.from_numpy(np.stack(batch).astype(np.float32)))
            p = out["abnormal"].reshape(-1)
            probabilities.extend(float(v) for v in p)
    seconds = time.perf_counter() - started
    print(json.dumps({"views": len(files), "seconds": seconds, "views_per_second": len(files) / seconds, "network": network, "probabilities": dict(zip(files, probabilities))}))


def training_module(meta, channels):
    """The training code's own network for the file's architecture, untrained, in eval mode; called as the graph is."""
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in (here, os.path.join(here, "..", "..", "src", "training")):
        if os.path.exists(os.path.join(candidate, "train.py")):
            sys.path.insert(0, candidate)
            break
    import train

    torch.manual_seed(0)
    backbone = train.Backbone(meta["mura.arch"], channels, None, pool=meta.get("mura.pool", "avg"), cam_stride=int(meta.get("mura.cam_stride", 16)))
    module = train.Exported(backbone).eval()

    def run(x):
        probability, parts, cam = module(x)
        return {"abnormal": probability, "body_part": parts, "cam": cam}

    return run


if __name__ == "__main__":
    main(sys.argv)
