package http

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"reflect"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/fs-dev/fs/app"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/internal/membudget"
)

// Job is a long use case running on the server. Its JSON is what
// GET /api/v1/jobs/ID answers.
type Job struct {
	ID       string     `json:"id"`
	Kind     string     `json:"kind"` // materialize, train, predict, sync, reproduce, profile, validate
	Owner    string     `json:"owner"`
	State    string     `json:"state"` // queued, running, succeeded, failed, cancelled
	Created  time.Time  `json:"created"`
	Finished *time.Time `json:"finished,omitempty"`
	Progress *Progress  `json:"progress,omitempty"`
	Notices  []string   `json:"notices"`
	// Result is the use case's result (its --json) once it has one; a
	// train whose runs MLflow refused has both a result and an error.
	Result any        `json:"result,omitempty"`
	Error  *ErrorBody `json:"error,omitempty"`
	// Output is set when the job wrote a file the client fetches from
	// GET /api/v1/jobs/ID/output.
	Output bool `json:"output,omitempty"`

	outPath string
	cancel  context.CancelFunc
	done    chan struct{}
}

// Progress is how much of a job is done, in its own unit (entity rows).
type Progress struct {
	Done  int `json:"done"`
	Total int `json:"total"`
}

// Limits bound the jobs a server runs: how many at once (each with an
// equal share of the memory given to jobs), how many more may wait for a
// turn, and how many one token may have running or waiting.
type Limits struct {
	Running  int
	Queued   int
	PerToken int
	// Memory is the memory all running jobs may take together; each gets
	// Memory/Running as its ceiling (membudget).
	Memory int64
}

// withDefaults fills what is zero: as many jobs at once as processors
// (at least 2), four times that waiting, the same per token as at once,
// three quarters of the machine's memory.
func (l Limits) withDefaults() Limits {
	if l.Running <= 0 {
		l.Running = max(2, runtime.NumCPU())
	}
	if l.Queued < 0 {
		l.Queued = 0
	} else if l.Queued == 0 {
		l.Queued = 4 * l.Running
	}
	if l.PerToken <= 0 {
		l.PerToken = l.Running
	}
	if l.Memory <= 0 {
		l.Memory = membudget.Physical() / 4 * 3
	}
	return l
}

// jobs runs and remembers jobs. Finished jobs are kept for keepFor.
type jobs struct {
	mu      sync.Mutex
	byID    map[string]*Job
	running sync.WaitGroup
	base    context.Context // cancelled when the server gives up on its jobs
	stop    context.CancelFunc
	keepFor time.Duration
	limits  Limits
	slots   chan struct{}  // one per job running
	active  map[string]int // jobs running or waiting, by owner
	pending int            // jobs running or waiting
}

func newJobs(l Limits) *jobs {
	base, stop := context.WithCancel(context.Background())
	l = l.withDefaults()
	return &jobs{byID: map[string]*Job{}, base: base, stop: stop, keepFor: time.Hour,
		limits: l, slots: make(chan struct{}, l.Running), active: map[string]int{}}
}

// retryAfter is how long a client told EBUSY should wait, in seconds.
const retryAfter = 10

// start queues fn as a job of kind for owner (out is the file it writes
// for its client, if any); it runs when one of the server's turns is
// free, with its share of the memory. EBUSY when the owner, or the
// server, has as many jobs running and waiting as it may.
func (js *jobs) start(kind, owner, out string, fn func(ctx context.Context) (any, error)) (*Job, error) {
	ctx, cancel := context.WithCancel(js.base)
	j := &Job{ID: newJobID(), Kind: kind, Owner: owner, State: JobQueued, Created: time.Now().UTC(),
		Notices: []string{}, outPath: out, cancel: cancel, done: make(chan struct{})}
	ctx = app.WithNotify(ctx, func(msg string) { js.update(func() { j.Notices = append(j.Notices, msg) }) })
	ctx = app.WithProgress(ctx, func(done, total int) {
		js.update(func() { j.Progress = &Progress{Done: done, Total: total} })
	})
	ctx = membudget.WithBudget(ctx, membudget.Of(js.limits.Memory/int64(js.limits.Running)))
	if err := js.admit(j); err != nil {
		cancel()
		return nil, err
	}
	js.running.Add(1)
	go func() {
		defer js.running.Done()
		defer cancel()
		select {
		case js.slots <- struct{}{}:
		case <-ctx.Done():
			js.finish(j, nil, ctx.Err())
			return
		}
		js.update(func() { j.State = JobRunning })
		res, err := runSafely(ctx, fn)
		<-js.slots
		js.finish(j, res, err)
	}()
	return j, nil
}

// admit records j as waiting, or refuses it past the limits.
func (js *jobs) admit(j *Job) error {
	js.mu.Lock()
	defer js.mu.Unlock()
	js.gc()
	l := js.limits
	switch {
	case js.active[j.Owner] >= l.PerToken:
		return featurestore.Errorf(EBUSY, "%s has %d jobs running or waiting, as many as one token may", j.Owner, js.active[j.Owner]).
			WithHint("wait for one to finish (fs jobs list), or cancel one (fs jobs cancel ID); retry in %d s", retryAfter)
	case js.pending >= l.Running+l.Queued:
		return featurestore.Errorf(EBUSY, "the server runs %d jobs and has %d waiting, as many as it takes", l.Running, js.pending-l.Running).
			WithHint("retry in %d s", retryAfter)
	}
	js.active[j.Owner]++
	js.pending++
	js.byID[j.ID] = j
	return nil
}

func (js *jobs) update(fn func()) {
	js.mu.Lock()
	defer js.mu.Unlock()
	fn()
}

func (js *jobs) finish(j *Job, res any, err error) {
	js.mu.Lock()
	defer js.mu.Unlock()
	if js.active[j.Owner]--; js.active[j.Owner] <= 0 {
		delete(js.active, j.Owner)
	}
	js.pending--
	now := time.Now().UTC()
	j.Finished = &now
	if !isNil(res) {
		j.Result = res
	}
	switch {
	case err == nil:
		j.State, j.Output = JobSucceeded, j.outPath != ""
	case j.Error == nil && errorBody(err).Code == ECANCELED:
		j.State, j.Error = JobCancelled, errorBody(err)
	default:
		j.State, j.Error = JobFailed, errorBody(err)
	}
	close(j.done)
}

// get returns a copy of the job, waiting up to wait for it to finish.
func (js *jobs) get(ctx context.Context, id string, wait time.Duration) (Job, bool) {
	js.mu.Lock()
	j, ok := js.byID[id]
	js.mu.Unlock()
	if !ok {
		return Job{}, false
	}
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-j.done:
		case <-t.C:
		case <-ctx.Done():
		}
	}
	js.mu.Lock()
	defer js.mu.Unlock()
	c := *j
	c.Notices = append([]string{}, j.Notices...)
	return c, true
}

// list returns the jobs, newest first; owner "" lists everyone's.
func (js *jobs) list(owner string) []Job {
	js.mu.Lock()
	defer js.mu.Unlock()
	out := []Job{}
	for _, j := range js.byID {
		if owner == "" || j.Owner == owner {
			c := *j
			c.Result = nil // the list is a summary; GET the job for its result
			out = append(out, c)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Created.After(out[b].Created) })
	return out
}

// cancelJob asks a running job to stop; its writes are transactions, so it
// records all or nothing.
func (js *jobs) cancelJob(id string) bool {
	js.mu.Lock()
	j, ok := js.byID[id]
	js.mu.Unlock()
	if ok {
		j.cancel()
	}
	return ok
}

// wait waits for the running jobs, at most until ctx ends; then it
// cancels those left and waits for them to stop.
func (js *jobs) wait(ctx context.Context) {
	done := make(chan struct{})
	go func() { js.running.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		js.stop()
		<-done
	}
}

// maxFinished bounds how many finished jobs (and their results) a server
// keeps in memory; the oldest go first.
const maxFinished = 1000

// gc forgets jobs finished more than keepFor ago, and the oldest finished
// ones past maxFinished. Called with mu held.
func (js *jobs) gc() {
	var finished []*Job
	for id, j := range js.byID {
		switch {
		case j.Finished == nil:
		case time.Since(*j.Finished) > js.keepFor:
			delete(js.byID, id)
		default:
			finished = append(finished, j)
		}
	}
	if len(finished) <= maxFinished {
		return
	}
	sort.Slice(finished, func(a, b int) bool { return finished[a].Finished.Before(*finished[b].Finished) })
	for _, j := range finished[:len(finished)-maxFinished] {
		delete(js.byID, j.ID)
	}
}

func newJobID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// isNil reports whether v is a typed nil pointer or slice.
func isNil(v any) bool {
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return r.IsNil()
	}
	return false
}

// runSafely runs fn, turning a panic (a bug: no input should reach one)
// into an error, so that one bad job never takes the server down.
func runSafely(ctx context.Context, fn func(context.Context) (any, error)) (res any, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, bug(r)
		}
	}()
	return fn(ctx)
}

// bug is the error of a recovered panic.
func bug(r any) error {
	return featurestore.Errorf(featurestore.EINTERNAL, "internal error: %v", r).
		WithHint("this is a bug in fs; please report it with the request that caused it")
}
