package trainer

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// MarshalJSON writes the run with its task beside its estimator, for
// readers that only care whether it predicts a number or a label.
func (r Run) MarshalJSON() ([]byte, error) {
	type plain Run
	return json.Marshal(struct {
		plain
		Task string `json:"task"`
	}{plain(r), r.Task()})
}

// UnmarshalJSON reads a run, its parts into its estimator's types. Runs
// recorded before estimators had names are read too: a classifier's parts
// were under "logistic", "classifier", "training_classification" and
// "testing_classification", beside a regression's empty ones.
func (r *Run) UnmarshalJSON(b []byte) error {
	type plain Run
	var w struct {
		*plain
		Params json.RawMessage `json:"params"`
		Model  json.RawMessage `json:"model"`
		Train  json.RawMessage `json:"training"`
		Test   json.RawMessage `json:"testing"`
		Task   string          `json:"task"`

		Logistic   json.RawMessage `json:"logistic"`
		Classifier json.RawMessage `json:"classifier"`
		TrainClass json.RawMessage `json:"training_classification"`
		TestClass  json.RawMessage `json:"testing_classification"`
	}
	*r = Run{}
	w.plain = (*plain)(r)
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	raw := [4]json.RawMessage{w.Params, w.Model, w.Train, w.Test}
	if r.Estimator == "" { // recorded by fs 0.2 or earlier
		r.Estimator = elasticNet{}.Name()
		if w.Task == TaskClassification {
			r.Estimator = logisticRegression{}.Name()
			raw = [4]json.RawMessage{w.Logistic, w.Classifier, w.TrainClass, w.TestClass}
		}
	}
	e, ok := Lookup(r.Estimator)
	if !ok {
		return fmt.Errorf("run %s: unknown estimator %q (recorded by a newer fs?)", r.ID.Short(), r.Estimator)
	}
	parts := e.New()
	for i, dst := range []any{parts.Params, parts.Model, parts.Train, parts.Test} {
		if len(raw[i]) == 0 || bytes.Equal(raw[i], []byte("null")) {
			continue
		}
		if err := json.Unmarshal(raw[i], dst); err != nil {
			return fmt.Errorf("run %s: %w", r.ID.Short(), err)
		}
	}
	r.Params, r.Train, r.Test = parts.Params, parts.Train, parts.Test
	if len(raw[1]) > 0 && !bytes.Equal(raw[1], []byte("null")) {
		r.Model = parts.Model
	}
	return nil
}
