package materialize

import (
	"context"
	"path/filepath"

	"github.com/fs-dev/fs/atomicfile"
	"github.com/fs-dev/fs/blob"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/featurestore/parquet"
)

// output is a dataset file being written: it appears at its path, whole,
// only on commit; abort leaves what was there.
type output interface {
	Write(p []byte) (int, error)
	commit(ctx context.Context) error
	abort()
	// restorer keeps what was at the path before commit, for restore if
	// recording the dataset fails.
	restorer() earlierOutput
}

// earlierOutput is what was at an output's path before it was written.
type earlierOutput interface {
	Restore()
	Drop()
}

// createOutput starts writing out (given: as the user named it): a local file through a temporary file
// renamed into place, or an object in a bucket through an upload completed
// on commit.
func createOutput(ctx context.Context, out, given string) (output, error) {
	if store, ok := blob.For(out); ok {
		w, err := store.Create(ctx, out)
		if err != nil {
			return nil, err
		}
		return &objectOutput{w: w, ctx: ctx}, nil
	}
	f, err := atomicfile.Create(out)
	if err != nil {
		return nil, featurestore.Errorf(featurestore.EINVALID, "cannot write %s: %v", given, rootCause(err)).
			WithHint("check that the output directory exists and is writable")
	}
	return fileOutput{f}, nil
}

// outputPath is out as the dataset records it: a file's absolute path, an
// object's URI.
func outputPath(out string) (string, error) {
	if featurestore.IsURI(out) {
		return out, nil
	}
	return filepath.Abs(out)
}

type fileOutput struct{ *atomicfile.File }

func (f fileOutput) commit(context.Context) error { return f.File.Commit() }
func (f fileOutput) abort()                       { f.File.Abort() }
func (f fileOutput) restorer() earlierOutput      { return atomicfile.KeepEarlier(f.Path) }

// objectOutput is an upload. A replaced object cannot be put back (a
// bucket without versions keeps no earlier bytes): if recording fails
// after the upload completed, the new object stays, whole.
type objectOutput struct {
	w    blob.Writer
	ctx  context.Context
	done bool
}

func (o *objectOutput) Write(p []byte) (int, error) { return o.w.Write(p) }

func (o *objectOutput) commit(ctx context.Context) error {
	o.done = true
	return o.w.Commit(ctx)
}

func (o *objectOutput) abort() {
	if !o.done {
		o.done = true
		o.w.Abort(context.WithoutCancel(o.ctx))
	}
}

func (o *objectOutput) restorer() earlierOutput { return noEarlier{} }

type noEarlier struct{}

func (noEarlier) Restore() {}
func (noEarlier) Drop()    {}

// WriteLike writes t to out (a local path or an object's URI) with the
// parquet schema of the file like (parquet.WriteLike), whole or not at
// all: fs push's new file of a source.
func WriteLike(ctx context.Context, out, like string, t *featurestore.Table) error {
	o, err := createOutput(ctx, out, out)
	if err != nil {
		return err
	}
	if err := parquet.WriteLike(o, like, t); err != nil {
		o.abort()
		return err
	}
	return o.commit(ctx)
}
