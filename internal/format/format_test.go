package format

import (
	"testing"
	"time"
)

func TestFormats(t *testing.T) {
	for got, want := range map[string]string{
		Nulls(15, 790): "15 of 790 (1.9%)", Nulls(0, 10): "0", Num(-0.0): "0", Num(0.1234567): "0.123457",
		ShortID("0123456789abcdef"): "0123456789ab", TTL(30 * 24 * time.Hour): "30d", TTL(0): "-", TTL(90 * time.Minute): "1h30m0s",
		OneLine("a  +\n  b"): "a + b", Plural(1, "run"): "1 run", Plural(3, "sweep"): "3 sweeps",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
