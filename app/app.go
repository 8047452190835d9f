package app

import (
	"context"
	"fmt"
	osuser "os/user"
	"sync"

	"github.com/fs-dev/fs/badger"
)

// Service runs fs's use cases against one store.
type Service struct {
	Store  Opener
	Getenv func(string) string // the environment: MLflow settings
	// Roots, when set, are the directories requests may name files in
	// (a server's data roots); nil allows any path (the command line).
	Roots Roots
	// Protected are files and directories no request may read, write or
	// write into (a server's tokens file and TLS key); the store always is.
	Protected []Protected
	// Outputs, when set, is the directory a server keeps its clients'
	// files in: its own jobs write there; no request may name it.
	Outputs string
	// Online opens the online store; nil opens the Badger one beside the
	// store for each use (badger.OnlineDir).
	OnlineStore OnlineOpener
	// LogRequests keeps each online request served with its answer, for
	// fs online check.
	LogRequests bool
	// refs caches online requests' feature versions (a server's).
	refs refCache
	// SoleJob says the process runs this one command (the command line):
	// a use case may tune the Go runtime for itself (a spilling
	// materialization bounds the heap).
	SoleJob bool
}

var _ API = (*Service)(nil)

// Opener gives a use case the store for one step. release must be called
// when the step is done.
type Opener interface {
	Read(ctx context.Context) (s Store, release func(), err error)
	Write(ctx context.Context) (s Store, release func(), err error)
	Dir() string
}

// Dir opens a store directory for each step: reads read-only, so they run
// beside other fs processes reading it.
type Dir string

func (d Dir) Dir() string { return string(d) }

func (d Dir) Read(ctx context.Context) (Store, func(), error) {
	return d.open(true)
}

func (d Dir) Write(ctx context.Context) (Store, func(), error) {
	return d.open(false)
}

func (d Dir) open(readOnly bool) (Store, func(), error) {
	s, err := badger.Open(string(d), readOnly)
	if err != nil {
		return nil, nil, err
	}
	return badgerStore{s}, func() { s.Close() }, nil
}

// Shared is one store held open for a server's life. Reads share it
// freely; writes take turns, each holding the turn for one short step.
type Shared struct {
	store *badger.Store
	write sync.Mutex
}

// OpenShared opens dir for reading and writing, for as long as the
// server runs.
func OpenShared(dir string) (*Shared, error) {
	s, err := badger.Open(dir, false)
	if err != nil {
		return nil, err
	}
	return &Shared{store: s}, nil
}

func (s *Shared) Dir() string { return s.store.Dir() }

func (s *Shared) Read(ctx context.Context) (Store, func(), error) {
	return badgerStore{s.store}, func() {}, nil
}

func (s *Shared) Write(ctx context.Context) (Store, func(), error) {
	s.write.Lock()
	return badgerStore{s.store}, s.write.Unlock, nil
}

// MarkServing notes in the store that the server at url holds it, so
// that a command run on it names the server; the returned function
// removes the mark (a mark a killed server left is ignored).
func (s *Shared) MarkServing(url string) (unmark func()) {
	if err := badger.MarkServing(s.Dir(), url); err != nil {
		return func() {}
	}
	return func() { badger.Unmark(s.Dir()) }
}

// IsStore reports whether dir holds a store.
func IsStore(dir string) bool { return badger.Exists(dir) }

// Drain waits for the write in progress, then holds the turn so that no
// other write starts: a server stopping calls it before Close.
func (s *Shared) Drain() { s.write.Lock() }

// Close closes the store.
func (s *Shared) Close() error { return s.store.Close() }

// notifyKey, progressKey and userKey carry the side channels in a context.
type (
	notifyKey   struct{}
	progressKey struct{}
	userKey     struct{}
)

// WithUser returns a context whose use cases record name as who did them
// (a server passes its token's name).
func WithUser(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, userKey{}, name)
}

// user is who makes the request: the context's user, else the OS user.
func (s *Service) user(ctx context.Context) string {
	if u, ok := ctx.Value(userKey{}).(string); ok && u != "" {
		return u
	}
	for _, k := range []string{"USER", "LOGNAME", "USERNAME"} {
		if v := s.getenv(k); v != "" {
			return v
		}
	}
	if u, err := osuser.Current(); err == nil { // no variable set (a service, a container): the uid's name
		return u.Username
	}
	return ""
}

// WithNotify returns a context whose use cases send warnings and notes
// (one line each, without the "fs: " prefix) to fn.
func WithNotify(ctx context.Context, fn func(string)) context.Context {
	return context.WithValue(ctx, notifyKey{}, fn)
}

// WithProgress returns a context whose long use cases report how much is
// done to fn.
func WithProgress(ctx context.Context, fn func(done, total int)) context.Context {
	return context.WithValue(ctx, progressKey{}, fn)
}

// notify sends one line to the context's notifier, if any.
func notify(ctx context.Context, format string, args ...any) {
	if fn, ok := ctx.Value(notifyKey{}).(func(string)); ok {
		fn(fmt.Sprintf(format, args...))
	}
}

// Notify sends one line to the context's notifier, if any: for an
// adapter (a client of a server) passing on what a use case said.
func Notify(ctx context.Context, msg string) { notify(ctx, "%s", msg) }

// Progress is the context's progress function, or nil.
func Progress(ctx context.Context) func(done, total int) { return progress(ctx) }

func progress(ctx context.Context) func(done, total int) {
	fn, _ := ctx.Value(progressKey{}).(func(done, total int))
	return fn
}

// read runs fn with the store open for reading.
func (s *Service) read(ctx context.Context, fn func(Store) error) error {
	st, release, err := s.Store.Read(ctx)
	if err != nil {
		return err
	}
	defer release()
	return fn(st)
}

// write runs fn with the store open for writing.
func (s *Service) write(ctx context.Context, fn func(Store) error) error {
	st, release, err := s.Store.Write(ctx)
	if err != nil {
		return err
	}
	defer release()
	return fn(st)
}

func (s *Service) getenv(k string) string {
	if s.Getenv == nil {
		return ""
	}
	return s.Getenv(k)
}
