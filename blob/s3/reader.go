package s3

import (
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/fs-dev/fs/blob"
)

// reader reads one object version by ranged GETs.
type reader struct {
	store       *Store
	c           *awss3.Client
	bucket, key string
	obj         blob.Object
}

func (r *reader) Object() blob.Object { return r.obj }
func (r *reader) Close() error        { return nil }

// ReadAt implements io.ReaderAt: one GET of the range, pinned to the
// version opened.
func (r *reader) ReadAt(p []byte, off int64) (int, error) {
	if off >= r.obj.Size || len(p) == 0 {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	n := min(int64(len(p)), r.obj.Size-off)
	in := &awss3.GetObjectInput{Bucket: &r.bucket, Key: &r.key, Range: aws.String(fmt.Sprintf("bytes=%d-%d", off, off+n-1))}
	if r.obj.Version != "" {
		in.VersionId = aws.String(r.obj.Version)
	} else if r.obj.ETag != "" {
		in.IfMatch = aws.String(`"` + r.obj.ETag + `"`)
	}
	ctx := context.Background()
	out, err := r.c.GetObject(ctx, in)
	if err != nil {
		return 0, r.store.failed("read", r.obj.URI, r.obj.Version, err)
	}
	defer out.Body.Close()
	got, err := io.ReadFull(out.Body, p[:n])
	if err != nil {
		return got, r.store.failed("read", r.obj.URI, r.obj.Version, fmt.Errorf("at byte %d: %w", off+int64(got), err))
	}
	if n < int64(len(p)) {
		return got, io.EOF
	}
	return got, nil
}
