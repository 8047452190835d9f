package trainer

import "math"

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
	mean := pairwiseSum(y) / float64(len(y))
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
