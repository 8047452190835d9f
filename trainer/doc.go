// Package trainer will fit Elastic Net models on materialized datasets,
// bit-compatible with scikit-learn, and declare the small interface it
// needs to log a run; the MLflow client will be an adapter implementing it,
// so that the numerical code never imports HTTP.
package trainer
