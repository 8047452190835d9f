package trainer

import (
	"encoding/json"
	"math"

	"github.com/fs-dev/fs/numeric"
)

// Metrics are scikit-learn's regression metrics on one set of rows.
type Metrics struct {
	MSE  float64 `json:"mse"`
	RMSE float64 `json:"rmse"`
	MAE  float64 `json:"mae"`
	R2   float64 `json:"r2"` // NaN for fewer than 2 rows, as sklearn
	Rows int     `json:"rows"`
}

// Evaluate computes MSE, RMSE, MAE and R² of pred against y with
// sklearn.metrics' definitions and edge cases.
func Evaluate(y, pred []float64) Metrics {
	n := len(y)
	m := Metrics{Rows: n}
	if n == 0 {
		m.MSE, m.RMSE, m.MAE, m.R2 = math.NaN(), math.NaN(), math.NaN(), math.NaN()
		return m
	}
	var se, ae float64
	for i := range y {
		d := y[i] - pred[i]
		se += d * d
		ae += math.Abs(d)
	}
	m.MSE = se / float64(n)
	m.RMSE = math.Sqrt(m.MSE)
	m.MAE = ae / float64(n)
	m.R2 = r2(y, se)
	return m
}

func r2(y []float64, num float64) float64 {
	if len(y) < 2 {
		return math.NaN()
	}
	mean := numeric.PairwiseSum(y) / float64(len(y))
	var den float64
	for _, v := range y {
		den += (v - mean) * (v - mean)
	}
	switch {
	case num != 0 && den != 0:
		return 1 - num/den
	case num == 0:
		return 1
	}
	return 0
}

// jsonFloat writes NaN and infinities as null: JSON has no NaN.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(f))
}

func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = jsonFloat(math.NaN())
		return nil
	}
	var v float64
	err := json.Unmarshal(b, &v)
	*f = jsonFloat(v)
	return err
}

type metricsJSON struct {
	MSE  jsonFloat `json:"mse"`
	RMSE jsonFloat `json:"rmse"`
	MAE  jsonFloat `json:"mae"`
	R2   jsonFloat `json:"r2"`
	Rows int       `json:"rows"`
}

// MarshalJSON writes an undefined metric (R2 below two rows) as null.
func (m Metrics) MarshalJSON() ([]byte, error) {
	return json.Marshal(metricsJSON{jsonFloat(m.MSE), jsonFloat(m.RMSE), jsonFloat(m.MAE), jsonFloat(m.R2), m.Rows})
}

// UnmarshalJSON reads null as NaN.
func (m *Metrics) UnmarshalJSON(b []byte) error {
	var j metricsJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*m = Metrics{float64(j.MSE), float64(j.RMSE), float64(j.MAE), float64(j.R2), j.Rows}
	return nil
}
