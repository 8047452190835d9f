// Package s3test gives tests the S3-compatible server the test command
// starts (versitygw on 127.0.0.1, scripts/test.sh): its settings as the
// AWS environment and fresh buckets, versioned or not.
package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// The test command's settings of the server.
const (
	EndpointVar  = "FS_TEST_S3_ENDPOINT"
	AccessKeyVar = "FS_TEST_S3_ACCESS_KEY"
	SecretKeyVar = "FS_TEST_S3_SECRET_KEY"
)

// Env is the AWS environment that reaches the server; the test fails in
// CI, and is skipped with the reason elsewhere, when there is none.
func Env(t testing.TB) map[string]string {
	t.Helper()
	endpoint := os.Getenv(EndpointVar)
	if endpoint == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set in CI: scripts/test.sh must start the S3-compatible server", EndpointVar)
		}
		t.Skipf("%s is not set: run the tests with scripts/test.sh, which starts an S3-compatible server (versitygw)", EndpointVar)
	}
	return map[string]string{
		"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": os.Getenv(AccessKeyVar),
		"AWS_SECRET_ACCESS_KEY": os.Getenv(SecretKeyVar), "AWS_REGION": "us-east-1",
	}
}

// Setenv sets Env in the test's process environment (restored after).
func Setenv(t *testing.T) map[string]string {
	t.Helper()
	env := Env(t)
	for k, v := range env {
		t.Setenv(k, v)
	}
	return env
}

// Client is an S3 client of the server, for setting up what tests read.
func Client(t testing.TB) *awss3.Client {
	t.Helper()
	env := Env(t)
	return awss3.New(awss3.Options{
		BaseEndpoint: aws.String(env["AWS_ENDPOINT_URL"]), Region: "us-east-1", UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], ""),
	})
}

// Bucket creates a bucket of a fresh name (versioned: keeping object
// versions) and returns its name.
func Bucket(t testing.TB, versioned bool) string {
	t.Helper()
	c := Client(t)
	var b [6]byte
	rand.Read(b[:])
	name := "fs-test-" + hex.EncodeToString(b[:])
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: &name}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	if versioned {
		_, err := c.PutBucketVersioning(ctx, &awss3.PutBucketVersioningInput{Bucket: &name,
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
		if err != nil {
			t.Fatalf("turn on versioning in %s: %v", name, err)
		}
	}
	return name
}

// Put writes an object.
func Put(t testing.TB, bucket, key string, data []byte) {
	t.Helper()
	_, err := Client(t).PutObject(context.Background(), &awss3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("put s3://%s/%s: %v", bucket, key, err)
	}
}
