"""Benchmark: fs train --task classification (SAGA) against scikit-learn's
LogisticRegression(solver="saga").fit on the same rows, in the same run.

Problems: 1,000,000 x 20 and 20,000 x 500 binary (standard normal X, a sparse
true coefficient vector, labels drawn from the logistic model). For each, fs
train fits on the train split of train_test_split(test_size=0.2,
random_state=17); sklearn fits the same rows with the same C, l1_ratio and
random_state. Each is run REPEAT times (fs as fs train processes, sklearn as
fits in this process); reports the best and the median fit time of each (fs's
as fs measures it around the fit), their ratios, the epochs, and the largest
coefficient difference relative to the largest coefficient.
Run with the test environment's Python: .venv/bin/python scripts/bench-classify.py
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

ROOT = pathlib.Path(__file__).resolve().parents[1]
REPEAT = int(os.environ.get("REPEAT", "3"))
C, L1 = 1.0, 0.5


def main():
    work = pathlib.Path(tempfile.mkdtemp(prefix="fs-bench-classify-"))
    fs = work / "fs"
    subprocess.run(["go", "build", "-o", str(fs), "./cmd/fs"], cwd=ROOT, check=True)
    env = {**os.environ, "FS_STORE": str(work / "store")}
    subprocess.run([str(fs), "init"], env=env, check=True, capture_output=True)
    rng = np.random.default_rng(5)
    sizes = [(1_000_000, 20), (20_000, 500)] if len(sys.argv) < 2 else [tuple(map(int, a.split("x"))) for a in sys.argv[1:]]
    for n, p in sizes:
        X = rng.normal(size=(n, p))
        w = rng.normal(size=p) * (rng.random(p) < 0.3) / np.sqrt(max(1, 0.3 * p / 4))
        y = (rng.random(n) < 1 / (1 + np.exp(-(X @ w)))).astype(np.int64)
        names = [f"x{j}" for j in range(p)]
        df = pd.DataFrame(X, columns=names)
        df["y"] = y
        path = work / f"c{n}x{p}.parquet"
        df.to_parquet(path, index=False)

        args = [str(fs), "train", "--task", "classification", "--dataset", str(path), "--target", "y",
                "--features", ",".join(names), "--c", str(C), "--l1-ratio", str(L1),
                "--test-size", "0.2", "--seed", "17", "--json"]
        fits = []
        for _ in range(REPEAT):
            out = subprocess.run(args, env=env, check=True, capture_output=True, text=True).stdout
            run = json.loads(out)["run"]
            fits.append(run["fit_seconds"])

        train, _ = train_test_split(df, test_size=0.2, random_state=17)
        Xtr, ytr = train[names].to_numpy(), train["y"].to_numpy()
        times = []
        for _ in range(REPEAT):
            t0 = time.perf_counter()
            m = LogisticRegression(solver="saga", C=C, l1_ratio=L1, random_state=17).fit(Xtr, ytr)
            times.append(time.perf_counter() - t0)
        coef = np.asarray(run["classifier"]["coef"])
        rel = np.max(np.abs(coef - m.coef_)) / max(np.max(np.abs(m.coef_)), 1e-300)
        fs_best, fs_med, sk_best, sk_med = min(fits), np.median(fits), min(times), np.median(times)
        print(f"{n:>9,} x {p:<3}  fs fit best {fs_best:.3f} s (median {fs_med:.3f})  "
              f"sklearn fit best {sk_best:.3f} s (median {sk_med:.3f})  "
              f"ratio best {fs_best / sk_best:.2f} (median {fs_med / sk_med:.2f})  "
              f"epochs {run['classifier']['n_iter']}/{m.n_iter_[0]}  max coef diff {rel:.1e} (relative)", flush=True)


if __name__ == "__main__":
    main()
