package s3

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/fs-dev/fs/blob"
	"github.com/fs-dev/fs/featurestore"
)

// Scheme is the URI scheme this store serves.
const Scheme = "s3"

// Store is the blob.Store of s3:// URIs.
type Store struct {
	getenv func(string) string
	once   sync.Once
	client *awss3.Client
	err    error
}

var _ blob.Store = (*Store)(nil)

// New is a store configured from getenv (os.Getenv) on first use.
func New(getenv func(string) string) *Store {
	if getenv == nil {
		getenv = os.Getenv
	}
	return &Store{getenv: getenv}
}

// Register makes a Store configured from the environment the store of s3://.
func Register() { blob.Register(Scheme, New(nil)) }

// api is the client, made on first use.
func (s *Store) api(ctx context.Context) (*awss3.Client, error) {
	s.once.Do(func() {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			s.err = featurestore.Errorf(featurestore.EINVALID, "the AWS configuration cannot be read: %v", err).
				WithHint("check AWS_PROFILE, AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE")
			return
		}
		if cfg.Region == "" {
			cfg.Region = "us-east-1"
		}
		endpoint := cmpOr(s.getenv("AWS_ENDPOINT_URL_S3"), s.getenv("AWS_ENDPOINT_URL"))
		pathStyle := endpoint != ""
		switch strings.ToLower(s.getenv("FS_S3_PATH_STYLE")) {
		case "true", "1", "yes":
			pathStyle = true
		case "false", "0", "no":
			pathStyle = false
		}
		wait, err := s.stallTimeout()
		if err != nil {
			s.err = err
			return
		}
		s.client = awss3.NewFromConfig(cfg, func(o *awss3.Options) {
			o.HTTPClient = stallingClient(wait)
			o.UsePathStyle = pathStyle
			o.RetryMaxAttempts = 3
			// A ranged GET has no whole-object checksum to check: fs checks
			// the bytes it hashes itself, so the SDK need not say so.
			o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
			o.DisableLogOutputChecksumValidationSkipped = true
		})
	})
	return s.client, s.err
}

// TimeoutVar sets how long fs waits on a server that stops answering: to
// connect, for a response to begin, for a response's next bytes (a Go
// duration, "30s" by default). Each of the SDK's attempts waits it, and
// then the command fails rather than hangs.
const TimeoutVar = "FS_S3_TIMEOUT"

const defaultStallTimeout = 30 * time.Second

func (s *Store) stallTimeout() (time.Duration, error) {
	v := s.getenv(TimeoutVar)
	if v == "" {
		return defaultStallTimeout, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, featurestore.Errorf(featurestore.EINVALID, "%s=%q is not a positive duration", TimeoutVar, v).
			WithHint("write a Go duration, as %s=30s or %s=2m", TimeoutVar, TimeoutVar)
	}
	return d, nil
}

// stallingClient is the SDK's HTTP client with every wait on the server
// bounded by wait: a server that takes the connection and never answers,
// or stops in the middle of a body, is an error.
func stallingClient(wait time.Duration) *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = wait }).
		WithTransportOptions(func(t *http.Transport) { t.ResponseHeaderTimeout = wait }).
		WithReadTimeout(wait)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// parse splits an s3:// URI, refusing what is not one.
func parse(uri string) (bucket, key string, err error) {
	scheme, bucket, key, ok := blob.Split(uri)
	if !ok || scheme != Scheme {
		return "", "", featurestore.Errorf(featurestore.EINVALID, "%s is not an s3://bucket/key URI", uri).
			WithHint("write s3://BUCKET/KEY, without .. elements")
	}
	return bucket, key, nil
}

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, uri string) (blob.Object, error) {
	return s.head(ctx, uri, "")
}

func (s *Store) head(ctx context.Context, uri, version string) (blob.Object, error) {
	uri, pinned := blob.SplitVersion(uri)
	if version == "" {
		version = pinned
	}
	bucket, key, err := parse(uri)
	if err != nil {
		return blob.Object{}, err
	}
	c, err := s.api(ctx)
	if err != nil {
		return blob.Object{}, err
	}
	in := &awss3.HeadObjectInput{Bucket: &bucket, Key: &key}
	if version != "" {
		in.VersionId = &version
	}
	out, err := c.HeadObject(ctx, in)
	if err != nil {
		if code, _ := classify(err); code == featurestore.ENOTFOUND || version != "" && apiCode(err) == "BadRequest" {
			return blob.Object{}, s.missing(ctx, c, uri, bucket, version) // (a version id the server cannot parse is none it keeps)
		}
		return blob.Object{}, s.failed("read", uri, version, err)
	}
	o := blob.Object{URI: uri, Size: aws.ToInt64(out.ContentLength), ETag: strings.Trim(aws.ToString(out.ETag), `"`),
		Version: aws.ToString(out.VersionId)}
	if o.Version == "null" {
		o.Version = "" // an object written before the bucket kept versions
	}
	return o, nil
}

// Open implements blob.Store.
func (s *Store) Open(ctx context.Context, uri, version string) (blob.Reader, error) {
	o, err := s.head(ctx, uri, version)
	if err != nil {
		return nil, err
	}
	c, _ := s.api(ctx)
	bucket, key, _ := parse(o.URI)
	return &reader{store: s, c: c, bucket: bucket, key: key, obj: o}, nil
}

// OpenObject implements blob.Store.
func (s *Store) OpenObject(ctx context.Context, o blob.Object) (blob.Reader, error) {
	bucket, key, err := parse(o.URI)
	if err != nil {
		return nil, err
	}
	c, err := s.api(ctx)
	if err != nil {
		return nil, err
	}
	return &reader{store: s, c: c, bucket: bucket, key: key, obj: o}, nil
}

// failed turns an SDK error into fs's: what was being done to uri.
func (s *Store) failed(doing, uri, version string, err error) error {
	what := uri
	if version != "" {
		what = fmt.Sprintf("%s (version %s)", uri, version)
	}
	code, hint := classify(err)
	msg := fmt.Sprintf("cannot %s %s: %s", doing, what, reason(err))
	var stalled interface{ Timeout() bool } // the network's and the SDK's body read's
	switch {
	case errors.As(err, &stalled) && stalled.Timeout():
		wait, _ := s.stallTimeout()
		code, hint = featurestore.ENOSTORE, fmt.Sprintf("check that the S3 server is running and answering; a slow one may need a longer %s", TimeoutVar)
		msg = fmt.Sprintf("%s did not answer within %v to %s %s", s.endpoint(), wait, doing, what)
	case code == featurestore.ENOSTORE:
		msg = fmt.Sprintf("cannot reach %s to %s %s: %s", s.endpoint(), doing, what, reason(err))
	}
	return &featurestore.Error{Code: code, Message: msg, Hint: hint}
}

// endpoint names the server the store asks.
func (s *Store) endpoint() string {
	return cmpOr(cmpOr(s.getenv("AWS_ENDPOINT_URL_S3"), s.getenv("AWS_ENDPOINT_URL")), "AWS S3")
}
