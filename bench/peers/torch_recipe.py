#!/usr/bin/env python3
"""A digitnet training recipe in PyTorch, for comparison: the same architecture (the zoo's vgg or seed CNN, Keras
conventions), the same augmentation (src/data/augment: per image a rotation, zoom per axis, shear and shift drawn
uniformly within the strengths, then an elastic field of uniform noise smoothed by a Gaussian of sigma, zero beyond
the edges, times alpha; bilinear sampling, zero outside), Adam with the same schedule (PyTorch's OneCycleLR, which
digitnet's `onecycle` reproduces, or a cosine decay to 0 without warm-up), the same batch size and epochs, on the
same MNIST files, training on the same 54,000 images (a stratified 10% held out, as digitnet) or all 60,000.
Random draws differ (PyTorch's generator), so accuracies agree within seed-to-seed noise, not digit for digit.

Usage: torch_recipe.py IDX_DIR [--arch vgg|seed] [--epochs N] [--batch B] [--lr X] [--schedule onecycle|cosine]
                       [--augment rotate=10,zoom=0.1,shift=2,shear=10,elastic=16,sigma=4] [--threads T] [--seed S]
                       [--validation-split F] [--limit N]
Prints one JSON line: test accuracy, training images/s, wall seconds. Needs PyTorch 2.x for CPU and numpy.
"""
import argparse, json, math, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


# The architectures and the IDX reader are the zoo peer's own (bench/peers/torch_zoo.py, beside this file).
from torch_zoo import Seed, Vgg, idx  # noqa: E402


def parse_augment(text):
    s = {"rotate": 0.0, "zoom": 0.0, "shift": 0.0, "shear": 0.0, "elastic": 0.0, "sigma": 4.0}
    for part in filter(None, text.split(",")):
        k, v = part.split("=")
        s[k] = float(v)
    return s


def gaussian(sigma):
    r = math.ceil(3 * sigma)
    t = torch.exp(-torch.arange(-r, r + 1, dtype=torch.float32) ** 2 / (2 * sigma * sigma))
    return t / t.sum()


def augment(x, s, taps):
    """digitnet's augmentation definition on a batch (n, 1, h, w), with PyTorch's random numbers."""
    n, _, h, w = x.shape
    u = lambda lim: (torch.rand(n, dtype=torch.float64) * 2 - 1) * lim
    theta, zx, zy = u(s["rotate"]) * math.pi / 180, 1 + u(s["zoom"]), 1 + u(s["zoom"])
    phi, tx, ty = u(s["shear"]) * math.pi / 180, u(s["shift"]), u(s["shift"])
    cs, sn, k = theta.cos(), theta.sin(), phi.tan()
    m00, m01, m10, m11 = cs * zx, (cs * k - sn) * zy, sn * zx, (sn * k + cs) * zy
    det = m00 * m11 - m01 * m10
    a, b, c, d = m11 / det, -m01 / det, -m10 / det, m00 / det
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float64), torch.arange(w, dtype=torch.float64), indexing="ij")
    cx, cy = (w - 1) / 2, (h - 1) / 2
    uu = xs[None] - cx - tx[:, None, None]
    vv = ys[None] - cy - ty[:, None, None]
    if s["elastic"] > 0:
        r = (len(taps) - 1) // 2
        noise = torch.rand(n * 2, 1, h, w) * 2 - 1
        sm = F.conv2d(F.conv2d(noise, taps.view(1, 1, 1, -1), padding=(0, r)), taps.view(1, 1, -1, 1), padding=(r, 0))
        sm = (sm * s["elastic"]).view(n, 2, h, w).double()
        uu, vv = uu + sm[:, 0], vv + sm[:, 1]
    sx = a[:, None, None] * uu + b[:, None, None] * vv + cx
    sy = c[:, None, None] * uu + d[:, None, None] * vv + cy
    # grid_sample's align_corners=True maps -1..1 to pixel centres 0..w-1; zeros outside, bilinear.
    grid = torch.stack([sx / (w - 1) * 2 - 1, sy / (h - 1) * 2 - 1], -1).float()
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=True)


def stratified_split(labels, fraction, rng):
    val = []
    for c in range(10):
        members = np.flatnonzero(labels == c)
        rng.shuffle(members)
        val.extend(members[: round(len(members) * fraction)])
    keep = np.ones(len(labels), bool)
    keep[val] = False
    return np.flatnonzero(keep)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("idx_dir")
    ap.add_argument("--arch", default="vgg", choices=["vgg", "seed"])
    ap.add_argument("--epochs", type=int, default=14)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--schedule", default="onecycle", choices=["onecycle", "cosine"])
    ap.add_argument("--augment", default="rotate=10,zoom=0.1,shift=2,shear=10,elastic=16,sigma=4")
    ap.add_argument("--validation-split", type=float, default=0.1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--limit", type=int, default=60000)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    d = a.idx_dir.rstrip("/")
    xall = idx(d + "/train-images-idx3-ubyte")[: a.limit]
    yall = idx(d + "/train-labels-idx1-ubyte")[: a.limit].astype(np.int64)
    keep = stratified_split(yall, a.validation_split, np.random.default_rng(a.seed)) if a.validation_split > 0 else np.arange(len(yall))
    xtr = torch.from_numpy(xall[keep].astype(np.float32) / 255.0).unsqueeze(1)
    ytr = torch.from_numpy(yall[keep])
    xte = torch.from_numpy(idx(d + "/t10k-images-idx3-ubyte").astype(np.float32) / 255.0).unsqueeze(1)
    yte = torch.from_numpy(idx(d + "/t10k-labels-idx1-ubyte").astype(np.int64))
    m = Vgg() if a.arch == "vgg" else Seed()
    opt = torch.optim.Adam(m.parameters(), lr=a.lr, eps=1e-7)
    n = xtr.shape[0]
    steps = a.epochs * math.ceil(n / a.batch)
    if a.schedule == "onecycle":
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=steps, pct_start=0.25, anneal_strategy="cos",
                                                    cycle_momentum=False, div_factor=25, final_div_factor=1e4)
    else:
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    spec = parse_augment(a.augment)
    taps = gaussian(spec["sigma"])
    t0 = time.perf_counter()
    for _ in range(a.epochs):
        perm = torch.randperm(n)
        m.train()
        for i in range(0, n, a.batch):
            j = perm[i:i + a.batch]
            xb = augment(xtr[j], spec, taps) if a.augment != "none" else xtr[j]
            opt.zero_grad()
            F.cross_entropy(m(xb), ytr[j]).backward()
            opt.step()
            sched.step()
    t1 = time.perf_counter()
    m.eval()
    with torch.no_grad():
        pred = torch.cat([m(xte[i:i + 1000]).argmax(1) for i in range(0, xte.shape[0], 1000)])
    print(json.dumps({
        "peer": "pytorch " + torch.__version__, "arch": a.arch, "threads": torch.get_num_threads(), "epochs": a.epochs, "batch": a.batch,
        "lr": a.lr, "schedule": a.schedule, "augment": a.augment, "train_images": n, "seed": a.seed,
        "train_s": round(t1 - t0, 1), "train_images_per_s": round(n * a.epochs / (t1 - t0), 1),
        "test_accuracy": round((pred == yte).float().mean().item(), 4)}))


if __name__ == "__main__":
    main()
