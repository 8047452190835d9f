"""Store: the workflow of fs from Python."""
from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from typing import Any, Optional, Sequence, Union

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import _args, _errors
from ._backends import Local, Remote, segment
from ._objects import Lineage, Profile, Run

PathLike = Union[str, "os.PathLike[str]"]


class Store:
    """An fs store: a directory (driven through the fs binary) or an fs server.

    >>> store = fs_features.Store()                         # ./.fs, or the nearest above, as fs finds it
    >>> store = fs_features.Store("/data/project/.fs")
    >>> store = fs_features.Store("http://fs-host:7070", token="...")   # or FS_TOKEN

    Both kinds return the same objects and raise the same exceptions.
    """

    def __init__(self, path_or_url: Optional[PathLike] = None, token: Optional[str] = None):
        target = None if path_or_url is None else os.fspath(path_or_url)
        self._remote: Optional[Remote] = None
        self._local: Optional[Local] = None
        if target is not None and target.startswith(("http://", "https://")):
            self._remote = Remote(target, token)
        else:
            self._local = Local(target)

    @classmethod
    def init(cls, path: PathLike = ".fs") -> "Store":
        """Creates a store directory (``fs init``); an existing one is left as it is.

        >>> store = fs_features.Store.init("project/.fs")
        """
        Local(os.fspath(path)).run("init", want_json=False)
        return cls(path)

    def __repr__(self) -> str:
        return f"Store({self._remote.url if self._remote else self._local.path!r})"

    # -- registry -----------------------------------------------------------------

    def register(self, path: PathLike, dry_run: bool = False) -> dict[str, Any]:
        """Registers every definition of a YAML file, atomically; returns what
        changed (each feature's version and status), as ``fs register --json``.

        >>> store.register("features.yaml")["features"][0]["status"]
        'new'
        """
        path, dry_run = _args.path("path", path), _args.flag("dry_run", dry_run)
        if self._local:
            return self._local.run("register", path, *(["--dry-run"] if dry_run else []))[1]
        with open(path, encoding="utf-8") as f:
            content = f.read()
        return self._remote.post("/register", {"file": path, "dir": os.path.dirname(os.path.abspath(path)),
                                               "content": content, "dry_run": dry_run})

    def features(self) -> pd.DataFrame:
        """Every feature with its current version (``fs features list``)."""
        heads = self._local.run("features", "list")[1] if self._local else self._remote.get("/features")
        rows = [{"name": h["name"], "version": h["current"], "type": h.get("type"), "source": h.get("source"),
                 "versions": h.get("versions"), "updated": pd.Timestamp(h["updated"]) if h.get("updated") else None,
                 "description": (h.get("metadata") or {}).get("description", "")} for h in heads]
        return pd.DataFrame(rows, columns=["name", "version", "type", "source", "versions", "updated", "description"])

    def feature(self, name: str) -> pd.DataFrame:
        """A feature's versions, newest first (``fs features show``); ``.attrs["fs"]``
        holds the name, the current version and the metadata."""
        name = _args.text("name", name)
        d = self._local.run("features", "show", name)[1] if self._local else self._remote.get("/features/" + segment(name))
        rows = [{"version": v["version"], "current": v["current"], "registered": pd.Timestamp(v["registered"]),
                 "registered_by": v.get("registered_by", ""),
                 "created": pd.Timestamp(v["created"]), "type": v["type"], "ttl_seconds": (v.get("ttl") or 0) / 1e9,
                 "expr": v["expr"], "canonical": v["canonical"], "source": v["source"]["name"],
                 "aggregation": v.get("aggregation"),  # function, window (ns) and where of an aggregation, else None
                 "depends_on": [f"{x['name']}@{x['version'][:12]}" for x in v.get("depends_on") or []]}
                for v in d["versions"]]
        df = pd.DataFrame(rows)
        df.attrs["fs"] = {"name": d["name"], "current": d["current"], "metadata": d.get("metadata") or {}}
        return df

    def diff(self, a: str, b: str) -> dict[str, Any]:
        """Compares two versions field by field: ``NAME`` or ``NAME@VERSION`` each (``fs features diff``)."""
        a, b = _args.text("a", a), _args.text("b", b)
        return self._local.run("features", "diff", a, b)[1] if self._local else self._remote.get("/diff", a=a, b=b)

    def feature_sets(self) -> list[dict[str, Any]]:
        """Feature sets with their pinned members (``fs features sets``)."""
        return self._local.run("features", "sets")[1] if self._local else self._remote.get("/feature-sets")

    # -- training sets ------------------------------------------------------------------

    def training_set(self, features: Optional[Sequence[str]] = None, *, feature_set: Optional[str] = None,
                     entities: Union[pd.DataFrame, PathLike], as_of: Any = None,
                     timestamp_column: str = "event_timestamp", out: Optional[PathLike] = None,
                     engine: str = "local", spark_remote: Optional[str] = None,
                     memory_limit: Optional[int] = None, timings: bool = False) -> pd.DataFrame:
        """Joins features onto the entity rows as of each row's time (``fs materialize``).

        ``entities`` is a DataFrame or a CSV/TSV/parquet file; a DataFrame is written to a
        parquet file (the same rows give the same bytes, so the same dataset id) that fs keeps
        in the store by its content (``--keep-entities``), so the dataset can be rebuilt;
        the temporary file is removed. ``as_of`` (a string, datetime or pandas Timestamp;
        no zone is UTC) ignores source rows created after it. The result's ``.attrs["fs"]`` holds the dataset id, the feature versions,
        the cutoff and the file. ``memory_limit`` (bytes) bounds fs's memory: a larger source
        is spilled to disk, with the same result (``--memory-limit``). ``timings=True`` adds
        ``.attrs["fs"]["timings"]``: each step's seconds, in order (``--timings``).

        >>> train = store.training_set(["conv_rate", "acc_rate"], entities=orders)
        >>> train.attrs["fs"]["dataset_id"]
        """
        if (features is None) == (feature_set is None):
            raise _errors.UsageError("give features or feature_set, not both and not neither", code="usage",
                                     hint='features=["conv_rate", "acc_rate"], or feature_set="driver_ranking"')
        features = _args.optional(_args.texts, "features", features)
        feature_set = _args.optional(_args.text, "feature_set", feature_set)
        timestamp_column = _args.text("timestamp_column", timestamp_column)
        engine = _args.choice("engine", engine, ("local", "spark"))
        spark_remote = _args.optional(_args.text, "spark_remote", spark_remote)
        limit = _size("memory_limit", memory_limit)
        timings = _args.flag("timings", timings)
        cutoff = _time("as_of", as_of)
        out = _args.path("out", out) if out is not None else os.path.join(tempfile.mkdtemp(prefix="fs-"), "training_set.parquet")
        temp = _entity_file(entities) if isinstance(entities, pd.DataFrame) else None
        ent = temp or _args.path("entities", entities)
        try:
            ds, notices = self._materialize(features, feature_set, ent, out, cutoff, timestamp_column, engine, spark_remote,
                                            limit, timings, keep=temp is not None)
        finally:
            if temp:
                _remove(temp)
        _errors.warn(notices)
        df = pd.read_parquet(out)
        df.attrs["fs"] = {"dataset_id": ds["id"], "versions": {f["name"]: f["version"] for f in ds["features"]},
                          "cutoff": ds.get("cutoff"), "rows": ds["rows"], "path": out}
        if timings:
            df.attrs["fs"]["timings"] = _timings(notices)
        return df

    def _materialize(self, features: Optional[list[str]], feature_set: Optional[str], ent: str, out: str,
                     cutoff: Optional[str], timestamp_column: str, engine: str, spark_remote: Optional[str],
                     limit: Optional[int], timings: bool, keep: bool) -> tuple[dict, list[str]]:
        """Runs fs materialize here or on the server; returns the dataset and the notices."""
        if self._local:
            args = ["materialize", "--entities", ent, "--out", out, "--timestamp-column", timestamp_column, "-q"]
            args += ["--feature-set", feature_set] if feature_set else ["--features", ",".join(features or [])]
            args += ["--as-of", cutoff] if cutoff else []
            args += ["--engine", engine] + (["--spark-remote", spark_remote] if spark_remote else [])
            args += ["--memory-limit", str(limit)] if limit else []
            args += ["--timings"] * timings + ["--keep-entities"] * keep
            ds = self._local.run(*args)[1]
            return ds, self._local.notices()
        req = {"entities": os.path.abspath(ent), "out": os.path.abspath(out), "timestamp_column": timestamp_column,
               "engine": engine, "spark_remote": spark_remote or "", "keep_entities": keep}
        req.update({"feature_set": feature_set} if feature_set else {"features": list(features or [])})
        if cutoff:
            req["as_of"] = cutoff
        if limit:
            req["memory_limit"] = limit
        if timings:
            req["timings"] = True
        job = self._remote.job("/materialize", req)
        _write_atomic(out, self._remote.output(job))
        return job["result"], job.get("notices") or []

    # -- training -------------------------------------------------------------------------

    def train(self, dataset: Union[pd.DataFrame, PathLike], target: str, *, features: Optional[Sequence[str]] = None,
              task: str = "regression", estimator: Optional[str] = None, alpha: Union[float, Sequence[float], None] = None,
              c: Union[float, Sequence[float], None] = None, l1_ratio: Union[float, Sequence[float], None] = None,
              test_size: float = 0.25, seed: int = 0, split: str = "random", stratify: bool = False,
              select: Optional[str] = None, max_iter: Optional[int] = None, tol: Optional[float] = None,
              positive: bool = False, drop_nulls: bool = False, max_rmse: Optional[float] = None,
              max_mae: Optional[float] = None, min_r2: Optional[float] = None, min_accuracy: Optional[float] = None,
              min_f1: Optional[float] = None, min_auc: Optional[float] = None, max_log_loss: Optional[float] = None,
              experiment: Optional[str] = None, register_model: Optional[str] = None) -> Run:
        """Fits Elastic Net exactly as scikit-learn's ``ElasticNet`` on sklearn's
        ``train_test_split`` (``fs train``), or with ``task="classification"`` logistic
        regression as ``LogisticRegression(solver="saga", C=c, l1_ratio=l1_ratio,
        random_state=seed)`` (``stratify=True`` is ``train_test_split``'s ``stratify=y``).
        Several alphas (or Cs) or l1_ratios make a sweep: the best run is returned (by
        ``select``: test RMSE, or log loss for classification, by default), with ``.sweep``
        and ``.runs``. With ``MLFLOW_TRACKING_URI`` set (on the server, for a server) the
        runs are logged to MLflow. A failed quality gate raises ``GateFailed`` with the
        recorded run as ``.run``. What is not given takes the estimator's default, as
        scikit-learn's (``l1_ratio`` 0.5 and ``max_iter`` 1000 for regression, 0 and 100 for
        classification); a parameter the estimator does not read is refused.

        >>> run = store.train(train, "trip_completed", alpha=0.5, l1_ratio=0.1, test_size=0.2, seed=17)
        >>> run.metrics.loc["rmse", "test"]
        >>> clf = store.train(train, "trip_completed", task="classification", c=[0.1, 1], stratify=True)
        >>> clf.metrics.loc["roc_auc", "test"], clf.confusion_matrix
        """
        ds = _dataset_arg(dataset)
        target = _args.text("target", target)
        features = _args.optional(_args.texts, "features", features)
        task = _args.choice("task", task, ("regression", "classification"))
        chosen = {  # what is not given is left to the estimator
            "estimator": _args.optional(_args.text, "estimator", estimator),
            "alphas": _args.optional(_args.numbers_, "alpha", alpha, lo=0),
            "cs": _args.optional(_args.numbers_, "c", c, lo=0, above=True),
            "l1_ratios": _args.optional(_args.numbers_, "l1_ratio", l1_ratio, lo=0, hi=1),
            "max_iter": _args.optional(_args.integer, "max_iter", max_iter, lo=1),
            "tol": _args.optional(_args.number, "tol", tol, lo=0),
            "select": _args.optional(_args.text, "select", select),
        }
        chosen = {k: v for k, v in chosen.items() if v is not None}
        test_size = _args.number("test_size", test_size, lo=0, hi=1, above=True)
        seed = _args.integer("seed", seed, lo=0, hi=2**32 - 1)
        split = _args.choice("split", split, ("random", "time"))
        positive, stratify, drop_nulls = (_args.flag(n, v) for n, v in (("positive", positive), ("stratify", stratify),
                                                                         ("drop_nulls", drop_nulls)))
        gate = {"max_rmse": max_rmse, "max_mae": max_mae, "min_r2": min_r2, "min_accuracy": min_accuracy,
                "min_f1": min_f1, "min_auc": min_auc, "max_log_loss": max_log_loss}
        gate = {k: _args.number(k, v) for k, v in gate.items() if v is not None}
        experiment = _args.optional(_args.text, "experiment", experiment)
        register_model = _args.optional(_args.text, "register_model", register_model)
        if self._local:
            args = ["train", "--dataset", ds, "--target", target, "--task", task, "--test-size", repr(test_size),
                    "--seed", str(seed), "--split", split]
            flags = {"estimator": "--estimator", "alphas": "--alpha", "cs": "--c", "l1_ratios": "--l1-ratio",
                     "max_iter": "--max-iter", "tol": "--tol", "select": "--select"}
            for k, v in chosen.items():
                args += [flags[k], ",".join(map(repr, v)) if isinstance(v, list) else (repr(v) if isinstance(v, float) else str(v))]
            args += ["--positive"] * positive + ["--stratify"] * stratify + ["--drop-nulls"] * drop_nulls
            args += ["--features", ",".join(features)] if features else []
            for k, v in gate.items():
                args += ["--" + k.replace("_", "-"), repr(v)]
            for flag, v in (("--experiment", experiment), ("--register-model", register_model)):
                args += [flag, str(v)] if v is not None else []
            _, res = self._local.run(*args, ok=(3,))
            _errors.warn(self._local.notices())
        else:
            if os.path.exists(ds):
                ds = os.path.abspath(ds)
            request = {"target": target, "task": task, "features": list(features or []), "test_size": test_size,
                       "seed": seed, "split": split, "drop_nulls": drop_nulls, "positive": positive, "stratify": stratify,
                       "gate": gate, **chosen}
            req = {"dataset": ds, "request": request, "experiment": experiment or "", "register_model": register_model or ""}
            job = self._remote.job("/train", req)
            res = job["result"]
            _errors.warn(job.get("notices") or [])
            if job.get("error"):
                raise _errors.from_body(job["error"])
        run = Run.from_result(res)
        if not run.gate_passed:
            failed = ", ".join(res["run"]["gate"].get("failed") or [])
            raise _errors.GateFailed("quality gate failed: " + failed, run=run)
        return run

    def runs(self) -> pd.DataFrame:
        """Every run, newest first, each sweep followed by its runs (``fs runs list``)."""
        runs = self._local.run("runs", "list")[1] if self._local else self._remote.get("/runs")
        rows = [{"id": r["id"], "created": pd.Timestamp(r["created"]), "dataset": r["dataset"]["id"],
                 "target": r.get("target"), "task": r.get("task"), "estimator": r.get("estimator"),
                 "alpha": (r.get("params") or {}).get("alpha"), "c": (r.get("params") or {}).get("c"),
                 "l1_ratio": (r.get("params") or {}).get("l1_ratio"),
                 **{"test_" + k: (r.get("testing") or {}).get(k) for k in ("log_loss", "rmse", "mae", "r2")},
                 "gate_passed": (r.get("gate") or {}).get("passed"),
                 "sweep": r.get("parent"), "runs_in_sweep": len(r.get("children") or []),
                 "mlflow_state": (r.get("mlflow") or {}).get("state"), "mlflow_run_id": (r.get("mlflow") or {}).get("run_id")}
                for r in runs]
        return pd.DataFrame(rows)

    def run(self, run_id: str) -> Run:
        """One run by id or unique prefix (``fs runs show``); a sweep comes with its runs."""
        run_id = _args.text("run_id", run_id)
        d = self._local.run("runs", "show", run_id)[1] if self._local else self._remote.get("/runs/" + segment(run_id))
        if "sweep" in d:
            run = Run.from_json(d["sweep"])
            run.runs = [Run.from_json(r) for r in d["runs"]]
            return run
        return Run.from_json(d)

    # -- lineage --------------------------------------------------------------------------

    def lineage(self, node: str, direction: str = "upstream", depth: int = 10) -> Lineage:
        """What went into a run, dataset or feature (``upstream``), or what came out of it
        (``downstream``) (``fs lineage``). In Jupyter it draws itself as SVG."""
        node = _args.text("node", node)
        direction = _args.choice("direction", direction, ("upstream", "downstream"))
        depth = _args.integer("depth", depth, lo=0)
        if self._local:
            args = [node, "--depth", str(depth)] + (["--downstream"] if direction == "downstream" else [])
            trees = self._local.run("lineage", *args)[1]["trees"]
            local = self._local
            return Lineage(trees, lambda: local.run("lineage", *args, "--format", "svg", want_json=False)[1])
        q = {"id": node, "direction": direction, "depth": depth}
        remote = self._remote
        return Lineage(remote.get("/lineage", **q)["trees"], lambda: remote.raw("GET", "/lineage.svg", q).decode())

    def impact(self, feature: str) -> dict[str, Any]:
        """What a change to a feature (or one version: ``NAME@VERSION``) would affect:
        registered models, runs, sweeps, datasets, dependent features, feature sets (``fs impact``).
        A source's name gives the same for every feature on it."""
        feature = _args.text("feature", feature)
        return self._local.run("impact", feature)[1] if self._local else self._remote.get("/impact", id=feature)

    def reproduce(self, run: Union[Run, str]) -> dict[str, Any]:
        """Rebuilds a run's dataset and model from what the store recorded and compares them
        bit for bit (``fs reproduce``). Not identical: ``NotReproducible`` with ``.report``."""
        run_id = run.id if isinstance(run, Run) else _args.text("run", run)
        if self._local:
            _, rep = self._local.run("reproduce", run_id, ok=(4,))
        else:
            rep = self._remote.job("/reproduce", {"run": run_id})["result"]
        if not rep.get("identical"):
            raise _errors.NotReproducible("the rebuild is not identical: " + "; ".join(rep.get("differences") or []), report=rep)
        return rep

    # -- online serving ---------------------------------------------------------------------

    def online_sync(self, features: Optional[Sequence[str]] = None, *, feature_set: Optional[str] = None,
                    run: Union[Run, str, None] = None, as_of: Any = None, full: bool = False) -> dict[str, Any]:
        """Computes the features' online values for every entity key of their sources as of
        ``as_of`` (default now), by materialize's own rule (``fs online sync``); returns what
        each feature's sync did (``synced``, ``updated``, ``unchanged``)."""
        req = _online_what(features, feature_set, run)
        cutoff, full = _time("as_of", as_of), _args.flag("full", full)
        if self._local:
            args = ["online", "sync", *_online_args(req)] + (["--as-of", cutoff] if cutoff else []) + ["--full"] * full
            return self._local.run(*args)[1]
        req.update({"as_of": cutoff} if cutoff else {})
        req.update({"full": True} if full else {})
        return self._remote.job("/online/sync", req)["result"]

    def online(self, features: Optional[Sequence[str]] = None, *, feature_set: Optional[str] = None,
               run: Union[Run, str, None] = None, entities: Any, predict: bool = False) -> pd.DataFrame:
        """The online values of features for entities, one row per entity in order
        (``fs online get``, ``POST /api/v1/online``): the join keys, then each feature.

        ``entities`` is a list of dicts of join key values, a dict of lists, or a DataFrame of
        the join key columns (at most 10,000 rows). ``run`` reads the versions a run's model was
        trained on; ``predict=True`` (with ``run``) adds the model's prediction. The result's
        ``.attrs["fs"]`` holds the feature versions, ``as_of``, each feature's sync, and
        ``nulls``: for each row, why each null feature is null (``no_row``, ``outside_ttl``,
        ``null_value``).

        >>> store.online(feature_set="driver_ranking", entities=[{"driver_id": 1001}])
        """
        req = _online_what(features, feature_set, run)
        ents = _entities(entities)
        if _args.flag("predict", predict):
            if "run" not in req:
                raise _errors.UsageError("predict=True needs the run whose model predicts", code="usage",
                                         hint="store.online(run=run, entities=..., predict=True)")
            req["predict"] = True
        if self._local:
            if req.get("predict"):
                args = ["predict", "--online", "--model", req["run"]]
            else:
                args = ["online", "get", *_online_args(req)]
            for e in ents:
                args += ["--entity", ",".join(f"{k}={json.dumps(v)}" for k, v in e.items())]
            res = self._local.run(*args)[1]
        else:
            res = self._remote.post("/online", {**req, "entities": ents})
        df = pd.DataFrame(res["rows"], columns=res["columns"])
        df.attrs["fs"] = {"versions": res["versions"], "as_of": res["as_of"], "features": res["features"],
                          "nulls": res["nulls"]}
        return df

    def online_check(self, last: int = 100) -> dict[str, Any]:
        """Replays the last online requests a server logged (``fs serve --log-requests``)
        through materialize (``fs online check``); returns the replay, whose ``differences``
        lists every value served that materialize gives otherwise."""
        last = _args.integer("last", last, lo=1)
        if self._local:
            return self._local.run("online", "check", "--last", str(last), ok=(1,))[1]
        return self._remote.job("/online/check", {"last": last})["result"]

    def push(self, source: str, rows: Union[pd.DataFrame, PathLike]) -> dict[str, Any]:
        """Appends rows (a DataFrame, or a parquet or CSV file) to a source as a new file and
        updates the pushed keys' online values (``fs push``). Rows that do not match the
        source's files are refused and nothing is appended. Through a server, ``rows`` is a
        file under its data roots."""
        source = _args.text("source", source)
        if isinstance(rows, pd.DataFrame):
            if self._remote:
                raise _errors.UsageError("a server cannot read a DataFrame of this process", code="usage",
                                         hint="write the rows to a file under the server's data root and push the file")
            path = os.path.join(tempfile.mkdtemp(prefix="fs-"), "rows.parquet")
            rows.to_parquet(path, index=False)
            try:
                return self._local.run("push", source, path)[1]
            finally:
                _remove(path)
        path = _args.path("rows", rows)
        if self._local:
            return self._local.run("push", source, path)[1]
        return self._remote.job("/push", {"source": source, "input": os.path.abspath(path)})["result"]

    # -- data quality -----------------------------------------------------------------------

    def profile(self, data: PathLike, target: Optional[str] = None) -> Profile:
        """Profiles a parquet file or directory, or a registered source (``fs profile``):
        per-column statistics, table checks, correlations, warnings. In Jupyter it shows the
        HTML report."""
        data = _args.path("data", data)
        target = _args.optional(_args.text, "target", target)
        if self._local:
            html_path = os.path.join(tempfile.mkdtemp(prefix="fs-"), "profile.html")
            args = ["profile", data, "--html", html_path] + (["--target", target] if target else [])
            prof = self._local.run(*args)[1]
            with open(html_path, encoding="utf-8") as f:
                return Profile(prof, f.read())
        req = {"target": os.path.abspath(data) if os.path.exists(data) else data, "html": True}
        if target:
            req["label"] = target
        job = self._remote.job("/profile", req)
        prof = job["result"]
        if prof.get("path") == req["target"]:
            prof["path"] = data
        return Profile(prof, self._remote.output(job).decode())

    def validate(self, data: PathLike, expectations: PathLike) -> list[dict[str, Any]]:
        """Checks data against an expectations file (``fs validate``); returns nothing when every
        expectation holds, else raises ``ValidationFailed`` naming each violation."""
        data, expectations = _args.path("data", data), _args.path("expectations", expectations)
        if self._local:
            _, res = self._local.run("validate", data, "--expect", expectations, ok=(5,))
        else:
            with open(expectations, encoding="utf-8") as f:
                body = {"target": os.path.abspath(data) if os.path.exists(data) else data, "file": expectations,
                        "expectations": f.read()}
            res = self._remote.job("/validate", body)["result"]
        if res["violations"]:
            raise _errors.ValidationFailed(f"{len(res['violations'])} expectations failed", violations=res["violations"])
        return []


def _online_what(features: Optional[Sequence[str]], feature_set: Optional[str], run: Union[Run, str, None]) -> dict[str, Any]:
    """What an online call asks for: features, a feature set or a run (one of them)."""
    if sum(x is not None for x in (features, feature_set, run)) != 1:
        raise _errors.UsageError("give one of features, feature_set and run", code="usage",
                                 hint='features=["conv_rate"], feature_set="driver_ranking", or run=run')
    if run is not None:
        return {"run": run.id if isinstance(run, Run) else _args.text("run", run)}
    if feature_set is not None:
        return {"feature_set": _args.text("feature_set", feature_set)}
    return {"features": _args.texts("features", features)}


def _online_args(req: dict[str, Any]) -> list[str]:
    """The command line flags of what an online call asks for."""
    if "run" in req:
        return ["--run", req["run"]]
    if "feature_set" in req:
        return ["--feature-set", req["feature_set"]]
    return ["--features", ",".join(req["features"])]


def _entities(entities: Any) -> list[dict[str, Any]]:
    """Entities as a list of dicts of plain Python values (ints, strings)."""
    if isinstance(entities, pd.DataFrame):
        entities = entities.to_dict("records")
    elif isinstance(entities, dict):
        entities = pd.DataFrame(entities).to_dict("records")
    if not isinstance(entities, (list, tuple)) or not all(isinstance(e, dict) for e in entities):
        raise _errors.UsageError("entities: give a list of dicts of join key values, a dict of lists or a DataFrame",
                                 code="usage", hint='entities=[{"driver_id": 1001}]')
    return [{str(k): (v.item() if hasattr(v, "item") else v) for k, v in e.items()} for e in entities]


def _time(name: str, t: Any) -> Optional[str]:
    """A time as RFC 3339 in UTC, the same for both kinds of store: a string pandas reads
    ("2021-08-01", "2021-08-01 12:00", ISO 8601), a datetime or a Timestamp; no zone is UTC."""
    if t is None:
        return None
    try:
        ts = pd.Timestamp(t)
    except (ValueError, TypeError, OverflowError) as e:
        raise _errors.UsageError(f"{name}: cannot read {t!r} as a time ({e})", code="usage",
                                 hint=f'give {name} as "2021-08-01", "2021-08-01T00:00:00Z", a datetime or a pandas Timestamp') from None
    if ts is pd.NaT:
        raise _errors.UsageError(f"{name}: {t!r} is not a time", code="usage", hint=f'give {name} as "2021-08-01"')
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return ts.tz_convert("UTC").isoformat().replace("+00:00", "Z")


_UNITS = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40), ("KB", 10**3), ("MB", 10**6),
          ("GB", 10**9), ("TB", 10**12), ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("T", 1 << 40), ("B", 1)]


def _size(name: str, v: Any) -> Optional[int]:
    """A memory size in bytes: an int, or a string as the command line takes it
    ("512MB", "2GiB")."""
    if v is None:
        return None
    if isinstance(v, str):
        text = v.strip()
        for suffix, mult in _UNITS:
            if text.lower().endswith(suffix.lower()) and len(text) > len(suffix):
                try:
                    return _args.integer(name, int(float(text[:-len(suffix)].strip()) * mult), lo=1)
                except ValueError:
                    break
        raise _errors.UsageError(f"{name}: {v!r} is not a size", code="usage",
                                 hint='give bytes, or "512MB", "2GB" (powers of 1000), "512MiB", "2GiB" (powers of 1024)')
    return _args.integer(name, v, lo=1)


def _remove(path: str) -> None:
    """Removes a temporary file and its directory, if now empty."""
    for remove, p in ((os.remove, path), (os.rmdir, os.path.dirname(path)), (os.rmdir, os.path.dirname(os.path.dirname(path)))):
        try:
            remove(p)
        except OSError:
            return


def _dataset_arg(dataset: Union[pd.DataFrame, PathLike]) -> str:
    if isinstance(dataset, pd.DataFrame):
        info = dataset.attrs.get("fs")
        if not info:
            raise _errors.UsageError("this DataFrame did not come from Store.training_set",
                                     code="usage", hint="train on the DataFrame training_set returned, or give a parquet file or a dataset id")
        return info["dataset_id"]  # the store knows its file: here, or on the server
    return _args.path("dataset", dataset)


def _entity_file(df: pd.DataFrame) -> str:
    """Writes entity rows to a temporary parquet file (in .fs-entities/ here, which a
    server under the same data roots reads too): the same rows, the same bytes, so the
    same dataset id as the command line gives for that file. fs keeps a copy in the store."""
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), buf, compression="zstd")
    data = buf.getvalue()
    tmp = tempfile.mkdtemp(prefix="call-", dir=_mkdir(".fs-entities"))
    path = os.path.join(tmp, hashlib.sha256(data).hexdigest()[:16] + ".parquet")
    _write_atomic(path, data)
    return path


def _mkdir(d: str) -> str:
    os.makedirs(d, exist_ok=True)
    return d


def _write_atomic(path: str, data: bytes) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _timings(notices: Sequence[str]) -> dict[str, float]:
    """The steps of ``--timings`` (``timing: STEP  SECONDS s``) as {step: seconds}, in order."""
    out = {}
    for line in notices:
        if line.startswith("timing: ") and line.endswith(" s"):
            step, secs = line[len("timing: "):-2].rsplit(None, 1)
            out[step.strip()] = float(secs)
    return out
