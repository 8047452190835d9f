// Package reproduce rebuilds a training run from what the store recorded:
// it checks the entity file and each source snapshot, re-materializes the
// dataset from the recorded feature versions, entity file and cutoff,
// retrains with the recorded parameters and seed, and compares the dataset,
// the model's coefficients and the metrics bit for bit. When a source
// changed it says which file, and whether the change is behind the cutoff
// (the rebuilt rows are then identical) or not (then it names what differs).
// An entity file or a source's files that moved within the project are
// found by their content (find.go), and the report says which were used.
package reproduce
