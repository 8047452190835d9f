package s3

import (
	"bytes"
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/fs-dev/fs/blob"
)

// partSize is the size of a multipart upload's parts (S3's least is 5 MiB).
const partSize = 16 << 20

// Create implements blob.Store: a multipart upload, started when the
// first part is full and completed on Commit.
func (s *Store) Create(ctx context.Context, uri string) (blob.Writer, error) {
	bucket, key, err := parse(uri)
	if err != nil {
		return nil, err
	}
	c, err := s.api(ctx)
	if err != nil {
		return nil, err
	}
	return &writer{store: s, c: c, ctx: ctx, uri: uri, bucket: bucket, key: key}, nil
}

// createTimeout bounds the start of a multipart upload, which an
// interruption does not cut short.
const createTimeout = 30 * time.Second

// writer buffers a part and uploads each full one in the background (one
// at a time beside the writing).
type writer struct {
	store       *Store
	c           *awss3.Client
	ctx         context.Context
	uri         string
	bucket, key string
	buf         bytes.Buffer
	upload      *string // the multipart upload, once started
	parts       []types.CompletedPart
	pending     sync.WaitGroup
	err         error
	mu          sync.Mutex
}

func (w *writer) Write(p []byte) (int, error) {
	if err := w.failure(); err != nil {
		return 0, err
	}
	n, _ := w.buf.Write(p)
	for w.buf.Len() >= partSize {
		part := make([]byte, partSize)
		w.buf.Read(part)
		if err := w.send(part); err != nil {
			return n, err
		}
	}
	return n, nil
}

func (w *writer) failure() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// send uploads a part after the one before it.
func (w *writer) send(part []byte) error {
	if w.upload == nil {
		// Not cancelled with the write: an upload the server made while the
		// answer was cut short would be left behind, its id unknown to Abort.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), createTimeout)
		out, err := w.c.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: &w.bucket, Key: &w.key})
		cancel()
		if err != nil {
			return w.store.failed("write", w.uri, "", err)
		}
		w.upload = out.UploadId
		if err := w.ctx.Err(); err != nil {
			return err
		}
	}
	w.pending.Wait()
	if err := w.failure(); err != nil {
		return err
	}
	num := int32(len(w.parts) + 1)
	w.parts = append(w.parts, types.CompletedPart{PartNumber: aws.Int32(num)})
	w.pending.Add(1)
	go func() {
		defer w.pending.Done()
		out, err := w.c.UploadPart(w.ctx, &awss3.UploadPartInput{Bucket: &w.bucket, Key: &w.key, UploadId: w.upload,
			PartNumber: aws.Int32(num), Body: bytes.NewReader(part)})
		w.mu.Lock()
		defer w.mu.Unlock()
		if err != nil {
			w.err = w.store.failed("write", w.uri, "", err)
			return
		}
		w.parts[num-1].ETag = out.ETag
	}()
	return nil
}

// Commit implements blob.Writer: the object appears whole.
func (w *writer) Commit(ctx context.Context) error {
	if w.upload == nil {
		_, err := w.c.PutObject(ctx, &awss3.PutObjectInput{Bucket: &w.bucket, Key: &w.key, Body: bytes.NewReader(w.buf.Bytes())})
		if err != nil {
			return w.store.failed("write", w.uri, "", err)
		}
		return nil
	}
	if err := w.send(bytes.Clone(w.buf.Bytes())); err != nil {
		w.Abort(ctx)
		return err
	}
	w.pending.Wait()
	if err := w.failure(); err != nil {
		w.Abort(ctx)
		return err
	}
	_, err := w.c.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{Bucket: &w.bucket, Key: &w.key,
		UploadId: w.upload, MultipartUpload: &types.CompletedMultipartUpload{Parts: w.parts}})
	if err != nil {
		w.Abort(ctx)
		return w.store.failed("write", w.uri, "", err)
	}
	return nil
}

// Abort implements blob.Writer: nothing appears, the parts are removed.
func (w *writer) Abort(ctx context.Context) error {
	w.pending.Wait()
	if w.upload == nil {
		return nil
	}
	_, err := w.c.AbortMultipartUpload(context.WithoutCancel(ctx), &awss3.AbortMultipartUploadInput{Bucket: &w.bucket, Key: &w.key, UploadId: w.upload})
	w.upload = nil
	if err != nil {
		return w.store.failed("abort the upload of", w.uri, "", err)
	}
	return nil
}
