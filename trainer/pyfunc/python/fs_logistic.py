"""fs logistic regression model, loadable with mlflow.pyfunc.load_model (no pickles).

    model = mlflow.pyfunc.load_model("runs:/<id>/model")
    model.predict(df)                                             # labels
    model.predict(df, params={"predict_method": "predict_proba"}) # a DataFrame, proba_<class> columns
    model.get_raw_model()                                         # a fitted sklearn LogisticRegression
"""
import json
import os

import numpy as np


def _decision(X, coef, intercept):
    """X @ coef.T + intercept as fs computes it: features in order, each
    product rounded before it is added, then the intercept."""
    X = np.asarray(X, dtype=np.float64)
    out = np.empty((X.shape[0], len(coef)), dtype=np.float64)
    for r, row in enumerate(coef):
        s = np.zeros(X.shape[0], dtype=np.float64)
        for j in range(X.shape[1]):
            s = s + X[:, j] * row[j]
        out[:, r] = s + intercept[r]
    return out


def _proba(d):
    if d.shape[1] == 1:
        p = 1 / (1 + np.exp(-d[:, 0]))
        return np.column_stack([1 - p, p])
    e = np.exp(d - d.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _typed(classes, label_type):
    if label_type == "int64":
        return np.asarray([int(c) for c in classes], dtype=np.int64)
    if label_type == "float64":
        return np.asarray([float(c) for c in classes], dtype=np.float64)
    if label_type == "bool":
        return np.asarray([c == "True" for c in classes], dtype=bool)
    return np.asarray(classes, dtype=object)


class FsLogistic:
    def __init__(self, model):
        self.model = model
        self.features = [f["name"] for f in model["features"]]
        self.coef = np.asarray(model["coef"], dtype=np.float64)
        self.intercept = np.asarray(model["intercept"], dtype=np.float64)
        self.classes = _typed(model["classes"], model["label_type"])

    def _X(self, model_input):
        import pandas as pd

        if isinstance(model_input, pd.DataFrame):
            missing = [f for f in self.features if f not in model_input.columns]
            if missing:
                raise ValueError(f"missing feature columns: {missing}")
            return model_input[self.features].to_numpy(dtype=np.float64)
        return np.asarray(model_input, dtype=np.float64)

    def predict_proba(self, model_input):
        """A DataFrame of class probabilities, one proba_<class> column per class."""
        import pandas as pd

        p = _proba(_decision(self._X(model_input), self.coef, self.intercept))
        return pd.DataFrame(p, columns=["proba_" + c for c in self.model["classes"]])

    def predict(self, model_input, params=None):
        method = (params or {}).get("predict_method", "predict")
        if method == "predict_proba":
            return self.predict_proba(model_input)
        if method != "predict":
            raise ValueError(f"predict_method must be predict or predict_proba, not {method!r}")
        d = _decision(self._X(model_input), self.coef, self.intercept)
        idx = (d[:, 0] > 0).astype(int) if d.shape[1] == 1 else d.argmax(axis=1)
        return self.classes[idx]

    def estimator(self):
        """The model as a fitted scikit-learn LogisticRegression (needs scikit-learn)."""
        from sklearn.linear_model import LogisticRegression

        p = self.model["params"]
        est = LogisticRegression(solver="saga", C=p["c"], l1_ratio=p["l1_ratio"], max_iter=p["max_iter"], tol=p["tol"],
                                 random_state=p["random_state"])
        est.classes_ = self.classes
        est.coef_ = self.coef.copy()
        est.intercept_ = self.intercept.copy()
        est.n_iter_ = np.asarray([int(self.model.get("n_iter", 0))], dtype=np.int32)
        est.n_features_in_ = len(self.features)
        est.feature_names_in_ = np.asarray(self.features, dtype=object)
        return est

    def get_raw_model(self):
        """What mlflow.pyfunc's PyFuncModel.get_raw_model() returns: the
        scikit-learn estimator (see estimator)."""
        return self.estimator()


def _load_pyfunc(data_path):
    with open(os.path.join(data_path, "model.json")) as f:
        return FsLogistic(json.load(f))


def _sklearn_from_json(text):
    """What the sklearn flavour's model.pkl calls: the fitted scikit-learn
    estimator of the model's JSON (mlflow.sklearn.load_model)."""
    return FsLogistic(json.loads(text)).estimator()
