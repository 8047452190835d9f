// Package mlflow mirrors fs training runs to an MLflow tracking server
// through its REST API (/api/2.0): experiments, runs, batched params,
// metrics and tags, dataset inputs, model artifacts through the server's
// artifact proxy, MLflow 3 logged models (created, linked to the run's
// metrics and outputs, uploaded, finalized; a server without them, before
// MLflow 3, gets the run's artifact only), and the model registry.
//
// It reads MLflow's own environment: MLFLOW_TRACKING_URI,
// MLFLOW_TRACKING_TOKEN (bearer), MLFLOW_TRACKING_USERNAME and
// MLFLOW_TRACKING_PASSWORD (basic), MLFLOW_EXPERIMENT_NAME. Requests time
// out (MLFLOW_HTTP_REQUEST_TIMEOUT seconds, default 120) and are retried
// with exponential backoff on 408, 429, 5xx and connection failures,
// honouring Retry-After: MLFLOW_HTTP_REQUEST_MAX_RETRIES times (default 5),
// the first wait MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR seconds (default 1),
// doubled each time.
//
// Syncing a run is resumable: every step done is recorded on the fs run
// (trainer.MLflowRef), so a run interrupted by an unreachable or failing
// server is finished later by fs sync without creating a second MLflow run.
// Creating a run, the one step that cannot simply be sent again, first
// looks for the run by its fs.run_id and fs.store tags (FindOrCreateRun),
// so a lost answer or a kill makes no second run either; a logged model is
// found again by its source run the same way. Runs keep their own times:
// start at the fit, end at the evaluation's end, however late they are
// pushed. Each step that
// fails is named in the error, and each retry is told to Client.Notify.
package mlflow
