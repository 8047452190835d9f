// Package iceberg is featurestore.Tables over Apache Iceberg catalogs,
// through apache/iceberg-go: SQL catalogs (a SQLite database, as pyiceberg
// writes them: sqlite:///path/catalog.db) and REST catalogs.
//
// A table's snapshot is read from its metadata: its data files, ordered by
// the sequence number of the commit that added them, then by path, each
// with its size. fs reads those parquet files itself (a warehouse on S3
// through blob/s3, a local one as files). Row-level deletes (positional
// or equality delete files, deletion vectors) are refused with the table
// and snapshot named: fs does not apply them yet. A snapshot that the
// table no longer keeps (expired) is ENOTFOUND, which fs reproduce turns
// into its refusal; Expires says when the table's retention
// (history.expire.max-snapshot-age-ms, 5 days by default) may expire a
// snapshot that is no longer current, for fs doctor.
//
// Catalogs reach their warehouse with the standard AWS settings
// (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID...), as fs's own S3 reads do; a
// REST catalog's token is read from ICEBERG_REST_TOKEN, or its
// credential from ICEBERG_REST_CREDENTIAL (never from the definitions).
package iceberg
