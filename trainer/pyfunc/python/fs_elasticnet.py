"""fs Elastic Net model, loadable with mlflow.pyfunc.load_model, and with mlflow.sklearn.load_model (its
model.pkl pickles no object: it is one call of _sklearn_from_json on the model's JSON)."""
import json
import os

import numpy as np


def _predict(X, coef, intercept):
    """X @ coef + intercept as fs computes it: features in order, each
    product rounded before it is added, then the intercept."""
    X = np.asarray(X, dtype=np.float64)
    s = np.zeros(X.shape[0], dtype=np.float64)
    for j in range(X.shape[1]):
        s = s + X[:, j] * coef[j]
    return s + intercept


try:
    from sklearn.linear_model import ElasticNet as _SklearnElasticNet
except ImportError:  # scikit-learn is optional
    _SklearnElasticNet = None

if _SklearnElasticNet is not None:

    class FsSklearnElasticNet(_SklearnElasticNet):
        """A fitted sklearn ElasticNet whose predict sums in fs's order, so
        it gives fs predict's numbers to the last bit (numpy's X @ coef_
        differs in the last place on some rows)."""

        def predict(self, X):
            from sklearn.utils.validation import check_is_fitted, validate_data

            check_is_fitted(self)
            X = validate_data(self, X, reset=False)
            return _predict(X, self.coef_, self.intercept_)


class FsElasticNet:
    def __init__(self, model):
        self.model = model
        self.features = [f["name"] for f in model["features"]]
        self.coef = np.asarray(model["coef"], dtype=np.float64)
        self.intercept = float(model["intercept"])

    def predict(self, model_input, params=None):
        import pandas as pd

        if isinstance(model_input, pd.DataFrame):
            missing = [f for f in self.features if f not in model_input.columns]
            if missing:
                raise ValueError(f"missing feature columns: {missing}")
            X = model_input[self.features].to_numpy(dtype=np.float64)
        else:
            X = np.asarray(model_input, dtype=np.float64)
        return _predict(X, self.coef, self.intercept)

    def estimator(self):
        """The model as a fitted scikit-learn ElasticNet (needs scikit-learn):
        coef_, intercept_, n_iter_, dual_gap_ and feature_names_in_ set, so
        scikit-learn's tools (permutation_importance, plots) take it. Give
        predict the feature columns, in order.

            est = mlflow.pyfunc.load_model("runs:/<id>/model").get_raw_model()
        """
        if _SklearnElasticNet is None:
            raise ImportError("the scikit-learn estimator needs scikit-learn: pip install scikit-learn")
        p = self.model["params"]
        est = FsSklearnElasticNet(alpha=p["alpha"], l1_ratio=p["l1_ratio"], max_iter=p["max_iter"], tol=p["tol"],
                                  positive=p["positive"])
        est.coef_ = self.coef.copy()
        est.intercept_ = np.float64(self.intercept)
        est.n_iter_ = int(self.model.get("n_iter", 0))
        est.dual_gap_ = np.float64(self.model.get("dual_gap", 0.0))
        est.n_features_in_ = len(self.features)
        est.feature_names_in_ = np.asarray(self.features, dtype=object)
        return est

    def get_raw_model(self):
        """What mlflow.pyfunc's PyFuncModel.get_raw_model() returns: the
        scikit-learn estimator (see estimator)."""
        return self.estimator()


def _load_pyfunc(data_path):
    with open(os.path.join(data_path, "model.json")) as f:
        return FsElasticNet(json.load(f))


def _sklearn_from_json(text):
    """What the sklearn flavour's model.pkl calls: the fitted scikit-learn
    estimator of the model's JSON (mlflow.sklearn.load_model)."""
    return FsElasticNet(json.loads(text)).estimator()
