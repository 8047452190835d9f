package badger

import (
	"context"
	"encoding/json"
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

// Report is what Check found in a store.
type Report struct {
	Store string `json:"store"`
	// Damage lists damaged files; when there is any, the records were not
	// read.
	Damage []Damage `json:"damage"`
	// Problems are records that contradict each other (an edge without its
	// twin, a run whose dataset or model is missing, ...).
	Problems []string `json:"problems"`
	// Notes are findings that lose nothing: a killed writer's log still to
	// replay, files outside the store that have gone.
	Notes []string `json:"notes"`
	// Leftovers are what killed commands left that no reader sees
	// (Leftovers): harmless, and removed by Repair.
	Leftovers []string       `json:"leftovers"`
	Checked   map[string]int `json:"checked"` // records read, by kind
}

// OK reports whether the store is whole and consistent.
func (r *Report) OK() bool { return len(r.Damage) == 0 && len(r.Problems) == 0 }

// ModelsDir is where a store keeps the models of its runs, one directory
// per run id.
func ModelsDir(store string) string { return filepath.Join(store, "models") }

// EntitiesDir is where a store keeps copies of entity files that would not
// stay where they were (a notebook's DataFrame), named by their content.
func EntitiesDir(store string) string { return filepath.Join(store, "entities") }

// TempDir is where commands working on a store keep temporary files too
// large for memory (a materialization's spilled partitions); what is
// there belongs to running commands.
func TempDir(store string) string { return filepath.Join(store, "tmp") }

// Check reads every file and record of the store at dir without changing
// it: the files' structure and checksums, then the records against each
// other (Verify).
func Check(ctx context.Context, dir string) (*Report, error) {
	if !Exists(dir) {
		return nil, featurestore.Errorf(featurestore.ENOSTORE, "no fs store at %s", dir).
			WithHint("run fs init, or point --store (or FS_STORE) at an existing store")
	}
	rep := &Report{Store: dir, Checked: map[string]int{}}
	st := inspect(dir, true)
	rep.Damage = st.damage
	if len(st.damage) > 0 {
		return rep, nil
	}
	for _, l := range st.logs {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%s: a killed writer's log; the next fs command that writes replays its committed part", l))
	}
	for _, o := range st.orphans {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%s: a table a killed writer left unfinished; the next fs command that writes removes it", o))
	}
	s, err := Open(dir, true)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return rep, s.Verify(ctx, rep)
}

// Verify checks the records against each other and adds what it finds to
// rep: every lineage edge is stored both ways and has both ends, every run
// has its dataset, its model and its sweep, every feature name points at a
// version, every version at the versions it reads.
func (s *Store) Verify(ctx context.Context, rep *Report) error {
	v := &verifier{rep: rep, keys: map[string]bool{}, s: s}
	return s.view(func(txn *badgerdb.Txn) error {
		if err := v.loadKeys(txn); err != nil {
			return err
		}
		for _, step := range []func(*badgerdb.Txn) error{v.leftovers, v.edges, v.heads, v.versions, v.runs, v.datasets} {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := step(txn); err != nil {
				return err
			}
		}
		sort.Strings(rep.Problems)
		return nil
	})
}

type verifier struct {
	rep  *Report
	keys map[string]bool // every key in the store
	s    *Store
	// partial are the runs of partial sweeps and the sweeps never
	// recorded, by node: leftovers, not problems.
	partial map[lineage.NodeID]bool
	// plainDatasets are the dataset ids of runs trained on parquet files fs
	// did not write: lineage nodes without a dataset record.
	plainDatasets map[string]bool
}

func (v *verifier) problem(format string, args ...any) {
	v.rep.Problems = append(v.rep.Problems, fmt.Sprintf(format, args...))
}

func (v *verifier) loadKeys(txn *badgerdb.Txn) error {
	return scan(txn, "", false, true, func(key, _ []byte) error {
		v.keys[string(key)] = true
		return nil
	})
}

// nodeKey is the record a lineage node stands for.
func nodeKey(id lineage.NodeID) string {
	prefix := map[lineage.Kind]string{lineage.Source: "srcv/", lineage.FeatureVersion: "fv/", lineage.FeatureSet: "sv/", lineage.Dataset: "ds/",
		lineage.Snapshot: "snap/", lineage.Run: "run/", lineage.ModelVersion: "mv/"}[id.Kind()]
	if prefix == "" {
		return ""
	}
	return prefix + id.Key()
}

func (v *verifier) edges(txn *badgerdb.Txn) error {
	if err := v.loadPlainDatasets(txn); err != nil {
		return err
	}
	missing := map[string]int{} // node -> edges that lead to it
	for key := range v.keys {
		dir, rest, ok := strings.Cut(key, "/")
		if !ok || (dir != "e>" && dir != "e<") {
			continue
		}
		v.rep.Checked["edges"]++
		a, b, _ := strings.Cut(rest, "\x00")
		twin := "e</" + b + "\x00" + a
		if dir == "e<" {
			twin = "e>/" + b + "\x00" + a
		}
		if !v.keys[twin] {
			v.problem("the edge between %s and %s is stored one way only", shortNode(a), shortNode(b))
		}
		for _, end := range []string{a, b} {
			if !v.nodeExists(lineage.NodeID(end)) {
				missing[end]++
			}
		}
	}
	for node, n := range missing {
		if !v.partial[lineage.NodeID(node)] {
			v.problem("%s is not recorded, but %d lineage edges lead to it", shortNode(node), n)
		}
	}
	return nil
}

// shortNode is "kind id" with the id cut to the short form.
func shortNode(node string) string {
	id := lineage.NodeID(node)
	return string(id.Kind()) + " " + shortText(id.Key())
}

func (v *verifier) nodeExists(id lineage.NodeID) bool {
	if id.Kind() == lineage.Dataset && v.plainDatasets[id.Key()] {
		return true
	}
	k := nodeKey(id)
	return k != "" && v.keys[k]
}

func (v *verifier) loadPlainDatasets(txn *badgerdb.Txn) error {
	v.plainDatasets = map[string]bool{}
	return eachJSON(txn, "run/", func(r *trainer.Run) {
		if !r.Dataset.FS {
			v.plainDatasets[r.Dataset.ID] = true
		}
	})
}

func eachJSON[T any](txn *badgerdb.Txn, prefix string, fn func(*T)) error {
	return scan(txn, prefix, false, false, func(key, val []byte) error {
		var x T
		if err := json.Unmarshal(val, &x); err != nil {
			return fmt.Errorf("record %s: %w", key, err)
		}
		fn(&x)
		return nil
	})
}

func (v *verifier) heads(txn *badgerdb.Txn) error {
	err := eachJSON(txn, "fh/", func(h *headRecord) {
		v.rep.Checked["feature names"]++
		if !v.keys["fv/"+h.Current.String()] {
			v.problem("feature %s points at version %s, which is not recorded", h.Name, h.Current.Short())
		}
	})
	if err != nil {
		return err
	}
	err = eachJSON(txn, "srch/", func(h *sourceHeadRecord) {
		v.rep.Checked["source names"]++
		if !v.keys["srcv/"+h.Current.String()] {
			v.problem("source %s points at version %s, which is not recorded", h.Name, h.Current.Short())
		}
	})
	if err != nil {
		return err
	}
	return eachJSON(txn, "sh/", func(h *setHeadRecord) {
		v.rep.Checked["feature set names"]++
		if !v.keys["sv/"+h.Current.String()] {
			v.problem("feature set %s points at version %s, which is not recorded", h.Name, h.Current.Short())
		}
	})
}

func (v *verifier) versions(txn *badgerdb.Txn) error {
	err := eachJSON(txn, "fv/", func(fv *featurestore.FeatureVersion) {
		v.rep.Checked["feature versions"]++
		if sv := fv.SourceVersion; !sv.IsZero() && !v.keys["srcv/"+sv.String()] {
			v.problem("feature version %s@%s reads source version %s, which is not recorded", fv.Name, fv.ID.Short(), sv.Short())
		}
		for _, d := range fv.DependsOn {
			if !v.keys["fv/"+d.Version.String()] {
				v.problem("feature version %s@%s reads %s@%s, which is not recorded", fv.Name, fv.ID.Short(), d.Name, d.Version.Short())
			}
		}
	})
	if err != nil {
		return err
	}
	return eachJSON(txn, "sv/", func(sv *featurestore.FeatureSetVersion) {
		v.rep.Checked["feature set versions"]++
		for _, m := range sv.Members {
			if !v.keys["fv/"+m.Version.String()] {
				v.problem("feature set %s@%s has member %s@%s, which is not recorded", sv.Name, sv.ID.Short(), m.Name, m.Version.Short())
			}
		}
	})
}

func (v *verifier) runs(txn *badgerdb.Txn) error {
	return eachJSON(txn, "run/", func(r *trainer.Run) {
		v.rep.Checked["runs"]++
		id := r.ID.Short()
		if v.partial[lineage.ID(lineage.Run, r.ID.String())] {
			return
		}
		if r.Dataset.FS && !v.keys["ds/"+r.Dataset.ID] {
			v.problem("run %s: its dataset %s is not recorded", id, shortText(r.Dataset.ID))
		}
		for _, c := range r.Children {
			if !v.keys["run/"+c.String()] {
				v.problem("sweep %s: its run %s is not recorded", id, c.Short())
			}
		}
		if len(r.Children) == 0 {
			if _, err := os.Stat(filepath.Join(ModelsDir(v.s.dir), r.ID.String(), "MLmodel")); err != nil {
				v.problem("run %s: its model is missing from %s", id, ModelsDir(v.s.dir))
			}
		}
	})
}

func (v *verifier) leftovers(txn *badgerdb.Txn) error {
	l, err := v.s.findLeftovers(txn)
	v.rep.Leftovers = l.Describe()
	if v.rep.Leftovers == nil {
		v.rep.Leftovers = []string{}
	}
	v.partial = map[lineage.NodeID]bool{}
	for _, id := range l.Runs {
		v.partial[lineage.ID(lineage.Run, id.String())] = true
	}
	for _, id := range l.Sweeps {
		v.partial[lineage.ID(lineage.Run, id.String())] = true
	}
	return err
}

func (v *verifier) datasets(txn *badgerdb.Txn) error {
	return eachJSON(txn, "ds/", func(d *featurestore.Dataset) {
		v.rep.Checked["datasets"]++
		for _, s := range d.Sources {
			if !v.keys["snap/"+s.Digest] {
				v.problem("dataset %s: its snapshot of source %s is not recorded", d.ID.Short(), s.Name)
			}
		}
		if out := v.s.loadedPath(d.Output); out != "" {
			if _, err := os.Stat(out); err != nil {
				v.rep.Notes = append(v.rep.Notes, fmt.Sprintf("dataset %s: its file %s is gone (fs reproduce rebuilds it)", d.ID.Short(), out))
			}
		}
	})
}

func shortText(s string) string {
	if len(s) > featurestore.ShortLen {
		return s[:featurestore.ShortLen]
	}
	return s
}
