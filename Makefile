# The two commands of the README.
.PHONY: demo test bench

# Run the whole workflow on generated data with an embedded store (no server).
demo:
	go run ./cmd/fs demo

# Install what the tests need (Go modules, .venv) and run every test.
test:
	scripts/test.sh

# Print the registry's speed figures.
bench:
	scripts/bench-registry.sh
