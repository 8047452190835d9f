# The two commands of the README.
.PHONY: demo test bench fuzz load

# Run the whole workflow on generated data with an embedded store (no server).
demo:
	@echo "make demo: building fs (the first build takes a minute or two), then running the demo in ./fs-demo" >&2
	go run ./cmd/fs demo

# Install what the tests need (Go modules, .venv) and run every test.
test:
	scripts/test.sh

# Print the registry's speed figures.
bench:
	scripts/bench-registry.sh

# The server's load test: 32 clients for 60 s against a real fs serve;
# the figures go to load-report.md.
load:
	FS_LOAD_SECONDS=60 FS_LOAD_REPORT=$(CURDIR)/load-report.md go test -count=1 -run '^TestLoad$$' -v ./cmd/fs

# Run every fuzz target for FUZZTIME each (default 5m; a count such as 2000000x
# avoids Go 1.26's spurious "context deadline exceeded" at the end of a
# duration, go.dev/issue/75804): the parquet reader,
# the definition-file reader, the entity CSV reader, expressions, the server's requests.
FUZZTIME ?= 5m
fuzz:
	go test -run '^$$' -fuzz '^FuzzReadParquet$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 0s ./featurestore/parquet
	go test -run '^$$' -fuzz '^FuzzOwnPagesAreParquetGos$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 0s ./featurestore/parquet
	go test -run '^$$' -fuzz '^FuzzDefinitions$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 0s ./featurestore/yaml
	go test -run '^$$' -fuzz '^FuzzEntities$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 0s ./materialize
	go test -run '^$$' -fuzz '^FuzzCanonical$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 0s ./transforms
	go test -run '^$$' -fuzz '^FuzzColumnsMatchRows$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 0s ./transforms
	go test -run '^$$' -fuzz '^FuzzRequests$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 0s ./http
