"""Real data: nnscratch's MLPClassifier / MLPRegressor against scikit-learn's, side by side.

    data   scikit-learn's bundled digits, iris, wine, breast cancer (classification)
           and diabetes (regression); per seed a held-out test split of 25 %
           (stratified for classification)
    model  Pipeline(StandardScaler, MLP) with the same settings for both
           libraries: one hidden layer of 100 ReLU units, Adam, lr 0.001,
           alpha 1e-4, batches of 200, up to 500 epochs, scikit-learn's stopping
           rule (tol 1e-4, 10 epochs without improvement); diabetes: 16 units,
           alpha 10, up to 1000 epochs, the target standardised too
           (TransformedTargetRegressor)
    eval   test accuracy (R² for diabetes) and fit time (CPU seconds), mean ± std
           over seeds, both libraries on one BLAS thread

With the same ``random_state`` nnscratch draws the same initial weights, the
same mini-batches and the same early-stopping split as scikit-learn, and its
update rules are the same, so the two networks train step for step alike: the
scores agree to many digits and only the fit times differ.

Run:  python -m nnscratch.examples.real_data        (prints a Markdown table)
"""

from __future__ import annotations

import platform
import time
import warnings

import numpy as np

CLASSIFICATION = ("digits", "iris", "wine", "breast_cancer")
REGRESSION = ("diabetes",)
DATASETS = CLASSIFICATION + REGRESSION

CLASSIFIER_SETTINGS = dict(hidden_layer_sizes=(100,), max_iter=500)
REGRESSOR_SETTINGS = dict(hidden_layer_sizes=(16,), alpha=10.0, max_iter=1000)


def load(name: str):
    """X, y of one of scikit-learn's bundled data sets (nothing is downloaded)."""
    from sklearn import datasets

    return getattr(datasets, f"load_{name}")(return_X_y=True)


def make_model(library: str, task: str, seed: int):
    """StandardScaler → MLP of ``library`` ("nnscratch" or "sklearn") with the shared settings."""
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if library == "nnscratch":
        from nnscratch.estimators import MLPClassifier, MLPRegressor
    else:
        from sklearn.neural_network import MLPClassifier, MLPRegressor
    if task == "classification":
        return make_pipeline(
            StandardScaler(), MLPClassifier(random_state=seed, **CLASSIFIER_SETTINGS)
        )
    pipeline = make_pipeline(
        StandardScaler(), MLPRegressor(random_state=seed, **REGRESSOR_SETTINGS)
    )
    return TransformedTargetRegressor(pipeline, transformer=StandardScaler())


def evaluate(name: str, seed: int, library: str) -> tuple[float, float]:
    """(test score, fit CPU seconds) of one library on one data set and seed."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split

    X, y = load(name)
    task = "classification" if name in CLASSIFICATION else "regression"
    stratify = y if task == "classification" else None
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=seed, stratify=stratify
    )
    model = make_model(library, task, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # same cap for both libraries
        start = time.process_time()  # CPU seconds: robust to other load on the machine
        model.fit(X_train, y_train)
        seconds = time.process_time() - start
    return float(model.score(X_test, y_test)), seconds


def main(seeds=(0, 1, 2), quiet: bool = False, datasets=DATASETS, blas_threads=1) -> list[dict]:
    """Compare both libraries on ``datasets`` over ``seeds``; returns one row per data set.

    Each row: dataset, metric, n_samples, and for each library ("nnscratch",
    "sklearn") ``<library>_mean`` / ``_std`` of the test score and
    ``<library>_time`` (mean CPU seconds of the fit); ``max_abs_diff`` is the largest
    difference between the two libraries' scores on the same seed.

    ``blas_threads`` caps the BLAS threads of both libraries while they train
    (threadpoolctl; None leaves the default). For matrices this small extra
    threads only add contention, and one thread makes the times repeatable.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=blas_threads, user_api="blas"):
        return _compare(seeds, quiet, datasets, blas_threads)


def _compare(seeds, quiet, datasets, blas_threads) -> list[dict]:
    say = (lambda *a, **k: None) if quiet else print
    rows = []
    for name in datasets:
        if name not in DATASETS:
            raise ValueError(f"unknown data set {name!r}; expected one of {', '.join(DATASETS)}")
        row = {
            "dataset": name,
            "metric": "accuracy" if name in CLASSIFICATION else "R²",
            "n_samples": len(load(name)[1]),
        }
        scores = {}
        for library in ("nnscratch", "sklearn"):
            results = np.array([evaluate(name, seed, library) for seed in seeds])
            scores[library] = results[:, 0]
            row[f"{library}_mean"] = float(results[:, 0].mean())
            row[f"{library}_std"] = float(results[:, 0].std())
            row[f"{library}_time"] = float(results[:, 1].mean())
        row["max_abs_diff"] = float(np.abs(scores["nnscratch"] - scores["sklearn"]).max())
        say(f"{name}: nnscratch {row['nnscratch_mean']:.4f}  sklearn {row['sklearn_mean']:.4f}")
        rows.append(row)
    say()
    say(markdown_table(rows, seeds, blas_threads))
    return rows


def markdown_table(rows: list[dict], seeds=None, blas_threads=None) -> str:
    """The rows as a Markdown table (score mean ± std, fit seconds)."""
    lines = [
        "| data set | n | metric | nnscratch | scikit-learn | max per-seed diff "
        "| nnscratch fit (CPU s) | scikit-learn fit (CPU s) |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['dataset']} | {r['n_samples']} | {r['metric']} "
            f"| {r['nnscratch_mean']:.4f} ± {r['nnscratch_std']:.4f} "
            f"| {r['sklearn_mean']:.4f} ± {r['sklearn_std']:.4f} | {r['max_abs_diff']:.1e} "
            f"| {r['nnscratch_time']:.3f} | {r['sklearn_time']:.3f} |"
        )
    if seeds is not None:
        import sklearn

        lines.append("")
        lines.append(
            f"Seeds {', '.join(map(str, seeds))}; Python {platform.python_version()}, "
            f"NumPy {np.__version__}, scikit-learn {sklearn.__version__}, {platform.machine()}, "
            f"{blas_threads or 'default'} BLAS thread(s)."
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
