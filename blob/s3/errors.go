package s3

import (
	"context"
	"errors"
	"net"
	"strings"

	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/fs-dev/fs/featurestore"
)

// classify gives an SDK error fs's code and a hint.
func classify(err error) (code, hint string) {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NoSuchKey", "NotFound", "NoSuchVersion", "NoSuchBucket":
			return featurestore.ENOTFOUND, "check the bucket and key (aws s3 ls, or your server's listing)"
		case "AccessDenied", "Forbidden", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken":
			return featurestore.EINVALID, "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE): the server refused them"
		case "PreconditionFailed":
			return featurestore.ECONFLICT, "the object was replaced while fs read it; run the command again"
		}
		return featurestore.EINTERNAL, ""
	}
	var op *net.OpError
	var dns *net.DNSError
	if errors.As(err, &op) || errors.As(err, &dns) || strings.Contains(err.Error(), "connection refused") {
		return featurestore.ENOSTORE, "check AWS_ENDPOINT_URL and that the S3 server is running"
	}
	return featurestore.EINTERNAL, ""
}

// apiCode is the server's error code ("" for a network error).
func apiCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

// reason is the error's own words: the server's code and message, or the
// network's.
func reason(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		if m := api.ErrorMessage(); m != "" && m != api.ErrorCode() {
			return api.ErrorCode() + ": " + m
		}
		return api.ErrorCode()
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return op.Err.Error()
	}
	return err.Error()
}

// missing says what is missing when a HEAD found nothing: the bucket, the
// object or the version asked for.
func (s *Store) missing(ctx context.Context, c *awss3.Client, uri, bucket, version string) error {
	if _, err := c.HeadBucket(ctx, &awss3.HeadBucketInput{Bucket: &bucket}); err != nil {
		if code, _ := classify(err); code == featurestore.ENOTFOUND {
			return featurestore.Errorf(featurestore.ENOTFOUND, "cannot read %s: there is no bucket %s", uri, bucket).
				WithHint("check the bucket's name, and AWS_ENDPOINT_URL for the server that holds it")
		}
		return s.failed("read", uri, version, err)
	}
	if version != "" {
		return featurestore.Errorf(featurestore.ENOTFOUND, "cannot read %s: version %s is gone", uri, version).
			WithHint("the bucket no longer keeps that version (a lifecycle rule or a deletion removed it)")
	}
	return featurestore.Errorf(featurestore.ENOTFOUND, "cannot read %s: no such object", uri).
		WithHint("check the key; a source may also be a prefix ending in / or a glob (s3://%s/dir/*.parquet)", bucket)
}
