// Package trainer fits Elastic Net regression exactly as scikit-learn does
// and evaluates it, on materialized datasets pinned to feature versions.
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
// # Split
//
// TrainTestSplit reproduces sklearn.model_selection.train_test_split with an
// integer random_state: numpy's legacy MT19937 permutation, test rows first.
//
// # Runs
//
// The trainer declares the small interface it needs to record a run
// (RunStore); storage and MLflow are adapters.
package trainer
