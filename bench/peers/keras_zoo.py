#!/usr/bin/env python3
"""Peer benchmark: the zoo of torch_zoo.py in Keras 3 on TensorFlow's CPU backend (the seed's own framework).

Usage: keras_zoo.py IDX_DIR --arch seed|lenet5|vgg|resnet20 [--epochs N] [--batch B] [--threads T] [--limit N] [--lr X]
Needs TensorFlow and Keras: the machine image carries their wheels (find the folder with
`find / -name 'tensorflow_cpu-*.whl' 2>/dev/null`); install them offline into a virtual environment with
`python3 -m venv VENV && VENV/bin/pip install --no-index --find-links WHEEL_DIR tensorflow_cpu keras`
and run this file with VENV/bin/python. Prints one JSON line like torch_zoo.py.

With --bench B: digitnet's bench protocol, as in torch_zoo.py (warm-up, --runs timed fits of B steps,
median images/s; batch-1 latency and batch-1,000 throughput through a compiled tf.function; peak RSS).
"""
import argparse, json, os, time

ap = argparse.ArgumentParser()
ap.add_argument("idx_dir")
ap.add_argument("--arch", default="seed", choices=["seed", "lenet5", "vgg", "resnet20"])
ap.add_argument("--epochs", type=int, default=1)
ap.add_argument("--batch", type=int, default=128)
ap.add_argument("--threads", type=int, default=0)
ap.add_argument("--limit", type=int, default=60000)
ap.add_argument("--lr", type=float, default=1e-3)
ap.add_argument("--bench", type=int, default=0, help="measure: timed runs of this many steps")
ap.add_argument("--runs", type=int, default=5)
a = ap.parse_args()
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import tensorflow as tf
import keras
from keras import layers as L
from mnist_idx import idx

if a.threads:
    tf.config.threading.set_intra_op_parallelism_threads(a.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)




def seed():
    return keras.Sequential([keras.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(),
                             L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(), L.Flatten(),
                             L.Dense(128, activation="relu"), L.Dense(10, activation="softmax")])


def lenet5():
    return keras.Sequential([keras.Input((28, 28, 1)), L.Conv2D(6, 5, padding="same", activation="tanh"), L.AveragePooling2D(2),
                             L.Conv2D(16, 5, activation="tanh"), L.AveragePooling2D(2), L.Flatten(),
                             L.Dense(120, activation="tanh"), L.Dense(84, activation="tanh"), L.Dense(10, activation="softmax")])


def vgg():
    m = [keras.Input((28, 28, 1))]
    for f in (32, 64):
        m += [L.Conv2D(f, 3, padding="same", use_bias=False), L.BatchNormalization(), L.ReLU(),
              L.Conv2D(f, 3, padding="same", use_bias=False), L.BatchNormalization(), L.ReLU(),
              L.MaxPooling2D(), L.Dropout(0.25)]
    m += [L.Flatten(), L.Dense(256, use_bias=False), L.BatchNormalization(), L.ReLU(), L.Dropout(0.5),
          L.Dense(10, activation="softmax")]
    return keras.Sequential(m)


def resnet20():
    def bn_conv(x, f, k, s):
        return L.BatchNormalization()(L.Conv2D(f, k, strides=s, padding="same", use_bias=False)(x))
    inp = keras.Input((28, 28, 1))
    x = L.ReLU()(bn_conv(inp, 16, 3, 1))
    c = 16
    for i, f in enumerate((16, 32, 64)):
        for j in range(3):
            s = 2 if (i > 0 and j == 0) else 1
            y = bn_conv(L.ReLU()(bn_conv(x, f, 3, s)), f, 3, 1)
            short = bn_conv(x, f, 1, s) if (s != 1 or c != f) else x
            x = L.ReLU()(L.Add()([y, short]))
            c = f
    out = L.Dense(10, activation="softmax")(L.GlobalAveragePooling2D()(x))
    return keras.Model(inp, out)


d = a.idx_dir.rstrip("/")
xtr = idx(d + "/train-images-idx3-ubyte")[: a.limit].astype(np.float32)[..., None] / 255.0
ytr = idx(d + "/train-labels-idx1-ubyte")[: a.limit].astype(np.int64)
xte = idx(d + "/t10k-images-idx3-ubyte").astype(np.float32)[..., None] / 255.0
yte = idx(d + "/t10k-labels-idx1-ubyte").astype(np.int64)
keras.utils.set_random_seed(0)
m = {"seed": seed, "lenet5": lenet5, "vgg": vgg, "resnet20": resnet20}[a.arch]()
m.compile(optimizer=keras.optimizers.Adam(a.lr), loss="sparse_categorical_crossentropy", metrics=["accuracy"])


def bench():
    import resource
    n = a.bench * a.batch
    xb, yb = xtr[:n], ytr[:n]
    m.fit(xb[: a.batch * 3], yb[: a.batch * 3], batch_size=a.batch, epochs=1, verbose=0, shuffle=False)
    rates = []
    for _ in range(a.runs):
        t = time.perf_counter()
        m.fit(xb, yb, batch_size=a.batch, epochs=1, verbose=0, shuffle=False)
        rates.append(xb.shape[0] / (time.perf_counter() - t))
    f = tf.function(lambda x: m(x, training=False))
    one, big = tf.constant(xtr[:1]), tf.constant(xtr[:1000])
    lat, thr = [], []
    for _ in range(20):
        f(one).numpy()
    for _ in range(300):
        t = time.perf_counter()
        f(one).numpy()
        lat.append((time.perf_counter() - t) * 1000)
    f(big).numpy()
    for _ in range(5):
        t = time.perf_counter()
        f(big).numpy()
        thr.append(1000 / (time.perf_counter() - t))
    print(json.dumps({
        "peer": f"keras {keras.__version__} / tensorflow {tf.__version__}", "arch": a.arch,
        # trainable parameters, as PyTorch's parameters() counts them (BatchNormalization's moving statistics aside)
        "params": int(sum(np.prod(w.shape) for w in m.trainable_weights)), "params_total": int(m.count_params()),
        "threads": a.threads or os.cpu_count(), "batch": a.batch,
        "train_samples_per_s": round(float(np.median(rates)), 1), "infer_batch1_ms": round(float(np.median(lat)), 4),
        "infer_samples_per_s": round(float(np.median(thr)), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


if a.bench:
    bench()
    raise SystemExit(0)
m.fit(xtr[: a.batch * 4], ytr[: a.batch * 4], batch_size=a.batch, epochs=1, verbose=0)  # warm-up: graph tracing
t0 = time.perf_counter()
m.fit(xtr, ytr, batch_size=a.batch, epochs=a.epochs, verbose=0)
t1 = time.perf_counter()
pred = m.predict(xte, batch_size=1000, verbose=0).argmax(1)
t2 = time.perf_counter()
n = xtr.shape[0]
print(json.dumps({
    "peer": f"keras {keras.__version__} / tensorflow {tf.__version__}", "arch": a.arch, "params": int(m.count_params()),
    "threads": a.threads or os.cpu_count(), "epochs": a.epochs, "batch": a.batch, "train_samples": n,
    "train_s": round(t1 - t0, 3), "train_samples_per_s": round(n * a.epochs / (t1 - t0), 1),
    "infer_samples_per_s": round(xte.shape[0] / (t2 - t1), 1), "test_accuracy": round(float((pred == yte).mean()), 4)}))
