package trainer

import (
	"fmt"
	"strings"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

// prepared is a request's rows: the design columns, the target, the split.
type prepared struct {
	features []*featurestore.Series
	refs     []featurestore.FeatureRef
	target   *featurestore.Series
	rows     []int    // the table rows kept
	y        []int    // for classification: each kept row's class index
	classes  []string // and the classes' names
	dropped  int
	X        [][]float64 // column-major, over rows
	split    Split
	trainIdx []int // indexes into rows
	testIdx  []int
}

// prepare checks the target and the features, drops or refuses rows with
// nulls and splits the rows; encode, for classification, gives the kept
// rows' class indexes (a stratified split needs them).
func prepare(req Request, data *Data, encode func(rows []int) ([]int, []string, error)) (*prepared, error) {
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
	if encode != nil {
		if pr.y, pr.classes, err = encode(pr.rows); err != nil {
			return nil, err
		}
	}
	return pr, pr.splitRows(req, data)
}

// keepRows finds the rows with a null feature or target: an error naming
// each column, or dropped with --drop-nulls.
func (pr *prepared) keepRows(req Request, tab *featurestore.Table) error {
	cols := append(append([]*featurestore.Series{}, pr.features...), pr.target)
	keep := make([]bool, tab.Rows)
	var nullCounts []string
	for i := range keep {
		keep[i] = true
	}
	for _, c := range cols {
		n := 0
		for i := 0; i < tab.Rows; i++ {
			if c.Null(i) || isNaN(c, i) {
				keep[i] = false
				n++
			}
		}
		if n > 0 {
			nullCounts = append(nullCounts, fmt.Sprintf("%s has %d", c.Name, n))
		}
	}
	for i, k := range keep {
		if k {
			pr.rows = append(pr.rows, i)
		}
	}
	pr.dropped = tab.Rows - len(pr.rows)
	if pr.dropped > 0 && !req.DropNulls {
		return featurestore.Errorf(featurestore.EINVALID, "null values in %d of %d rows: %s", pr.dropped, tab.Rows, strings.Join(nullCounts, ", ")).
			WithHint("--drop-nulls trains on the other rows, or give the feature a default in its definition (conv_rate ?? 0)")
	}
	if req.DropNulls && len(pr.rows) < 2 {
		return featurestore.Errorf(featurestore.EINVALID, "dropping the rows with nulls leaves %d of %d rows: %s", len(pr.rows), tab.Rows, strings.Join(nullCounts, ", ")).
			WithHint("look at the null counts fs materialize reports: a cutoff (--as-of) before the data was created, or a ttl, leaves features null")
	}
	return nil
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
		if pr.y == nil {
			return featurestore.Errorf(featurestore.EINVALID, "--stratify needs class labels").WithHint("add --task classification, or drop --stratify")
		}
		hint = "drop --stratify, or use a larger --test-size so that each class has rows on both sides"
		pr.trainIdx, pr.testIdx, err = StratifiedSplit(pr.y, pr.classes, req.TestSize, req.Seed)
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
