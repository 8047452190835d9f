"""Writes examples/poc.ipynb (without outputs) from the cells below: edit them
here, then run .venv/bin/python scripts/make_poc_notebook.py."""
import pathlib

import nbformat as nbf

OUT = pathlib.Path(__file__).resolve().parents[1] / "examples" / "poc.ipynb"

cells = []
md = lambda s: cells.append(nbf.v4.new_markdown_cell(s.strip()))
code = lambda s: cells.append(nbf.v4.new_code_cell(s.strip()))

md("""
# The proof of concept, rebuilt on fs

The original notebook profiled the raw driver stats, joined three features onto labelled orders as of each order's
time, fit `ElasticNet(alpha=0.5, l1_ratio=0.1)` on a `train_test_split(test_size=0.2, random_state=17)`, and compared
runs in MLflow. Here every step goes through fs, so every figure below comes with the exact feature versions and the
dataset that produced it, and the run can be rebuilt bit for bit later.

It reads the real data kept beside it in `data/` (`examples/data` in the repository; set `FS_DATA` to use another
copy) and works in `poc-work/` (`FS_POC_DIR`). With `MLFLOW_TRACKING_URI` set, the runs are logged to that MLflow;
without, they are kept in the store and `fs sync` pushes them once an MLflow is configured.
""")
code("""
import os
from pathlib import Path

import pandas as pd
import fs_features as fs

DATA = Path(os.environ.get("FS_DATA", "data")).resolve()
WORK = Path(os.environ.get("FS_POC_DIR", "poc-work")).resolve()
WORK.mkdir(parents=True, exist_ok=True)
os.chdir(WORK)
store = fs.Store.init(".fs")
if os.environ.get("MLFLOW_TRACKING_URI"):
    print("MLflow at", os.environ["MLFLOW_TRACKING_URI"])
else:
    print("MLflow is not configured (MLFLOW_TRACKING_URI is unset): runs are kept in the store; fs sync pushes them later")
store
""")
md("## 1. Profile the raw parquet\nNulls, duplicates, correlations and outliers, before defining anything.")
code("""
profile = store.profile(DATA / "driver_stats.parquet")
print(f"{profile.rows} rows")
for w in profile.warnings:
    print("warning:", w)
profile.columns[["type", "nulls", "distinct", "min", "max", "mean", "outliers_iqr"]]
""")
code("""
corr = profile.data["correlations"]
pd.DataFrame(corr["values"], index=corr["names"], columns=corr["names"]).astype(float).round(3)
""")
code("profile   # the full report")
md("## 2. Define and register the features\nEach definition becomes a version named by the hash of what it computes.")
code("""
definitions = f'''
entities:
  - name: driver
    join_keys: [driver_id]
sources:
  - name: driver_stats
    path: {DATA / "driver_stats.parquet"}
    entity: driver
    timestamp_field: datetime
    created_timestamp_field: created
features:
  - {{name: conv_rate, source: driver_stats, expr: conv_rate, description: share of offers the driver converted}}
  - {{name: acc_rate, source: driver_stats, expr: acc_rate, description: share of offers the driver accepted}}
  - {{name: avg_daily_trips, source: driver_stats, expr: avg_daily_trips}}
'''
Path("features.yaml").write_text(definitions)
registered = store.register("features.yaml")
pd.DataFrame(registered["features"])[["name", "version", "type", "status"]]
""")
md("## 3. The training set, as of each order\nFeature values as they were known at each order's time (and created by the cutoff).")
code("""
FEATURES = ["conv_rate", "acc_rate", "avg_daily_trips"]
train = store.training_set(FEATURES, entities=DATA / "driver_orders.csv", as_of="2021-08-01T00:00:00Z")
print("dataset", train.attrs["fs"]["dataset_id"])
train
""")
md("### Windowed aggregations\nA feature can aggregate its source's events over a window before each order: its "
   "function, window and filter are part of its version (docs/definitions.md#aggregations).")
code("""
Path("aggregations.yaml").write_text(definitions
    + "  - {name: conv_rate_mean_7d, source: driver_stats, expr: conv_rate, aggregate: mean, window: 7d}\\n"
    + "  - {name: updates_7d, source: driver_stats, aggregate: count, window: 7d}\\n")
store.register("aggregations.yaml")
store.training_set(["conv_rate", "conv_rate_mean_7d", "updates_7d"], entities=DATA / "driver_orders.csv",
                   as_of="2021-08-01T00:00:00Z")
""")
md("## 4. Train Elastic Net, exactly as scikit-learn does")
code("""
SUCCESS_RMSE = 0.5
run = store.train(train, "trip_completed", alpha=0.5, l1_ratio=0.1, test_size=0.2, seed=17,
                  experiment="poc-driver-ranking")
rmse, mae, r2 = (float(run.metrics.loc[m, "test"]) for m in ("rmse", "mae", "r2"))
print(f"RMSE {rmse!r}")
print(f"MAE {mae!r}")
print(f"R2 {r2!r}")
print("success" if rmse < SUCCESS_RMSE else "not good enough", f"(threshold RMSE < {SUCCESS_RMSE})")
print("run", run.id, "mlflow", run.mlflow_state, run.mlflow_run_id)
run.coefficients
""")
md("## 5. A sweep over alpha and l1_ratio")
code("""
best = store.train(train, "trip_completed", alpha=[0.01, 0.1, 0.5, 1.0], l1_ratio=[0.1, 0.5, 0.9], test_size=0.2, seed=17,
                   experiment="poc-driver-ranking")
print("best", best.id[:12], best.params["alpha"], best.params["l1_ratio"], best.metrics.loc["rmse", "test"])
pd.DataFrame([{"run": r.id[:12], "alpha": r.params["alpha"], "l1_ratio": r.params["l1_ratio"],
               "test_rmse": r.metrics.loc["rmse", "test"]} for r in best.runs]).sort_values("test_rmse")
""")
md("## 6. Lineage: what went into the run")
code("store.lineage(run.id)")
md("## 7. Change a feature, see what it affects, rebuild the old run\nThe old run keeps its versions: it still reproduces.")
code("""
old_version = store.feature("avg_daily_trips").attrs["fs"]["current"]
Path("features.yaml").write_text(definitions.replace("expr: avg_daily_trips}", "expr: avg_daily_trips / 7.0}"))
changed = store.register("features.yaml")
pd.DataFrame(changed["features"])[["name", "version", "status"]]
""")
code("""
impact = store.impact(f"avg_daily_trips@{old_version[:12]}")
print("changing avg_daily_trips would affect", len(impact["runs"]), "runs,", len(impact["sweeps"]), "sweeps,",
      len(impact["datasets"]), "datasets")
report = store.reproduce(run)
print("reproduced:", "identical" if report["identical"] else report["differences"])
""")
for i, c in enumerate(cells):
    c.id = f"cell-{i:02d}"  # stable ids: generating it again changes only what changed
nb = nbf.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
nbf.write(nb, OUT)
