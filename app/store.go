package app

import (
	"context"

	"github.com/fs-dev/fs/badger"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/lineage"
	"github.com/fs-dev/fs/profile"
	"github.com/fs-dev/fs/trainer"
)

// Store is what the use cases keep their records in: the registry of
// versions and names (featurestore.Registry), datasets
// (featurestore.DatasetStore), runs (trainer.RunStore), the lineage graph
// and the profiles kept with its nodes. badger.Store is one; an Opener
// gives it to a use case for one step.
type Store interface {
	featurestore.Registry
	featurestore.DatasetStore
	trainer.RunStore

	// Apply records a registration plan (featurestore.Registry's), here
	// for the write step of Register.
	Apply(ctx context.Context, p *featurestore.Plan) error
	// RecordRuns records runs, a sweep's all together (or, too large for
	// one transaction, the sweep's own record last).
	RecordRuns(ctx context.Context, runs []*trainer.Run) error
	// RecordProfile keeps a profile with the lineage node it describes.
	RecordProfile(ctx context.Context, node lineage.NodeID, p *profile.Profile) error
	// Lineage opens a consistent view of the lineage graph.
	Lineage() LineageView
	// Root is the project directory, the one holding the store ("" for a
	// store in memory): paths inside it are kept relative to it.
	Root() string
}

// badgerStore is a badger.Store as the use cases see it: its lineage view
// as a LineageView.
type badgerStore struct{ *badger.Store }

var _ Store = badgerStore{}

func (b badgerStore) Lineage() LineageView { return b.Store.Lineage() }
