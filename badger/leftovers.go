package badger

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	badgerdb "github.com/dgraph-io/badger/v4"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/lineage"
	"github.com/fs-dev/fs/trainer"
)

// Leftovers are what killed commands left that no reader sees and nothing
// needs: the runs of a sweep whose own record was never written (a
// partial sweep), and model directories of runs that were never recorded.
type Leftovers struct {
	Runs   []featurestore.ID // runs of partial sweeps
	Sweeps []featurestore.ID // the sweeps they name, never recorded
	Models []string          // model directories (paths)
}

// Describe is one line per leftover.
func (l Leftovers) Describe() []string {
	var out []string
	for _, id := range l.Runs {
		out = append(out, fmt.Sprintf("run %s belongs to a sweep that was not recorded whole (a killed fs train)", id.Short()))
	}
	for _, m := range l.Models {
		out = append(out, fmt.Sprintf("model directory %s belongs to no recorded run", m))
	}
	return out
}

// findLeftovers reads the run records and the models directory.
func (s *Store) findLeftovers(txn *badgerdb.Txn) (Leftovers, error) {
	var l Leftovers
	recorded := map[string]bool{}
	var children []trainer.Run
	err := eachJSON(txn, "run/", func(r *trainer.Run) {
		recorded[r.ID.String()] = true
		if r.Parent != nil {
			children = append(children, *r)
		}
	})
	if err != nil {
		return l, err
	}
	visibleRuns := map[string]bool{}
	for id := range recorded {
		visibleRuns[id] = true
	}
	sweeps := map[featurestore.ID]bool{}
	for _, r := range children {
		if !recorded[r.Parent.String()] {
			l.Runs = append(l.Runs, r.ID)
			delete(visibleRuns, r.ID.String())
			if !sweeps[*r.Parent] {
				sweeps[*r.Parent] = true
				l.Sweeps = append(l.Sweeps, *r.Parent)
			}
		}
	}
	entries, err := os.ReadDir(ModelsDir(s.dir))
	if err != nil && !os.IsNotExist(err) {
		return l, err
	}
	for _, e := range entries {
		if !visibleRuns[e.Name()] {
			l.Models = append(l.Models, filepath.Join(ModelsDir(s.dir), e.Name()))
		}
	}
	sort.Slice(l.Runs, func(i, j int) bool { return l.Runs[i].String() < l.Runs[j].String() })
	return l, nil
}

// Clean removes the leftovers: the run records of partial sweeps with
// their lineage edges (in as many transactions as they need; each removes
// whole runs), then the model directories no recorded run has.
func (s *Store) Clean(ctx context.Context) ([]string, error) {
	var l Leftovers
	if err := s.view(func(txn *badgerdb.Txn) (err error) { l, err = s.findLeftovers(txn); return err }); err != nil {
		return nil, err
	}
	var keys []string
	err := s.view(func(txn *badgerdb.Txn) error {
		for _, id := range l.Runs {
			node := string(lineage.ID(lineage.Run, id.String()))
			keys = append(keys, "run/"+id.String())
			for _, dir := range []string{"e>/", "e</"} {
				err := scan(txn, dir+node+"\x00", false, true, func(key, _ []byte) error {
					other := strings.TrimPrefix(string(key), dir+node+"\x00")
					twin := map[string]string{"e>/": "e</", "e</": "e>/"}[dir]
					keys = append(keys, string(key), twin+other+"\x00"+node)
					return nil
				})
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.deleteKeys(ctx, keys); err != nil {
		return nil, err
	}
	for _, m := range l.Models {
		if err := os.RemoveAll(m); err != nil {
			return nil, fmt.Errorf("remove %s: %w", m, err)
		}
	}
	return l.Describe(), nil
}

// deleteKeys deletes keys, committing whenever a transaction is full.
func (s *Store) deleteKeys(ctx context.Context, keys []string) error {
	for len(keys) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		done := 0
		err := s.update(func(txn *badgerdb.Txn) error {
			done = 0
			for _, k := range keys {
				if err := txn.Delete([]byte(k)); err != nil {
					if done > 0 {
						return nil
					}
					return err
				}
				done++
			}
			return nil
		})
		if err != nil {
			return err
		}
		keys = keys[done:]
	}
	return nil
}
