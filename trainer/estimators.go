package trainer

// registry is every estimator fs fits, in the order --task picks them
// (the first of a task is its default). A new kind of model is a file
// that implements Estimator, and a line here.
var registry = []Estimator{
	elasticNet{},
	logisticRegression{},
}
