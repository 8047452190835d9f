package trainer

import (
	"math"
	"strconv"
	"strings"
)

// PythonFloat formats a float as Python's repr does (1.0, 0.0001, 1e-05,
// 1e+16), so parameters read as a notebook's mlflow.log_param logs them.
func PythonFloat(f float64) string {
	a := math.Abs(f)
	if f == 0 || (a >= 1e-4 && a < 1e16) {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.ContainsAny(s, ".") {
			s += ".0"
		}
		return s
	}
	return strconv.FormatFloat(f, 'e', -1, 64)
}

// pythonBool is True or False.
func pythonBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}
