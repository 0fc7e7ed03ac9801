"""Optuna's samplers on the objectives of bench/tune-winrate.ts, with the same budgets: the peer for
digitnet's TPE. Prints a Markdown table of win rates against random search and mean best values, in the
same layout as tune-winrate.ts.

    python3 -m venv /tmp/optuna && /tmp/optuna/bin/pip install --no-index --find-links DIR optuna
    /tmp/optuna/bin/python bench/peers/optuna_samplers.py [--seeds 200] [--table bench/data/tune-table.json]

"TPE" is TPESampler(multivariate=False), the independent TPE; "TPE-mv" is TPESampler() with Optuna 5's
defaults (multivariate for one objective). Both with 10 start-up trials and 24 candidates, as digitnet's.
"""

import argparse
import json
import math

import optuna

H6_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
H6_P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991], [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]


def branin(t):
    x, y = t.suggest_float("x", -5, 10), t.suggest_float("y", 0, 15)
    return (y - 5.1 / (4 * math.pi**2) * x * x + 5 / math.pi * x - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x) + 10


def hartmann6(t):
    x = [t.suggest_float(f"x{i}", 0, 1) for i in range(6)]
    return -sum(al * math.exp(-sum(a * (xj - p * 1e-4) ** 2 for a, xj, p in zip(A, x, P))) for al, A, P in zip([1, 1.2, 3, 3.2], H6_A, H6_P))


def log_sphere(t):
    lr, wd = t.suggest_float("lr", 1e-6, 1, log=True), t.suggest_float("wd", 1e-8, 1e-2, log=True)
    return (math.log10(lr) + 3) ** 2 + (math.log10(wd) + 5) ** 2


def conditional(t):
    kind = t.suggest_categorical("kind", ["a", "b", "c"])
    if kind == "a":
        v = (t.suggest_float("x", -5, 5) - 2) ** 2
    else:
        v = (1 if kind == "b" else 3) + (t.suggest_float("y", -5, 5, step=0.5) + 1) ** 2
    return math.log2(t.suggest_int("n", 1, 32, log=True)) / 5 + v


def table_objective(path):
    table = json.load(open(path))
    rows = table["rows"]
    lrs = sorted({r["lr"] for r in rows})
    lookup = {(r["lr"], r["batchSize"], r["lrDecay"]): r["val_accuracy"] for r in rows}
    batch, decay = table["space"]["batchSize"]["choice"], table["space"]["lrDecay"]["choice"]

    def f(t):
        lr = t.suggest_float("lr", lrs[0], lrs[-1], log=True)
        snapped = min(lrs, key=lambda v: abs(math.log(v / lr)))
        return lookup[(snapped, t.suggest_categorical("batchSize", batch), t.suggest_categorical("lrDecay", decay))]

    return f, max(lookup.values()), len(rows)


def best(f, direction, trials, sampler):
    study = optuna.create_study(direction=direction, sampler=sampler)
    study.optimize(f, n_trials=trials)
    return study.best_value


def wilson(p, n, z=1.96):
    d = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / d
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return centre - half, centre + half


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--table", default="bench/data/tune-table.json")
    a = ap.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    tf, topt, tn = table_objective(a.table)
    objectives = [
        ("Branin (2-D)", branin, "minimize", 30, 0.397887),
        ("Hartmann-6 (6-D)", hartmann6, "minimize", 50, -3.32237),
        ("sphere on log scales (2-D)", log_sphere, "minimize", 30, 0),
        ("conditional: choice → x or stepped y, log int", conditional, "minimize", 40, 0),
        (f"MNIST training, tabulated ({tn} runs)", tf, "maximize", 20, topt),
    ]
    samplers = {
        "random": lambda s: optuna.samplers.RandomSampler(seed=s),
        "tpe": lambda s: optuna.samplers.TPESampler(seed=s, multivariate=False),
        "tpe-mv": lambda s: optuna.samplers.TPESampler(seed=s),
    }
    print(f"Optuna {optuna.__version__}, {a.seeds} seeds per objective; win rate against random (95% Wilson interval; wins/ties/losses).\n")
    print("| objective | trials | TPE beats random | multivariate TPE beats random | mean best: TPE | TPE-mv | random | optimum |")
    print("| --- | ---: | :---: | :---: | ---: | ---: | ---: | ---: |")
    for name, f, direction, trials, optimum in objectives:
        bests = {k: [best(f, direction, trials, mk(s)) for s in range(a.seeds)] for k, mk in samplers.items()}
        sign = 1 if direction == "maximize" else -1
        cells = []
        for c in ("tpe", "tpe-mv"):
            d = [sign * (x - y) for x, y in zip(bests[c], bests["random"])]
            w, t, l = sum(v > 0 for v in d), sum(v == 0 for v in d), sum(v < 0 for v in d)
            rate = (w + t / 2) / a.seeds
            lo, hi = wilson(rate, a.seeds)
            cells.append(f"**{rate * 100:.0f}%** ({lo * 100:.0f}%–{hi * 100:.0f}%; {w}/{t}/{l})")
        fmt = lambda x: f"{x:.1f}" if abs(x) >= 100 else f"{x:.4f}"
        means = [fmt(sum(bests[k]) / a.seeds) for k in ("tpe", "tpe-mv", "random")]
        print(f"| {name} | {trials} | {cells[0]} | {cells[1]} | {' | '.join(means)} | {fmt(optimum)} |", flush=True)


if __name__ == "__main__":
    main()
