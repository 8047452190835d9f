// Package numeric holds the floating-point sums fs must compute exactly as
// numpy does, shared by the trainer (means, column norms, metrics) and the
// profiler (means of columns larger than memory): numpy's pairwise
// summation, with its 8-lane leaves in AVX2 where the processor has it and
// a portable twin that gives the same bits.
package numeric
