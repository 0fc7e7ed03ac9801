#!/usr/bin/python3
"""Peer benchmark for the model zoo: the same architectures as digitnet's, in PyTorch, on the same MNIST IDX files.

Usage: torch_zoo.py IDX_DIR --arch seed|lenet5|vgg|resnet20 [--epochs N] [--batch B] [--threads T] [--limit N]
                    [--lr X] [--augment]
Runs with Debian's PyTorch 1.13 (apt-get install -y python3-torch libopenblas0-pthread; run it with
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset so that OpenBLAS picks the machine's own kernels), and better with
PyTorch 2.x for CPU (oneDNN convolutions), whose wheel the machine image carries: find it with
`find / -name 'torch-2*+cpu*.whl' 2>/dev/null` (not a CUDA build), install it offline into a virtual environment with
`pip install --no-index --find-links TORCH_DIR --find-links DEPS_DIR TORCH_WHEEL numpy`, where DEPS_DIR holds its
dependencies' wheels (`find / -name 'filelock-*.whl'`), and run this file with that environment's python.
The faster PyTorch is the one to compare with.
Prints one JSON line: parameter count, training and inference samples/s, test accuracy.

With --bench B the script measures instead of training to accuracy, with digitnet's bench protocol
(`npm run bench -- --peer torch`): 3 warm-up steps, then --runs timed runs of B steps of --batch images
(median images/s), batch-1 inference latency (median of 300 single predictions), inference throughput at
batch 1,000, and the process's peak resident memory.

The architectures (Keras conventions: 'same' padding, BatchNormalization momentum 0.99 / epsilon 1e-3, i.e.
PyTorch momentum 0.01 / eps 1e-3; convolutions followed by BatchNormalization have no bias):
  seed     Conv(32,3) ReLU, MaxPool 2, Conv(64,3) ReLU, MaxPool 2, Flatten, Dense 128 ReLU, Dense 10       (225,034 params)
  lenet5   Conv(6,5,same) tanh, AvgPool 2, Conv(16,5) tanh, AvgPool 2, Flatten, Dense 120 tanh, Dense 84 tanh, Dense 10
  vgg      2 x [Conv(f,3,same) BN ReLU, Conv(f,3,same) BN ReLU, MaxPool 2, Dropout 0.25] for f = 32, 64;
           Flatten, Dense 256 (no bias) BN ReLU, Dropout 0.5, Dense 10
  resnet20 He et al. 2016's CIFAR ResNet-20 on 28x28x1: Conv(16,3) BN ReLU; 3 stages of 3 basic blocks, 16/32/64
           filters, stages 2 and 3 start with stride 2 and a Conv(1x1, stride 2) BN projection shortcut;
           block = Conv(3) BN ReLU Conv(3) BN, + shortcut, ReLU; GlobalAveragePooling, Dense 10
"""
import argparse, json, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mnist_idx import idx




def bn(c):
    return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)


class Seed(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(1, 32, 3), nn.Conv2d(32, 64, 3)
        self.f1, self.f2 = nn.Linear(64 * 5 * 5, 128), nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        return self.f2(F.relu(self.f1(x.flatten(1))))


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(1, 6, 5, padding=2), nn.Conv2d(6, 16, 5)
        self.f1, self.f2, self.f3 = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)

    def forward(self, x):
        x = F.avg_pool2d(torch.tanh(self.c1(x)), 2)
        x = F.avg_pool2d(torch.tanh(self.c2(x)), 2)
        return self.f3(torch.tanh(self.f2(torch.tanh(self.f1(x.flatten(1))))))


class Vgg(nn.Module):
    def __init__(self):
        super().__init__()
        layers, c = [], 1
        for f in (32, 64):
            layers += [nn.Conv2d(c, f, 3, padding=1, bias=False), bn(f), nn.ReLU(),
                       nn.Conv2d(f, f, 3, padding=1, bias=False), bn(f), nn.ReLU(),
                       nn.MaxPool2d(2), nn.Dropout(0.25)]
            c = f
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(64 * 7 * 7, 256, bias=False), nn.BatchNorm1d(256, eps=1e-3, momentum=0.01),
                                  nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, 10))

    def forward(self, x):
        return self.head(self.features(x))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), bn(cout)
        self.c2, self.b2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), bn(cout)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), bn(cout))

    def forward(self, x):
        y = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        return F.relu(y + (x if self.short is None else self.short(x)))


class ResNet20(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1, bias=False), bn(16), nn.ReLU())
        blocks, c = [], 16
        for i, f in enumerate((16, 32, 64)):
            for j in range(3):
                blocks.append(Block(c, f, 2 if (i > 0 and j == 0) else 1))
                c = f
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        return self.fc(self.blocks(self.stem(x)).mean((2, 3)))


ARCHS = {"seed": Seed, "lenet5": LeNet5, "vgg": Vgg, "resnet20": ResNet20}


def augment(x):
    # random shifts of up to 2 pixels and rotations of up to 10 degrees, per image, on the batch
    n = x.shape[0]
    ang = (torch.rand(n) * 20 - 10) * np.pi / 180
    tx, ty = (torch.rand(n) * 4 - 2) / 14, (torch.rand(n) * 4 - 2) / 14
    theta = torch.stack([torch.stack([ang.cos(), -ang.sin(), tx], 1), torch.stack([ang.sin(), ang.cos(), ty], 1)], 1)
    grid = F.affine_grid(theta, x.shape, align_corners=False)
    return F.grid_sample(x, grid, align_corners=False)


def bench(a, m, xtr, ytr):
    """digitnet's bench protocol: median training images/s, batch-1 latency, batched throughput, peak RSS."""
    import resource
    opt = torch.optim.Adam(m.parameters(), lr=a.lr)
    n = xtr.shape[0]
    nb = max(1, n // a.batch)

    def step(i):
        j = (i % nb) * a.batch
        opt.zero_grad()
        F.cross_entropy(m(xtr[j:j + a.batch]), ytr[j:j + a.batch]).backward()
        opt.step()

    m.train()
    k = 0
    for _ in range(3):
        step(k)
        k += 1
    rates = []
    for _ in range(a.runs):
        t = time.perf_counter()
        for _ in range(a.bench):
            step(k)
            k += 1
        rates.append(a.bench * a.batch / (time.perf_counter() - t))
    m.eval()
    lat, thr = [], []
    with torch.inference_mode():
        one = xtr[:1].clone()
        for _ in range(20):
            m(one)
        for _ in range(300):
            t = time.perf_counter()
            m(one)
            lat.append((time.perf_counter() - t) * 1000)
        big = xtr[:1000].clone()
        m(big)
        for _ in range(5):
            t = time.perf_counter()
            m(big)
            thr.append(big.shape[0] / (time.perf_counter() - t))
    return {
        "train_samples_per_s": round(float(np.median(rates)), 1), "infer_batch1_ms": round(float(np.median(lat)), 4),
        "infer_samples_per_s": round(float(np.median(thr)), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("idx_dir")
    ap.add_argument("--arch", default="seed", choices=sorted(ARCHS))
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--limit", type=int, default=60000)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--augment", action="store_true")
    ap.add_argument("--bench", type=int, default=0, help="measure: timed runs of this many steps (see above)")
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
        torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    d = a.idx_dir.rstrip("/")
    xtr = torch.from_numpy(idx(d + "/train-images-idx3-ubyte")[: a.limit].astype(np.float32) / 255.0).unsqueeze(1)
    ytr = torch.from_numpy(idx(d + "/train-labels-idx1-ubyte")[: a.limit].astype(np.int64))
    xte = torch.from_numpy(idx(d + "/t10k-images-idx3-ubyte").astype(np.float32) / 255.0).unsqueeze(1)
    yte = torch.from_numpy(idx(d + "/t10k-labels-idx1-ubyte").astype(np.int64))
    m = ARCHS[a.arch]()
    params = sum(p.numel() for p in m.parameters())
    if a.bench:
        print(json.dumps({"peer": "pytorch " + torch.__version__, "arch": a.arch, "params": params,
                          "threads": torch.get_num_threads(), "batch": a.batch, **bench(a, m, xtr, ytr)}))
        return
    opt = torch.optim.Adam(m.parameters(), lr=a.lr)
    n = xtr.shape[0]
    t0 = time.perf_counter()
    for _ in range(a.epochs):
        perm = torch.randperm(n)
        m.train()
        for i in range(0, n, a.batch):
            j = perm[i:i + a.batch]
            xb = augment(xtr[j]) if a.augment else xtr[j]
            opt.zero_grad()
            F.cross_entropy(m(xb), ytr[j]).backward()
            opt.step()
    t1 = time.perf_counter()
    m.eval()
    with torch.no_grad():
        t2 = time.perf_counter()
        pred = torch.cat([m(xte[i:i + 1000]).argmax(1) for i in range(0, xte.shape[0], 1000)])
        t3 = time.perf_counter()
    print(json.dumps({
        "peer": "pytorch " + torch.__version__, "arch": a.arch, "params": params, "threads": torch.get_num_threads(),
        "epochs": a.epochs, "batch": a.batch, "train_samples": n, "augment": a.augment,
        "train_s": round(t1 - t0, 3), "train_samples_per_s": round(n * a.epochs / (t1 - t0), 1),
        "infer_samples_per_s": round(xte.shape[0] / (t3 - t2), 1),
        "test_accuracy": round((pred == yte).float().mean().item(), 4)}))


if __name__ == "__main__":
    main()
