"""Optuna's pruners on a fixed set of learning curves: the verdicts test/tune-pruners.test.ts expects
of digitnet's median and ASHA pruners. Prints one JSON object: for each pruner, per trial, the number
of epochs it ran and whether it was pruned.

    python3 -m venv /tmp/optuna && /tmp/optuna/bin/pip install --no-index --find-links DIR optuna
    /tmp/optuna/bin/python bench/peers/optuna_pruners.py

The curves: trial i reaches a_i * e / (e + tau_i) after epoch e (e = 1..8), with a_i and tau_i from a
31-bit linear congruential generator, integer arithmetic only, so that the TypeScript side computes the
very same numbers.
"""

import json

import optuna

TRIALS, EPOCHS = 40, 8


def curves():
    x = 12345

    def rnd():
        nonlocal x
        x = (1103515245 * x + 12345) % 2**31
        return x / 2**31

    out = []
    for _ in range(TRIALS):
        a = 0.6 + 0.4 * rnd()
        tau = 0.5 + 3 * rnd()
        out.append([a * e / (e + tau) for e in range(1, EPOCHS + 1)])
    return out


def run(pruner, direction):
    sign = 1 if direction == "maximize" else -1
    data = curves()
    verdicts = []

    def objective(trial):
        values = data[trial.number]
        for e in range(1, EPOCHS + 1):
            trial.report(sign * values[e - 1], e)
            if trial.should_prune():
                verdicts.append([trial.number, e, "pruned"])
                raise optuna.TrialPruned()
        verdicts.append([trial.number, EPOCHS, "complete"])
        return sign * values[-1]

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction=direction, pruner=pruner, sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=TRIALS)
    return verdicts


print(json.dumps({
    "median": run(optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=0), "maximize"),
    "median_minimize": run(optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=0), "minimize"),
    "asha": run(optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=4), "maximize"),
    "asha_minimize": run(optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=4), "minimize"),
}))
