#!/usr/bin/env python3
"""Train an abnormality + body-part model on a MURA-layout tree and export it under MuraPipeline's ONNX contract.

Runs on Debian's python3-torch, python3-torchvision and python3-onnx (CPU or CUDA). Nothing is downloaded:
ImageNet weights, if wanted, come from a local file (--pretrained).

The contract (ARCHITECTURE.md): input `image` float32 [N,C,H,W]; outputs `abnormal` [N] (probability),
`body_part` [N,7] (logits, ELBOW FINGER FOREARM HAND HUMERUS SHOULDER WRIST) and `cam` [N,h,w] (the
abnormality class activation map, features x classifier weights, computed in the graph); C, H, W, mean and
std in the model's metadata_props.
"""
import argparse
import hashlib
import inspect
import json
import os
import random
import re
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

STUDY_TYPES = ["ELBOW", "FINGER", "FOREARM", "HAND", "HUMERUS", "SHOULDER", "WRIST"]
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
PATH_RE = re.compile(r"XR_([A-Z]+)/(patient\d+)/(study\d+)_(positive|negative)/[^/]+\.png$", re.I)


def area_weights(n_in, n_out):
    """The resampling matrix of MuraPipeline.Imaging.Resampler (area average when shrinking, bilinear when enlarging)."""
    m = np.zeros((n_out, n_in), dtype=np.float64)
    if n_out <= n_in:
        s = n_in / n_out
        for o in range(n_out):
            a, b = o * s, (o + 1) * s
            for i in range(int(a), min(n_in, int(np.ceil(b)))):
                m[o, i] = (min(i + 1, b) - max(i, a)) / s
    else:
        s = n_in / n_out
        for o in range(n_out):
            x = min(max((o + 0.5) * s - 0.5, 0), n_in - 1)
            x0 = int(x)
            x1 = min(x0 + 1, n_in - 1)
            f = x - x0
            m[o, x0] += 1 - f
            m[o, x1] += f
    return m


def load_resized(path, h, w):
    img = np.asarray(Image.open(path).convert("L"), dtype=np.float64)
    out = area_weights(img.shape[0], h) @ img @ area_weights(img.shape[1], w).T
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def scan(roots):
    """Images under one or more MURA-layout folders. With several (incremental exports, oldest first), a study that
    appears again (patientP/studyK with a corrected label or body part) is taken from the last folder only."""
    studies = {}
    for root in [roots] if isinstance(roots, str) else roots:
        found = {}
        for dirpath, _, files in os.walk(root):
            for f in sorted(files):
                p = os.path.join(dirpath, f).replace("\\", "/")
                m = PATH_RE.search(p)
                if m:
                    part = m.group(1).upper()
                    found.setdefault(m.group(2, 3), []).append((p, STUDY_TYPES.index(part), 1 if m.group(4).lower() == "positive" else 0, "/".join(m.group(1, 2, 3))))
        studies.update(found)
    items = [i for v in studies.values() for i in v]
    items.sort()
    return items


def read_boxes(root):
    """Lesion boxes from <root>/labels.csv (as `mura phantoms` writes it): {relative image path: [(x0, y0, x1, y1), ...]}."""
    boxes = {}
    if not isinstance(root, str):
        for r in root:
            boxes.update(read_boxes(r))
        return boxes
    path = os.path.join(root, "labels.csv")
    if not os.path.exists(path):
        return boxes
    import csv
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            for b in filter(None, (row.get("boxes") or "").split(";")):
                key, *c = b.split(" ")
                boxes.setdefault(key.upper(), []).append(tuple(int(v) for v in c))
    return boxes


def load_masks(root, items, h, w):
    """Per-image lesion masks at the model's input size; -1 where a positive image has no box (no supervision)."""
    boxes = read_boxes(root)
    masks = np.zeros((len(items), h, w), dtype=np.int8)
    for n, (p, _, label, _) in enumerate(items):
        key = "/".join(p.split("/")[-4:]).upper()
        if label == 1 and key not in boxes:
            masks[n] = -1
            continue
        if key in boxes:
            iw, ih = Image.open(p).size
            for x0, y0, x1, y1 in boxes[key]:
                masks[n, int(y0 * h / ih):int(np.ceil((y1 + 1) * h / ih)), int(x0 * w / iw):int(np.ceil((x1 + 1) * w / iw))] = 1
    return masks


def load_set(root, h, w, cache):
    items = scan(root)
    if not items:
        sys.exit(f"no MURA-layout images (XR_*/patient*/study*_positive|negative/*.png) under {root}")
    key = hashlib.sha256(json.dumps([root, h, w, [i[0] for i in items]]).encode()).hexdigest()[:16]
    cache_file = os.path.join(cache, f"mura-cache-{key}.npy") if cache else None
    if cache_file and os.path.exists(cache_file):
        x = np.load(cache_file)
    else:
        x = np.stack([load_resized(p, h, w) for p, *_ in items])
        if cache_file:
            os.makedirs(cache, exist_ok=True)
            np.save(cache_file, x)
    parts = np.array([i[1] for i in items])
    labels = np.array([i[2] for i in items], dtype=np.float32)
    studies = [i[3] for i in items]
    return x, parts, labels, studies, items


class Compact(nn.Module):
    """A small all-convolutional network for the bundled demo model: features → GAP → two linear heads."""

    def __init__(self, channels, cam_stride=16):
        super().__init__()
        # Four stride-2 stages give a CAM cell per 16 input pixels; --cam-stride 8 keeps the last stage at full
        # resolution, for a heatmap twice as fine (at about twice the compute).
        last = 2 if cam_stride == 16 else 1
        plan = [(channels, 16, 2), (16, 32, 2), (32, 32, 1), (32, 48, 2), (48, 48, 1), (48, 96, last), (96, 96, 1)]
        layers = []
        for cin, cout, stride in plan:
            layers += [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
        self.features = nn.Sequential(*layers)
        self.num_features = 96


def load_pretrained(net, path):
    """Local ImageNet weights (a torchvision state_dict file); a file that does not fit the architecture is an error."""
    if not path:
        return
    if not os.path.exists(path):
        sys.exit(f"--pretrained {path}: no such file (weights are never downloaded)")
    state = torch.load(path, map_location="cpu")
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    missing, unexpected = net.load_state_dict(state, strict=False)
    if missing or unexpected:
        sys.exit(f"--pretrained {path} does not fit this architecture: {len(missing)} missing, {len(unexpected)} unexpected tensors (e.g. {(missing or unexpected)[0]})")


def to_channels(conv, channels):
    """A first convolution for `channels` inputs; for grayscale, the RGB filters are summed (keeps pretrained features)."""
    if channels == conv.in_channels:
        return conv
    if channels != 1:
        sys.exit(f"{channels} input channels: use 3 (ImageNet layout) or 1 (grayscale)")
    new = nn.Conv2d(1, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, bias=conv.bias is not None)
    with torch.no_grad():
        new.weight.copy_(conv.weight.sum(dim=1, keepdim=True))
        if conv.bias is not None:
            new.bias.copy_(conv.bias)
    return new


class Backbone(nn.Module):
    def __init__(self, arch, channels, pretrained, pool="avg", cam_stride=16):
        super().__init__()
        self.pool = pool
        import torchvision.models as tvm
        if arch == "compact":
            net = Compact(channels, cam_stride)
            self.features, n = net.features, net.num_features
        elif arch in ("densenet169", "densenet121"):
            net = getattr(tvm, arch)(weights=None)
            load_pretrained(net, pretrained)
            net.features.conv0 = to_channels(net.features.conv0, channels)
            self.features = nn.Sequential(net.features, nn.ReLU(inplace=True))
            n = net.classifier.in_features
        elif arch == "resnet18":
            net = tvm.resnet18(weights=None)
            load_pretrained(net, pretrained)
            net.conv1 = to_channels(net.conv1, channels)
            self.features = nn.Sequential(*list(net.children())[:-2])
            n = net.fc.in_features
        else:
            raise SystemExit(f"unknown --arch {arch}")
        self.abnormal = nn.Linear(n, 1)
        self.body_part = nn.Linear(n, len(STUDY_TYPES))

    def forward(self, x):
        f = self.features(x)
        pooled = f.mean(dim=(2, 3))
        if self.pool == "lse":
            # Log-sum-exp of the CAM itself: a soft maximum, so a small finding is not averaged away,
            # and the exported heatmap is exactly what the decision pooled.
            cam = (f * self.abnormal.weight[0].view(1, -1, 1, 1)).sum(dim=1).flatten(1)
            logit = torch.logsumexp(cam, dim=1) - float(np.log(cam.shape[1])) + self.abnormal.bias[0]
        else:
            logit = self.abnormal(pooled).squeeze(1)
        return logit, self.body_part(pooled), f


# The published multi-task MURA models' joint-type order, as indices into STUDY_TYPES.
MULTITASK_JOINTS = ["HUMERUS", "WRIST", "FOREARM", "FINGER", "HAND", "ELBOW", "SHOULDER"]


class ExportedMultitask(nn.Module):
    """The foreign multi-task contract: input [N,1,H,W], outputs (N,2) (normal, abnormal) probabilities and (N,7)
    joint-type logits in the order Humerus, Wrist, Forearm, Finger, Hand, Elbow, Shoulder. No CAM."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.register_buffer("order", torch.tensor([STUDY_TYPES.index(j) for j in MULTITASK_JOINTS]))

    def forward(self, input):
        logit, parts, _ = self.model(input)
        p = torch.sigmoid(logit).unsqueeze(1)
        return torch.cat([1 - p, p], dim=1), parts.index_select(1, self.order)


class Exported(nn.Module):
    """The contract's outputs: probability, body-part logits, and the CAM (features · abnormality weights)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, image):
        logit, parts, f = self.model(image)
        w = self.model.abnormal.weight[0]
        cam = (f * w.view(1, -1, 1, 1)).sum(dim=1)
        return torch.sigmoid(logit), parts, cam


def augment(x, rng):
    """Lateral inversion and rotation up to ±15°, as in the MURA paper; applied per batch on the CPU."""
    n = x.shape[0]
    flip = torch.from_numpy(rng.random(n) < 0.5)
    x = torch.where(flip.view(-1, 1, 1, 1), x.flip(3), x)
    angles = torch.from_numpy(rng.uniform(-15, 15, n) * np.pi / 180).float()
    cos, sin = torch.cos(angles), torch.sin(angles)
    theta = torch.stack([torch.stack([cos, -sin, torch.zeros(n)], 1), torch.stack([sin, cos, torch.zeros(n)], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, align_corners=False, padding_mode="zeros")


def to_input(batch_u8, mean, std, channels):
    x = torch.from_numpy(batch_u8).float().div_(255.0).unsqueeze(1)
    if channels > 1:
        x = x.repeat(1, channels, 1, 1)
    m = torch.tensor(mean).view(1, -1, 1, 1)
    s = torch.tensor(std).view(1, -1, 1, 1)
    return (x - m) / s


def auc(y, p):
    y = np.asarray(y)
    p = np.asarray(p)
    pos, neg = p[y == 1], p[y == 0]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    ranks = np.empty(len(order))
    allv = np.concatenate([pos, neg])[order]
    i = 0
    r = np.empty(len(allv))
    while i < len(allv):
        j = i
        while j + 1 < len(allv) and allv[j + 1] == allv[i]:
            j += 1
        r[i:j + 1] = (i + j) / 2 + 1
        i = j + 1
    ranks[order] = r
    return (ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


def evaluate(model, x, parts, labels, studies, args, weights, device):
    model.eval()
    probs, losses, part_hits = [], [], 0
    with torch.no_grad():
        for i in range(0, len(x), args.batch):
            xb = to_input(x[i:i + args.batch], args.mean, args.std, args.channels).to(device)
            yb = torch.from_numpy(labels[i:i + args.batch]).to(device)
            pb = torch.from_numpy(parts[i:i + args.batch]).to(device)
            logit, part_logits, _ = model(xb)
            w = weights[pb, yb.long()]
            losses.append((F.binary_cross_entropy_with_logits(logit, yb, weight=w, reduction="sum")).item())
            probs.append(torch.sigmoid(logit).cpu().numpy())
            part_hits += (part_logits.argmax(1) == pb).sum().item()
    p = np.concatenate(probs)
    by_study = {}
    for s, pr, y in zip(studies, p, labels):
        by_study.setdefault(s, [[], y])[0].append(pr)
    study_y = [v[1] for v in by_study.values()]
    study_p = [float(np.mean(v[0])) for v in by_study.values()]
    return sum(losses) / len(x), auc(study_y, study_p), part_hits / len(x)


def class_weights(parts, labels):
    """MURA's per-study-type weights: w1 = |N_T| / (|A_T| + |N_T|), w0 = |A_T| / (|A_T| + |N_T|)."""
    w = torch.ones(len(STUDY_TYPES), 2)
    for t in range(len(STUDY_TYPES)):
        a = float(((parts == t) & (labels == 1)).sum())
        n = float(((parts == t) & (labels == 0)).sum())
        if a + n > 0:
            w[t, 1] = n / (a + n) if n > 0 else 1.0
            w[t, 0] = a / (a + n) if a > 0 else 1.0
    return w * 2


def export(model, args, path, meta_extra):
    import onnx
    model.eval().cpu()
    if args.contract == "multitask":
        wrapped, inputs, outputs = ExportedMultitask(model), ["input"], ["abnormality", "joint"]
    else:
        wrapped, inputs, outputs = Exported(model), ["image"], ["abnormal", "body_part", "cam"]
    dummy = torch.zeros(2, args.channels, args.size, args.size)
    # The TorchScript exporter, which reads dynamic_axes and opset 13: newer PyTorch defaults to its dynamo exporter
    # (dynamo=True), older has no such argument.
    legacy = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    torch.onnx.export(wrapped, dummy, path, input_names=inputs, output_names=outputs,
                      dynamic_axes={name: {0: "N"} for name in inputs + outputs},
                      opset_version=13, do_constant_folding=True, **legacy)
    # torch.onnx.export restores the wrapper's previous (training) mode, recursively: evaluate in eval mode again.
    wrapped.eval()
    m = onnx.load(path)
    meta = {
        "mura.input.channels": str(args.channels),
        "mura.input.height": str(args.size),
        "mura.input.width": str(args.size),
        "mura.input.mean": ",".join(f"{v:.6g}" for v in args.mean),
        "mura.input.std": ",".join(f"{v:.6g}" for v in args.std),
        "mura.body_parts": ",".join(MULTITASK_JOINTS if args.contract == "multitask" else STUDY_TYPES),
        "mura.arch": args.arch,
        "mura.pool": args.pool,
        "mura.cam_stride": str(args.cam_stride),
        "mura.contract": args.contract,
    }
    meta.update(meta_extra)
    for k, v in meta.items():
        e = m.metadata_props.add()
        e.key, e.value = k, v
    onnx.checker.check_model(m)
    onnx.save(m, path)
    # Reference outputs on fixed inputs, so ONNX Runtime can be checked against PyTorch (`mura models check`).
    g = torch.Generator().manual_seed(0)
    probe = torch.rand(3, args.channels, args.size, args.size, generator=g)
    with torch.no_grad():
        reference = dict(zip(outputs, (t.numpy() for t in wrapped(probe))))
    np.savez(path + ".check.npz", image=probe.numpy(), **reference)
    torch.save(model.state_dict(), path + ".pt")
    check_with_onnxruntime(path, probe.numpy(), reference)


def check_with_onnxruntime(path, probe, reference):
    """Runs the export in ONNX Runtime when its Python package is present; otherwise `mura models check` does it."""
    try:
        import onnxruntime
    except ImportError:
        print(f"  (no Python onnxruntime here: check the export with `mura models check {path}`)", flush=True)
        return
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = session.run(list(reference), {session.get_inputs()[0].name: probe})
    for name, actual in zip(reference, got):
        worst = float(np.abs(actual - reference[name]).max())
        if worst > 1e-3:
            sys.exit(f"ONNX Runtime differs from PyTorch on {name} by {worst}")
    print("  ONNX Runtime reproduces PyTorch's outputs", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", nargs="+", help="MURA-layout folder(s) with the training studies (several: incremental exports, oldest first)")
    ap.add_argument("--valid", nargs="+", help="MURA-layout folder(s) with the validation studies")
    ap.add_argument("--out", required=True, help="ONNX file to write")
    ap.add_argument("--arch", default="densenet169", choices=["densenet169", "densenet121", "resnet18", "compact"])
    ap.add_argument("--size", type=int, default=224, help="input height and width (224 or 320 in the paper)")
    ap.add_argument("--channels", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pretrained", help="local ImageNet weights (a state_dict file); nothing is downloaded")
    ap.add_argument("--cache", default=None, help="folder for resized-image caches")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--box-weight", type=float, default=0.0, help="weight of the CAM loss from lesion boxes in <train>/labels.csv (0: off; MURA itself has no boxes)")
    ap.add_argument("--pool", default="avg", choices=["avg", "lse"], help="abnormality pooling: global average (the paper) or log-sum-exp of the CAM")
    ap.add_argument("--patience", type=int, default=1, help="epochs without validation-loss improvement before lr /= 10")
    ap.add_argument("--init", help="start from these weights (the .pt a previous run wrote beside its ONNX); with --epochs 0 the model is only exported, e.g. under another --contract")
    ap.add_argument("--cam-stride", type=int, default=16, choices=[8, 16], help="input pixels per CAM cell (compact only)")
    ap.add_argument("--contract", default="mura", choices=["mura", "multitask"],
                    help="mura: our contract (image -> abnormal, body_part, cam); multitask: the published multi-task MURA models' shape ([N,1,H,W] -> (N,2), (N,7))")
    args = ap.parse_args()
    if args.contract == "multitask" and args.channels != 1:
        ap.error("--contract multitask takes grayscale input: add --channels 1")
    if args.channels == 3:
        args.mean, args.std = IMAGENET_MEAN, IMAGENET_STD
    else:
        args.mean, args.std = [0.5] * args.channels, [0.25] * args.channels

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    rng = np.random.default_rng(args.seed)

    if args.epochs == 0:
        # Export only: trained weights (--init) under another contract, or an untrained network as a baseline.
        model = Backbone(args.arch, args.channels, args.pretrained, args.pool, args.cam_stride)
        if args.init:
            model.load_state_dict(torch.load(args.init, map_location="cpu"))
        source = os.path.basename(args.init) if args.init else f"untrained (seed {args.seed})"
        export(model, args, args.out, {"mura.training": json.dumps({"exported_from": source})})
        print(f"exported {source} as {args.out} ({args.contract} contract)")
        return
    if not args.train or not args.valid:
        ap.error("--train and --valid are required to train")

    t0 = time.time()
    xt, pt, yt, st, it = load_set(args.train, args.size, args.size, args.cache)
    xv, pv, yv, sv, _ = load_set(args.valid, args.size, args.size, args.cache)
    mt = load_masks(args.train, it, args.size, args.size) if args.box_weight > 0 else None
    if mt is not None:
        print(f"lesion boxes: {int((mt.reshape(len(mt), -1).max(1) == 1).sum())} images boxed, {int((mt.reshape(len(mt), -1).min(1) == -1).sum())} positive images unboxed", flush=True)
    print(f"train {len(xt)} images / {len(set(st))} studies, valid {len(xv)} images / {len(set(sv))} studies, loaded in {time.time() - t0:.0f}s", flush=True)
    weights = class_weights(pt, yt).to(device)

    model = Backbone(args.arch, args.channels, args.pretrained, args.pool, args.cam_stride)
    if args.init:
        model.load_state_dict(torch.load(args.init, map_location="cpu"))
    model = model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.1, patience=args.patience)
    best = (float("inf"), None, None)
    for epoch in range(args.epochs):
        model.train()
        order = rng.permutation(len(xt))
        t1 = time.time()
        total = 0.0
        for i in range(0, len(order), args.batch):
            idx = np.sort(order[i:i + args.batch])
            xb = to_input(xt[idx], args.mean, args.std, args.channels)
            if mt is not None:
                # Image and lesion mask get the same flip and rotation.
                both = augment(torch.cat([xb, torch.from_numpy(mt[idx]).float().unsqueeze(1)], 1), rng)
                xb, mb = both[:, :-1].to(device), both[:, -1:].to(device)
            else:
                xb = augment(xb, rng).to(device)
            yb = torch.from_numpy(yt[idx]).to(device)
            pb = torch.from_numpy(pt[idx]).to(device)
            logit, part_logits, f = model(xb)
            loss = F.binary_cross_entropy_with_logits(logit, yb, weight=weights[pb, yb.long()]) + 0.3 * F.cross_entropy(part_logits, pb)
            if mt is not None:
                # Box supervision of the CAM: cells over a lesion are abnormal, every cell of a normal image is not.
                cam = (f * model.abnormal.weight[0].view(1, -1, 1, 1)).sum(dim=1, keepdim=True)
                supervised = (mb.flatten(1).min(1).values > -0.5)
                if supervised.any():
                    target = (F.adaptive_max_pool2d(mb.clamp(min=0), cam.shape[-2:]) > 0.25).float()
                    loss = loss + args.box_weight * F.binary_cross_entropy_with_logits(cam[supervised] + model.abnormal.bias[0], target[supervised])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        vloss, vauc, vpart = evaluate(model, xv, pv, yv, sv, args, weights, device)
        sched.step(vloss)
        print(f"epoch {epoch + 1}: train loss {total / len(xt):.4f}, valid loss {vloss:.4f}, valid study AUC {vauc:.4f}, body part acc {vpart:.3f}, lr {opt.param_groups[0]['lr']:.1e}, {time.time() - t1:.0f}s", flush=True)
        if vloss < best[0]:
            best = (vloss, {k: v.detach().clone() for k, v in model.state_dict().items()}, (epoch + 1, vauc))
            # Export every new best, so a run stopped early still leaves its best model.
            export(model, args, args.out, {"mura.training": json.dumps({"seed": args.seed, "epochs": args.epochs, "best_epoch": epoch + 1, "valid_study_auc": round(vauc, 4), "train_images": int(len(xt)), "valid_images": int(len(xv))})})
            model.to(device).train()
            print(f"  best so far: wrote {args.out}", flush=True)
    print(f"best epoch {best[2][0]}, valid study AUC {best[2][1]:.4f}: {args.out}")


if __name__ == "__main__":
    main()
