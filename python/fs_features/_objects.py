"""What the Store returns besides DataFrames: runs, lineage graphs, profiles."""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Optional

import pandas as pd


@dataclass
class Run:
    """A training run (for a sweep: its best run, with ``.sweep`` and ``.runs``).

    >>> run.metrics            # train and test RMSE, MAE, R2, MSE (a classifier's: accuracy, F1, AUC, log loss...)
    >>> run.coefficients       # a Series indexed by feature (a classifier of 3+ classes: a DataFrame, a column per class)
    >>> run.mlflow_run_id      # when the run is in MLflow
    >>> run.confusion_matrix   # a classifier's, on the test rows
    """

    id: str
    dataset_id: str
    target: str
    params: dict[str, Any]
    metrics: pd.DataFrame
    coefficients: pd.Series
    intercept: Optional[float]
    feature_versions: dict[str, str]
    gate_passed: bool
    mlflow_state: str
    mlflow_run_id: Optional[str]
    raw: dict[str, Any] = field(repr=False)
    sweep: Optional["Run"] = field(default=None, repr=False)
    runs: list["Run"] = field(default_factory=list, repr=False)
    model_dir: Optional[str] = None
    task: str = "regression"
    classes: list[str] = field(default_factory=list)
    confusion_matrix: Optional[pd.DataFrame] = None

    @classmethod
    def from_json(cls, r: dict[str, Any]) -> "Run":
        if r.get("task") == "classification":
            return cls._classifier(r)
        model = r.get("model") or {}
        names = [f["name"] for f in r.get("features") or []]
        metrics = pd.DataFrame({"train": r.get("training") or {}, "test": r.get("testing") or {}})
        return cls(id=r["id"], dataset_id=r["dataset"]["id"], target=r.get("target", ""),
                   params={**(r.get("params") or {}), "split": r.get("split")}, metrics=metrics,
                   coefficients=pd.Series(model.get("coef") or [], index=names[:len(model.get("coef") or [])], dtype="float64"),
                   intercept=model.get("intercept"),
                   feature_versions={f["name"]: f.get("version", "") for f in r.get("features") or []},
                   gate_passed=bool((r.get("gate") or {}).get("passed", True)),
                   mlflow_state=(r.get("mlflow") or {}).get("state", ""),
                   mlflow_run_id=(r.get("mlflow") or {}).get("run_id") or None, raw=r)

    @classmethod
    def _classifier(cls, r: dict[str, Any]) -> "Run":
        fit = r["classifier"]
        names = [f["name"] for f in r.get("features") or []]
        classes = fit["classes"]

        def flat(m: dict[str, Any]) -> dict[str, Any]:
            out = {"accuracy": m["accuracy"], "log_loss": m["log_loss"], "roc_auc": m["roc_auc"], "rows": m["rows"]}
            if m.get("binary"):
                out.update(m["binary"])
            for avg in ("macro", "weighted"):
                out.update({f"{k}_{avg}": v for k, v in m[avg].items()})
            if "roc_auc_ovo_weighted" in m:
                out["roc_auc_ovo_weighted"] = m["roc_auc_ovo_weighted"]
            return out

        metrics = pd.DataFrame({"train": flat(r["training_classification"]), "test": flat(r["testing_classification"])})
        if len(fit["coef"]) == 1:
            coef: Any = pd.Series(fit["coef"][0], index=names, dtype="float64")
            intercept: Any = fit["intercept"][0]
        else:
            coef = pd.DataFrame(list(zip(*fit["coef"])), index=names, columns=classes, dtype="float64")
            intercept = pd.Series(fit["intercept"], index=classes, dtype="float64")
        cm = pd.DataFrame(r["testing_classification"]["confusion_matrix"], index=pd.Index(classes, name="true"),
                          columns=pd.Index(classes, name="predicted"))
        return cls(id=r["id"], dataset_id=r["dataset"]["id"], target=r.get("target", ""),
                   params={**(r.get("logistic") or {}), "split": r.get("split")}, metrics=metrics, coefficients=coef,
                   intercept=intercept, feature_versions={f["name"]: f.get("version", "") for f in r.get("features") or []},
                   gate_passed=bool((r.get("gate") or {}).get("passed", True)),
                   mlflow_state=(r.get("mlflow") or {}).get("state", ""),
                   mlflow_run_id=(r.get("mlflow") or {}).get("run_id") or None, raw=r, task="classification",
                   classes=classes, confusion_matrix=cm)

    @classmethod
    def from_result(cls, res: dict[str, Any]) -> "Run":
        """A train result: {run, sweep?, runs?, model_dir}."""
        run = cls.from_json(res["run"])
        run.model_dir = res.get("model_dir")
        if res.get("sweep"):
            run.sweep = cls.from_json(res["sweep"])
            run.runs = [cls.from_json(r) for r in res.get("runs") or []]
        return run

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{v.get('train', '')}</td><td>{v.get('test', '')}</td></tr>"
                       for k, v in self.metrics.T.to_dict().items())
        return (f"<p>run <code>{self.id[:12]}</code> on dataset <code>{self.dataset_id[:12]}</code>, "
                f"mlflow {html.escape(self.mlflow_state)} {html.escape(self.mlflow_run_id or '')}</p>"
                f"<table><tr><th>metric</th><th>train</th><th>test</th></tr>{rows}</table>")


class Lineage:
    """A lineage walk: ``.trees`` (as ``fs lineage --json``), ``.nodes`` (a
    DataFrame), and an SVG drawing that Jupyter shows inline.

    >>> store.lineage(run.id)            # in a notebook: the graph
    >>> store.lineage("conv_rate", direction="downstream").nodes
    """

    def __init__(self, trees: list[dict[str, Any]], svg: Any):
        self.trees = trees
        self._svg, self._svg_text = svg, None

    @property
    def nodes(self) -> pd.DataFrame:
        seen: dict[str, dict[str, Any]] = {}

        def walk(t: dict[str, Any]) -> None:
            n = t["node"]
            seen.setdefault(n["id"], {"id": n["id"], "kind": n["kind"], "label": n["label"], **(n.get("attrs") or {})})
            for c in t.get("children") or []:
                walk(c)
        for t in self.trees:
            walk(t)
        return pd.DataFrame(list(seen.values()))

    def svg(self) -> str:
        """The graph as SVG, laid out left to right by Graphviz (inside fs)."""
        if self._svg_text is None:
            self._svg_text = self._svg()
        return self._svg_text

    def _repr_svg_(self) -> str:
        return self.svg()


class Profile:
    """A data profile: ``.data`` (as ``fs profile --json``), ``.columns`` and
    ``.warnings``; in Jupyter it shows the HTML report inline.

    >>> store.profile("data/driver_stats.parquet").warnings
    """

    def __init__(self, data: dict[str, Any], report: str):
        self.data, self.report = data, report

    @property
    def columns(self) -> pd.DataFrame:
        return pd.DataFrame(self.data.get("columns") or []).set_index("name")

    @property
    def warnings(self) -> list[str]:
        return [w["message"] for w in self.data.get("warnings") or []]

    @property
    def rows(self) -> int:
        return int(self.data.get("rows", 0))

    def _repr_html_(self) -> str:
        return ('<iframe style="width:100%;height:640px;border:1px solid #ddd" srcdoc="'
                + html.escape(self.report, quote=True) + '"></iframe>')
