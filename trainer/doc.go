// Package trainer fits models exactly as scikit-learn does and evaluates
// them, on materialized datasets pinned to feature versions.
//
// # Estimators
//
// An Estimator is a kind of model: its parameters and defaults, how it
// reads the target, fits and scores, the metric that picks a sweep's
// best run, its MLflow names and its pyfunc flavour (estimator.go). Train
// and everything that reads a run (Predict, the gate, Compare, the run's
// JSON) go through it; the registered ones are listed in estimators.go:
// Elastic Net (regression.go) and logistic regression (classification.go).
//
// # Elastic Net
//
// ElasticNet.Fit minimises
//
//	1/(2n) ||y - Xw - b||² + alpha·l1_ratio·||w||₁ + alpha·(1-l1_ratio)/2·||w||²
//
// by cyclic coordinate descent as scikit-learn 1.9 does (sklearn/linear_model
// _cd_fast.pyx, enet_coordinate_descent): X and y are centred, the duality
// gap is checked before the loop and whenever the largest coefficient change
// is at most tol times the largest coefficient (or at the last iteration),
// gap-safe screening drops features, and the fit stops when the gap is at
// most tol·||y||². A fit that reaches max_iter returns its last iterate with
// Converged false and the gap, as scikit-learn's ConvergenceWarning does.
//
// Two paths compute the same iterates. The data path (datapath.go) keeps
// the residual and centres X on the fly with the rounding scikit-learn's
// in-place centring gives, so its residual updates are scikit-learn's own;
// its sweeps split the rows into fixed blocks shared out among the
// processors (one spin barrier per coordinate) and skip the columns whose
// coefficient is sure to stay at zero. The Gram path (grampath.go), taken
// when rows far outnumber columns, takes the column means as the data path
// does, then builds X_cᵀX_c and X_cᵀy (X_c rounded as numpy centres it) in
// one more pass with a register-tiled AVX2/FMA kernel (kernels_amd64.s),
// and each coordinate step is O(p). Every partition of the work depends on the
// data alone and every kernel has a portable twin computing the same bits,
// so a fit gives the same bits on any number of processors and with or
// without AVX2.
//
// # Logistic regression
//
// Logistic.Fit (logistic.go) fits elastic-net-penalised logistic regression
// as scikit-learn's LogisticRegression(solver="saga") does: sag64 of
// _sag_fast.pyx.tp with saga=True followed operation by operation (the
// sample order from make_dataset's seed and our_rand_r, the step size, the
// scaled weights and their just-in-time catch-up, the proximal L1 step, the
// stopping rule), so coefficients agree to the last few bits and epoch
// counts exactly. Classifier predicts labels and probabilities;
// EvaluateClassifier computes sklearn.metrics' accuracy, precision, recall,
// F1 (binary, macro, weighted), ROC AUC, log loss and the confusion
// matrix; labels.go encodes labels in sklearn's sorted order.
//
// # Split
//
// TrainTestSplit reproduces sklearn.model_selection.train_test_split with an
// integer random_state: numpy's legacy MT19937 permutation, test rows first;
// StratifiedSplit its stratify=y (StratifiedShuffleSplit).
//
// # Runs
//
// A run records its estimator's parameters, model and scores and nothing
// of another's; its id hashes what determines the model (RunDescriptor).
// GroupSweeps and Compare put runs in order and side by side. The trainer
// declares the small interfaces it needs to record and mirror a run
// (RunStore, Tracker); storage and MLflow are adapters.
package trainer
