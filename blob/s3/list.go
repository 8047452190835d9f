package s3

import (
	"context"
	"path"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/fs-dev/fs/blob"
	"github.com/fs-dev/fs/featurestore"
)

// List implements blob.Store: a key is itself (or, when no object has it,
// the "directory" key/); a key ending in "/" (or none) every *.parquet
// object under it; a key with * ? or [ the objects whose keys match it
// (path.Match: * does not cross a /). Keys with an element starting with
// "." or "_" (Spark's _SUCCESS, hidden files) are left out of prefixes
// and globs, as they are of directories.
func (s *Store) List(ctx context.Context, uri string) ([]blob.Object, error) {
	bucket, key, err := parse(uri)
	if err != nil {
		return nil, err
	}
	switch {
	case strings.ContainsAny(key, "*?["):
		if _, err := path.Match(key, ""); err != nil {
			return nil, featurestore.Errorf(featurestore.EINVALID, "bad glob %s: %v", uri, err)
		}
		i := strings.IndexAny(key, "*?[")
		return s.listPrefix(ctx, bucket, key[:i], func(k string) bool { m, _ := path.Match(key, k); return m })
	case key == "" || strings.HasSuffix(key, "/"):
		return s.listPrefix(ctx, bucket, key, func(k string) bool { return strings.HasSuffix(k, ".parquet") })
	}
	o, err := s.Stat(ctx, uri)
	if err == nil {
		return []blob.Object{o}, nil
	}
	if code := featurestore.ErrorCode(err); code != featurestore.ENOTFOUND {
		return nil, err
	}
	under, lerr := s.listPrefix(ctx, bucket, key+"/", func(k string) bool { return strings.HasSuffix(k, ".parquet") })
	if lerr != nil || len(under) == 0 {
		return nil, err
	}
	return under, nil
}

// listPrefix lists the objects under prefix whose keys keep says to keep,
// sorted by URI.
func (s *Store) listPrefix(ctx context.Context, bucket, prefix string, keep func(key string) bool) ([]blob.Object, error) {
	c, err := s.api(ctx)
	if err != nil {
		return nil, err
	}
	var out []blob.Object
	p := awss3.NewListObjectsV2Paginator(c, &awss3.ListObjectsV2Input{Bucket: &bucket, Prefix: &prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if code, _ := classify(err); code == featurestore.ENOTFOUND {
				return nil, featurestore.Errorf(featurestore.ENOTFOUND, "cannot list s3://%s/%s: there is no bucket %s", bucket, prefix, bucket).
					WithHint("check the bucket's name, and AWS_ENDPOINT_URL for the server that holds it")
			}
			return nil, s.failed("list", blob.Join(Scheme, bucket, prefix), "", err)
		}
		for _, o := range page.Contents {
			k := aws.ToString(o.Key)
			if hidden(strings.TrimPrefix(k, prefix)) || !keep(k) {
				continue
			}
			// A listing gives no version id: Stat the objects that are read.
			out = append(out, blob.Object{URI: blob.Join(Scheme, bucket, k), Size: aws.ToInt64(o.Size), ETag: strings.Trim(aws.ToString(o.ETag), `"`)})
		}
	}
	slices.SortFunc(out, func(a, b blob.Object) int { return strings.Compare(a.URI, b.URI) })
	return out, nil
}

// hidden reports whether a relative key has an element starting with "."
// or "_".
func hidden(rel string) bool {
	for _, el := range strings.Split(rel, "/") {
		if strings.HasPrefix(el, ".") || strings.HasPrefix(el, "_") {
			return true
		}
	}
	return false
}
