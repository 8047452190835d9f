package trainer

import "testing"

func TestFloatParamsReadAsPythonWritesThem(t *testing.T) {
	for f, want := range map[float64]string{1: "1.0", 0.5: "0.5", 1e-4: "0.0001", 1e-5: "1e-05", 0.2: "0.2",
		123456789: "123456789.0", 1e16: "1e+16", 0: "0.0", 2.5e-7: "2.5e-07"} {
		if got := PythonFloat(f); got != want {
			t.Errorf("PythonFloat(%v) = %q, want Python's %q", f, got, want)
		}
	}
}
