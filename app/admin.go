package app

import (
	"context"
	"time"

	"github.com/fs-dev/fs/badger"
	"github.com/fs-dev/fs/demo"
	"github.com/fs-dev/fs/featurestore"
)

// Init creates the store at dir; created is false when one is there
// already (nothing changed). Errors: ELOCKED, EDAMAGED.
func Init(dir string) (created bool, err error) { return badger.Init(dir) }

// Checkup is what fs doctor found: whether the store is whole, the check's
// report and, with repair, what the repair did.
type Checkup struct {
	OK     bool                 `json:"ok"`
	Report *badger.Report       `json:"report"`
	Repair *badger.RepairResult `json:"repair,omitempty"`
	// Warnings are what may stop a kept run from being reproduced: the
	// table snapshots it read that are gone or about to expire.
	Warnings []string `json:"warnings"`
}

// Doctor checks the store at dir without changing it or, with repair,
// mends a damaged store (backing it up first) and removes the leftovers.
// A store that is not whole is an EDAMAGED error returned with the
// checkup. Errors: ENOSTORE, ELOCKED, EDAMAGED.
func Doctor(ctx context.Context, dir string, repair bool) (*Checkup, error) {
	c := &Checkup{}
	var err error
	if repair {
		c.Repair, err = badger.Repair(ctx, dir)
		if c.Repair != nil {
			c.Report = c.Repair.After
		}
	} else {
		c.Report, err = badger.Check(ctx, dir)
	}
	if err != nil {
		return nil, err
	}
	if c.OK = c.Report.OK(); c.OK {
		c.Warnings, err = storeWarnings(ctx, dir)
		return c, err
	}
	e := featurestore.Errorf(featurestore.EDAMAGED, "the store at %s is damaged", dir)
	if repair {
		return c, e.WithHint("the store as it was is kept at %s; what is listed above could not be mended", c.Repair.Backup)
	}
	return c, e.WithHint("run fs doctor --repair: it backs the store up first, then keeps what can be read")
}

// WriteDemo writes the demo data into dir (driver_stats.parquet,
// orders.tsv, features.yaml, expectations.yaml); files there are kept
// unless force.
func WriteDemo(dir string, force bool) error {
	o := demo.DefaultOptions()
	o.Force = force
	return demo.Write(dir, o)
}

// storeWarnings reads a whole store for what fs doctor warns of.
func storeWarnings(ctx context.Context, dir string) ([]string, error) {
	st, release, err := Dir(dir).Read(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	w, err := checkSnapshots(ctx, st, tables(), time.Now())
	if w == nil {
		w = []string{}
	}
	return w, err
}
