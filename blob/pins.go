package blob

import (
	"context"
	"sync"
)

// Pins are the object versions one job reads. The first Stat or Open of a
// URI in the job pins the version the store has then; every later one is
// of that version, without asking the store again, so a job reads one
// version of each object however many times it opens it, and an object
// replaced meanwhile is an error (as a Reader's reads are), never a mix
// of two versions. A context carries them (WithPins); without them, each
// Stat and Open asks the store.
type Pins struct {
	mu   sync.Mutex
	objs map[string]Object
}

type pinsKey struct{}

// WithPins returns ctx carrying a new set of pins, or ctx itself when it
// carries one already (a job within a job reads as the outer one).
func WithPins(ctx context.Context) context.Context {
	if pinsOf(ctx) != nil {
		return ctx
	}
	return context.WithValue(ctx, pinsKey{}, &Pins{objs: map[string]Object{}})
}

func pinsOf(ctx context.Context) *Pins {
	p, _ := ctx.Value(pinsKey{}).(*Pins)
	return p
}

// Stat describes the object at uri in s: the version ctx's pins hold,
// else the store's current one, which it pins.
func Stat(ctx context.Context, s Store, uri string) (Object, error) {
	p := pinsOf(ctx)
	if o, ok := p.get(uri); ok {
		return o, nil
	}
	o, err := s.Stat(ctx, uri)
	if err != nil {
		return o, err
	}
	return p.pin(uri, o), nil
}

// Open reads the object at uri in s: the version ctx's pins hold, else
// the store's current one, which it pins.
func Open(ctx context.Context, s Store, uri string) (Reader, error) {
	p := pinsOf(ctx)
	if o, ok := p.get(uri); ok {
		return s.OpenObject(ctx, o)
	}
	r, err := s.Open(ctx, uri, "")
	if err != nil {
		return nil, err
	}
	if o := p.pin(uri, r.Object()); o != r.Object() { // pinned meanwhile by another open
		r.Close()
		return s.OpenObject(ctx, o)
	}
	return r, nil
}

func (p *Pins) get(uri string) (Object, bool) {
	if p == nil {
		return Object{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	o, ok := p.objs[uri]
	return o, ok
}

// pin pins o at uri unless a version is pinned there already, and returns
// the pinned one. An object that no ETag or version id names is not
// pinned: it could not be read as that version.
func (p *Pins) pin(uri string, o Object) Object {
	if p == nil || !o.Named() {
		return o
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if q, ok := p.objs[uri]; ok {
		return q
	}
	p.objs[uri] = o
	return o
}
