package app

import (
	"context"
	"encoding/json"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/trainer"
)

// RunDetail is a run and, for a sweep, its runs. Its JSON is the run, or
// {"sweep": run, "runs": [...]} for a sweep.
type RunDetail struct {
	Run      *trainer.Run
	Children []*trainer.Run
}

func (d RunDetail) MarshalJSON() ([]byte, error) {
	if len(d.Children) > 0 {
		return json.Marshal(struct {
			Sweep *trainer.Run   `json:"sweep"`
			Runs  []*trainer.Run `json:"runs"`
		}{d.Run, d.Children})
	}
	return json.Marshal(d.Run)
}

func (d *RunDetail) UnmarshalJSON(b []byte) error {
	var sweep struct {
		Sweep *trainer.Run   `json:"sweep"`
		Runs  []*trainer.Run `json:"runs"`
	}
	if err := json.Unmarshal(b, &sweep); err == nil && sweep.Sweep != nil {
		d.Run, d.Children = sweep.Sweep, sweep.Runs
		return nil
	}
	d.Run, d.Children = new(trainer.Run), nil
	return json.Unmarshal(b, d.Run)
}

// Runs lists the runs newest first, each sweep followed by its runs.
func (s *Service) Runs(ctx context.Context) (runs []trainer.Run, err error) {
	err = s.read(ctx, func(st Store) error {
		runs, err = st.Runs(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return trainer.GroupSweeps(runs), nil
}

// Run shows a run by id or unique prefix, with a sweep's runs. Errors:
// ENOTFOUND, EINVALID (an ambiguous prefix).
func (s *Service) Run(ctx context.Context, prefix string) (*RunDetail, error) {
	d := &RunDetail{}
	err := s.read(ctx, func(st Store) error {
		id, err := st.ResolveRun(ctx, prefix)
		if err != nil {
			return err
		}
		if d.Run, err = st.Run(ctx, id); err != nil {
			return err
		}
		for _, c := range d.Run.Children {
			ch, err := st.Run(ctx, c)
			if err != nil {
				return err
			}
			d.Children = append(d.Children, ch)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

func (s *Service) runByID(ctx context.Context, id featurestore.ID) (r *trainer.Run, err error) {
	err = s.read(ctx, func(st Store) error {
		r, err = st.Run(ctx, id)
		return err
	})
	return r, err
}

// Compare puts two or more runs side by side (trainer.Compare).
// Errors: ENOTFOUND, EINVALID.
func (s *Service) Compare(ctx context.Context, ids []string) (*trainer.Comparison, error) {
	var runs []*trainer.Run
	for _, id := range ids {
		d, err := s.Run(ctx, id)
		if err != nil {
			return nil, err
		}
		runs = append(runs, d.Run)
	}
	return trainer.Compare(runs), nil
}
