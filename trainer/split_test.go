package trainer

import (
	"fmt"
	"testing"
)

// The check values of the team's notes on Elastic Net parity, which come
// from numpy: train_test_split(range(10), test_size=0.2, random_state=17).
func TestTrainTestSplitMatchesNumpy(t *testing.T) {
	train, test, err := TrainTestSplit(10, 0.2, 17)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(test) != "[7 2]" || fmt.Sprint(train) != "[5 3 4 0 9 8 6 1]" {
		t.Errorf("split = train %v test %v, want train [5 3 4 0 9 8 6 1] test [7 2]", train, test)
	}
	if _, _, err := TrainTestSplit(10, 0, 1); err == nil {
		t.Error("test size 0 accepted")
	}
	if _, _, err := TrainTestSplit(1, 0.5, 1); err == nil {
		t.Error("a split leaving an empty train set accepted")
	}
}

func TestTimeSplit(t *testing.T) {
	train, test, err := TimeSplit([]int64{5, 1, 3, 3, 9}, 0.4)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(train) != "[1 2 3]" || fmt.Sprint(test) != "[0 4]" {
		t.Errorf("time split = %v / %v", train, test)
	}
}
