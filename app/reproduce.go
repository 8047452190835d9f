package app

import (
	"context"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/internal/membudget"
	"github.com/fs-dev/fs/materialize"
	"github.com/fs-dev/fs/reproduce"
)

// Reproduce rebuilds a run (a sweep: its best run) from what the store
// recorded and compares dataset, model and metrics bit for bit. A rebuild
// that differs is not an error: the report says so. Errors: ENOTFOUND,
// EINVALID (the run's dataset is not an fs dataset).
func (s *Service) Reproduce(ctx context.Context, arg string) (rep *reproduce.Report, err error) {
	if err := required(need{"run", arg, whatRun}); err != nil {
		return nil, err
	}
	d, err := s.Run(ctx, arg)
	if err != nil {
		return nil, err
	}
	run := d.Run
	if run.Best != nil {
		if run, err = s.runByID(ctx, *run.Best); err != nil {
			return nil, err
		}
	}
	if !run.Dataset.FS {
		return nil, featurestore.Errorf(featurestore.EINVALID, "run %s was trained on a parquet file fs did not write", run.ID.Short()).
			WithHint("only runs on datasets from fs materialize can be rebuilt")
	}
	dsID, err := featurestore.ParseID(run.Dataset.ID)
	if err != nil {
		return nil, err
	}
	err = s.read(ctx, func(st Store) error {
		ds, err := st.Dataset(ctx, dsID)
		if err != nil {
			return err
		}
		o := reproduce.Options{Allow: s.allowSourceFile, Tables: tables(), MemoryLimit: membudget.FromContext(ctx).Spill}
		for _, src := range ds.Sources {
			if materialize.NeedsEngine(src.Path) && o.Engine == nil {
				p, err := s.connectSpark(ctx, "", "reproducing a dataset of a source at a URI ("+src.Path+")")
				if err != nil {
					return err
				}
				defer p.Close()
				o.Engine = p
			}
		}
		rep, err = reproduce.Run(ctx, st, run, ds, o)
		return err
	})
	return rep, err
}
