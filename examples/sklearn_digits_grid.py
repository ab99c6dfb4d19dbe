"""An nnscratch network tuned by scikit-learn: a Pipeline and a GridSearchCV on the digits.

``Pipeline([StandardScaler(), NNClassifier()])`` — the same two steps one writes with
``MLPClassifier`` — searched over the hidden layer's width, ``alpha`` and
``learning_rate_init`` with 5-fold cross-validation on 80% of the 1,797 8×8 digits, then
scored on the other 20%. ``--compare`` runs scikit-learn's ``MLPClassifier`` through the
same search.

    python examples/sklearn_digits_grid.py
    python examples/sklearn_digits_grid.py --compare
"""

from __future__ import annotations

import argparse
import time
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from nnscratch.sklearn import NNClassifier

GRID = {
    "clf__hidden_layer_sizes": [(32,), (128,)],
    "clf__alpha": [1e-4, 1e-1],
    "clf__learning_rate_init": [1e-3, 1e-2],
}
FAST_GRID = {"clf__hidden_layer_sizes": [(32,)], "clf__alpha": [1e-4, 1e-1]}


def search(classifier, x_train, y_train, grid, cv: int, n_jobs: int) -> tuple[GridSearchCV, float]:
    """The fitted grid search of ``scaler → classifier`` and its wall time in seconds."""
    pipe = Pipeline([("scale", StandardScaler()), ("clf", classifier)])
    t0 = time.perf_counter()
    with warnings.catch_warnings():  # a few grid points stop at max_iter, as MLPs do
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted = GridSearchCV(pipe, grid, cv=cv, n_jobs=n_jobs).fit(x_train, y_train)
    return fitted, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="GridSearchCV of NNClassifier on the digits")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-jobs", type=int, default=1, help="GridSearchCV's n_jobs")
    parser.add_argument("--compare", action="store_true",
                        help="run MLPClassifier through the same search")
    parser.add_argument("--fast", action="store_true",
                        help="2 grid points, 3 folds, 50 epochs at most")
    args = parser.parse_args(argv)

    x, y = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.2, stratify=y, random_state=args.seed)
    grid, cv = (FAST_GRID, 3) if args.fast else (GRID, 5)
    max_iter = 50 if args.fast else 200
    runs = {"NNClassifier": NNClassifier(max_iter=max_iter, random_state=args.seed)}
    if args.compare:
        runs["MLPClassifier"] = MLPClassifier(max_iter=max_iter, random_state=args.seed)
    results = {}
    for name, clf in runs.items():
        fitted, seconds = search(clf, x_train, y_train, grid, cv, args.n_jobs)
        test = fitted.score(x_test, y_test)
        n_fits = len(fitted.cv_results_["params"]) * cv
        best = {k.removeprefix("clf__"): v for k, v in fitted.best_params_.items()}
        print(f"{name}: best {best}, cross-validated accuracy {fitted.best_score_:.4f}, "
              f"held-out accuracy {test:.4f}; {n_fits} fits + 1 refit in {seconds:.1f} s")
        results[name] = {"best_params": best, "cv_accuracy": fitted.best_score_,
                         "test_accuracy": test, "seconds": seconds, "n_fits": n_fits,
                         "search": fitted}
    return results


if __name__ == "__main__":
    main()
