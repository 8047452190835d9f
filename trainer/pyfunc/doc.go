// Package pyfunc writes a trained model in MLflow's pyfunc layout, so that
// mlflow.pyfunc.load_model(dir).predict(df) gives the numbers fs predict
// gives, without pickles: MLmodel, python_env.yaml, requirements.txt,
// code/fs_elasticnet.py (the loader module) and data/model.json. The
// signature is typed as pandas reads the run's dataset file (ColumnType),
// so MLflow's schema enforcement accepts that file. The directory is
// written whole (atomicfile.WriteDir).
package pyfunc
