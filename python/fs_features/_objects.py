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
    estimator: str = ""
    classes: list[str] = field(default_factory=list)
    confusion_matrix: Optional[pd.DataFrame] = None

    @classmethod
    def from_json(cls, r: dict[str, Any]) -> "Run":
        """A run as ``fs runs show --json`` writes it: its estimator's
        params, model and metrics (a classifier's model has classes)."""
        model = r.get("model") or {}
        names = [f["name"] for f in r.get("features") or []]
        classes = model.get("classes") or []
        train, test = r.get("training") or {}, r.get("testing") or {}
        coef, intercept, cm = model.get("coef") or [], model.get("intercept"), None
        if classes:
            train, test = _flat_class_metrics(train), _flat_class_metrics(r.get("testing") or {})
            cm = pd.DataFrame((r.get("testing") or {}).get("confusion_matrix") or [], index=pd.Index(classes, name="true"),
                              columns=pd.Index(classes, name="predicted"))
        if coef and isinstance(coef[0], list) and len(coef) == 1:
            coef, intercept = coef[0], intercept[0]
        if coef and isinstance(coef[0], list):
            coefficients: Any = pd.DataFrame(list(zip(*coef)), index=names, columns=classes, dtype="float64")
            intercept = pd.Series(intercept, index=classes, dtype="float64")
        else:
            coefficients = pd.Series(coef, index=names[:len(coef)], dtype="float64")
        return cls(id=r["id"], dataset_id=r["dataset"]["id"], target=r.get("target", ""),
                   params={**(r.get("params") or {}), "split": r.get("split")},
                   metrics=pd.DataFrame({"train": train, "test": test}), coefficients=coefficients, intercept=intercept,
                   feature_versions={f["name"]: f.get("version", "") for f in r.get("features") or []},
                   gate_passed=bool((r.get("gate") or {}).get("passed", True)),
                   mlflow_state=(r.get("mlflow") or {}).get("state", ""),
                   mlflow_run_id=(r.get("mlflow") or {}).get("run_id") or None, raw=r,
                   task=r.get("task") or "regression", estimator=r.get("estimator") or "", classes=classes,
                   confusion_matrix=cm)

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


def _flat_class_metrics(m: dict[str, Any]) -> dict[str, Any]:
    """A classifier's metrics in one level: binary precision, recall and
    F1 (two classes), and each average's as precision_macro..."""
    if not m:
        return {}
    out = {"accuracy": m["accuracy"], "log_loss": m["log_loss"], "roc_auc": m["roc_auc"], "rows": m["rows"]}
    if m.get("binary"):
        out.update(m["binary"])
    for avg in ("macro", "weighted"):
        out.update({f"{k}_{avg}": v for k, v in m[avg].items()})
    if "roc_auc_ovo_weighted" in m:
        out["roc_auc_ovo_weighted"] = m["roc_auc_ovo_weighted"]
    return out


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
