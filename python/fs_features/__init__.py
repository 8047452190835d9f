"""fs_features: fs from Python and Jupyter.

fs versions feature definitions by what they compute, builds point-in-time
correct training sets from parquet, fits Elastic Net exactly as scikit-learn
does, logs runs to MLflow and records the lineage. This package drives the
fs binary built into it on a store directory, or speaks the API of an
``fs serve`` server; both give the same results.

>>> import fs_features as fs
>>> store = fs.Store()
>>> store.register("features.yaml")
>>> train = store.training_set(["conv_rate", "acc_rate", "avg_daily_trips"], entities=orders)
>>> run = store.train(train, "trip_completed", alpha=0.5, l1_ratio=0.1, test_size=0.2, seed=17)
>>> store.lineage(run.id)       # drawn inline in Jupyter
"""
from ._errors import (FsError, FsWarning, GateFailed, Interrupted, NoStore, NotReproducible, PermissionDenied,
                      StoreBusy, StoreDamaged, UsageError, ValidationFailed)
from ._objects import Lineage, Profile, Run
from ._store import Store

__version__ = "0.3.0"
__all__ = ["Store", "Run", "Lineage", "Profile", "FsError", "FsWarning", "UsageError", "GateFailed", "NotReproducible",
           "ValidationFailed", "NoStore", "StoreBusy", "StoreDamaged", "PermissionDenied", "Interrupted"]
