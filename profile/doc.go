// Package profile is the data analysis step before defining features: per
// column statistics (type, count, nulls, distinct values, min, max, mean,
// standard deviation, zeros, quantiles, outliers by the IQR rule, a
// histogram), table checks (duplicate rows, duplicate (entity, timestamp)
// pairs, time range, rows out of order, rows per entity), the Pearson
// correlation matrix, the label balance and each feature's correlation with
// a target, and warnings in plain words, ranked. It also checks data
// against expectations (Validate).
//
// Numbers follow pandas: the standard deviation has ddof=1, quantiles
// interpolate linearly, correlations use pairwise complete rows. Memory is
// bounded by one column (kept to sort it, so quantiles and distinct counts
// are exact), one row group, and 16 bytes per row for duplicate detection.
package profile
