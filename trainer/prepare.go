package trainer

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

// prepared is a request's rows: the design columns, the target, the split.
type prepared struct {
	features []*featurestore.Series
	refs     []featurestore.FeatureRef
	target   *featurestore.Series
	rows     []int   // the table rows kept
	y        *Target // the target on the kept rows
	dropped  int
	X        [][]float64 // column-major, over rows
	split    Split
	trainIdx []int // indexes into rows
	testIdx  []int
}

// prepare checks the target and the features, drops or refuses rows with
// nulls, reads the target on the kept rows (the estimator's Target; a
// stratified split needs a classifier's classes) and splits the rows.
func prepare(req Request, data *Data, target func(c *featurestore.Series, rows []int) (*Target, error)) (*prepared, error) {
	if req.Target == "" {
		return nil, featurestore.Errorf(featurestore.EINVALID, "no target column").WithHint("give --target COLUMN")
	}
	tab := data.Table
	pr := &prepared{target: tab.Lookup(req.Target)}
	if pr.target == nil {
		return nil, featurestore.Errorf(featurestore.EINVALID, "the dataset has no column %q", req.Target).
			WithHint("%s", suggestColumn(req.Target, tab))
	}
	var err error
	if pr.features, pr.refs, err = designColumns(req, data); err != nil {
		return nil, err
	}
	if err := pr.keepRows(req, tab); err != nil {
		return nil, err
	}
	pr.X = make([][]float64, len(pr.features))
	for j, f := range pr.features {
		pr.X[j] = gatherFloat(f, pr.rows)
	}
	if pr.y, err = target(pr.target, pr.rows); err != nil {
		return nil, err
	}
	return pr, pr.splitRows(req, data)
}

// sets are the prepared rows split into train and test sets.
func (pr *prepared) sets() *Sets {
	return &Sets{Xtrain: takeCols(pr.X, pr.trainIdx), Xtest: takeCols(pr.X, pr.testIdx),
		Ytrain: pr.y.take(pr.trainIdx), Ytest: pr.y.take(pr.testIdx)}
}

// keepRows finds the rows with a null, NaN or infinite feature or
// target: an error naming each column and its first rows, or dropped with
// --drop-nulls. No estimator fits on NaN or ±Inf (scikit-learn refuses
// both).
func (pr *prepared) keepRows(req Request, tab *featurestore.Table) error {
	cols := append(append([]*featurestore.Series{}, pr.features...), pr.target)
	keep := make([]bool, tab.Rows)
	for i := range keep {
		keep[i] = true
	}
	var problems []string
	for _, c := range cols {
		bad := badRows(c, tab.Rows)
		for _, i := range bad.rows {
			keep[i] = false
		}
		if len(bad.rows) > 0 {
			problems = append(problems, bad.describe(c.Name))
		}
	}
	for i, k := range keep {
		if k {
			pr.rows = append(pr.rows, i)
		}
	}
	pr.dropped = tab.Rows - len(pr.rows)
	if pr.dropped > 0 && !req.DropNulls {
		return featurestore.Errorf(featurestore.EINVALID, "null, NaN or infinite values in %d of %d rows: %s", pr.dropped, tab.Rows, strings.Join(problems, "; ")).
			WithHint("--drop-nulls trains on the other rows, or give the feature a default in its definition (conv_rate ?? 0), and guard a division (y != 0 ? x / y : nil)")
	}
	if req.DropNulls && len(pr.rows) < 2 {
		return featurestore.Errorf(featurestore.EINVALID, "dropping the rows with nulls leaves %d of %d rows: %s", len(pr.rows), tab.Rows, strings.Join(problems, "; ")).
			WithHint("look at the null counts fs materialize reports: a cutoff (--as-of) before the data was created, or a ttl, leaves features null")
	}
	return nil
}

// unusable is what a column holds that no fit can take.
type unusable struct {
	rows           []int // every such row
	null, nan, inf int
}

// badRows finds a column's null, NaN and infinite rows.
func badRows(c *featurestore.Series, n int) unusable {
	var u unusable
	for i := 0; i < n; i++ {
		switch {
		case c.Null(i):
			u.null++
		case c.Type == transforms.Float64 && math.IsNaN(c.F64[i]):
			u.nan++
		case c.Type == transforms.Float64 && math.IsInf(c.F64[i], 0):
			u.inf++
		default:
			continue
		}
		u.rows = append(u.rows, i)
	}
	return u
}

// describe is "conv_rate has 3 null and 2 infinite (rows 4, 17, 230, ...)".
func (u unusable) describe(name string) string {
	var kinds []string
	for _, k := range []struct {
		n    int
		what string
	}{{u.null, "null"}, {u.nan, "NaN"}, {u.inf, "infinite"}} {
		if k.n > 0 {
			kinds = append(kinds, fmt.Sprintf("%d %s", k.n, k.what))
		}
	}
	var rows []string
	for _, r := range u.rows[:min(len(u.rows), 5)] {
		rows = append(rows, strconv.Itoa(r))
	}
	if len(u.rows) > 5 {
		rows = append(rows, "...")
	}
	return fmt.Sprintf("%s has %s (rows %s)", name, strings.Join(kinds, " and "), strings.Join(rows, ", "))
}

// splitRows divides the kept rows into train and test sets.
func (pr *prepared) splitRows(req Request, data *Data) error {
	split := Split{Kind: req.Split, TestSize: req.TestSize, Seed: req.Seed, Stratify: req.Stratify}
	if split.Kind == "" {
		split.Kind = "random"
	}
	hint := "use a --test-size between 0 and 1, such as 0.2"
	var err error
	switch {
	case split.Kind == "random" && req.Stratify:
		if pr.y.Class == nil {
			return featurestore.Errorf(featurestore.EINVALID, "--stratify needs class labels").WithHint("add --task classification, or drop --stratify")
		}
		hint = "drop --stratify, or use a larger --test-size so that each class has rows on both sides"
		pr.trainIdx, pr.testIdx, err = StratifiedSplit(pr.y.Class, pr.y.Classes, req.TestSize, req.Seed)
	case split.Kind == "random":
		pr.trainIdx, pr.testIdx, err = TrainTestSplit(len(pr.rows), req.TestSize, req.Seed)
	case split.Kind == "time" && req.Stratify:
		return featurestore.Errorf(featurestore.EINVALID, "--stratify applies to --split random only").WithHint("drop --stratify or use --split random")
	case split.Kind == "time":
		ts := data.Table.Lookup(data.TimestampColumn)
		if data.TimestampColumn == "" || ts == nil || ts.Type != transforms.Timestamp {
			return featurestore.Errorf(featurestore.EINVALID, "--split time needs the dataset's event timestamp column").
				WithHint("use a dataset written by fs materialize, or --split random")
		}
		times := make([]int64, len(pr.rows))
		for k, i := range pr.rows {
			times[k] = ts.I64[i]
		}
		pr.trainIdx, pr.testIdx, err = TimeSplit(times, req.TestSize)
	default:
		return featurestore.Errorf(featurestore.EINVALID, "unknown split %q", split.Kind).WithHint("use --split random or --split time")
	}
	if err != nil {
		return featurestore.Errorf(featurestore.EINVALID, "%v", err).WithHint("%s", hint)
	}
	split.TrainRows, split.TestRows = len(pr.trainIdx), len(pr.testIdx)
	pr.split = split
	return nil
}
