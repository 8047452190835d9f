// Package spark picks the as-of rows of a materialization in Apache Spark,
// through Spark Connect (github.com/apache/spark-connect-go, pinned: it has
// no release and calls itself experimental, so it stays behind this one
// small package). It is a materialize.Engine: Spark lists and hashes the
// files of a source at a URI where they are, and for the pick scans the
// source, partitions by the join keys and picks, for every entity row, the
// source row fs's rules choose, returning only those rows' columns (Arrow);
// fs evaluates the feature expressions on them in Go, as the local engine
// does, because translating expr-lang to Spark SQL would not be faithful
// (division by zero, overflow, nulls, string formatting).
package spark
