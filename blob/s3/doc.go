// Package s3 is the blob.Store of s3:// URIs: Amazon S3 and S3-compatible
// servers, through the AWS SDK for Go v2.
//
// It reads the standard AWS configuration: AWS_ENDPOINT_URL (or
// AWS_ENDPOINT_URL_S3) for an S3-compatible server, AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, AWS_PROFILE and the shared config files,
// AWS_REGION (us-east-1 when none is set). Path-style addressing
// (http://host/bucket/key) is used when an endpoint is set, as
// S3-compatible servers need; FS_S3_PATH_STYLE=true or false overrides it.
// The client is made on first use, so registering the store costs nothing.
// Every wait on the server (to connect, for a response, for a body's next
// bytes) is bounded by FS_S3_TIMEOUT (30s by default): a server that hangs
// is an error (ENOSTORE), never a command that waits for ever.
//
// Reads are ranged GETs pinned to the object version opened (its version
// id, else its ETag with If-Match), so an object replaced while it is read
// is an error, never a mix of two versions. Writes are multipart uploads
// completed only on Commit (a small object is one PUT on Commit); Abort
// removes the parts. Errors carry fs's codes: an unreachable endpoint is
// ENOSTORE (exit 10), a missing bucket or key ENOTFOUND, refused
// credentials EINVALID, each with a hint.
package s3
