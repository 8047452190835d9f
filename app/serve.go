package app

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/fs-dev/fs/featurestore"
)

// ServeConfig is what a server's service is made of: its store, the
// directories requests may name files in, where outputs go, and the
// server's own files no request may touch.
type ServeConfig struct {
	Store     string   // the store directory
	DataRoots []string // none: the working directory, unless it holds a Protected file
	Outputs   string   // "": STORE-outputs, beside the store
	Protected []Protected
	Getenv    func(string) string
	// Online is the online store's URL ("": embedded, beside the store);
	// LogRequests keeps each online request answered (Service's).
	Online      string
	LogRequests bool
}

// OpenServe opens the store for a server's life (close the Shared, and
// the service's online store, when done) and builds the service over it: its data roots, its outputs
// directory (created), its protected files.
func OpenServe(cfg ServeConfig) (*Service, *Shared, error) {
	dirs, err := dataRoots(cfg)
	if err != nil {
		return nil, nil, err
	}
	roots, err := NewRoots(dirs)
	if err != nil {
		return nil, nil, err
	}
	storeAbs, err := filepath.Abs(cfg.Store)
	if err != nil {
		return nil, nil, err
	}
	outputs := cfg.Outputs
	if outputs == "" {
		outputs = storeAbs + "-outputs"
	}
	if err := os.MkdirAll(outputs, 0o755); err != nil {
		return nil, nil, featurestore.Errorf(featurestore.EINVALID, "cannot create the outputs directory %s: %v", outputs, err)
	}
	shared, err := OpenShared(cfg.Store)
	if err != nil {
		return nil, nil, err
	}
	svc := &Service{Store: shared, Getenv: cfg.Getenv, Roots: roots, Protected: cfg.Protected, Outputs: outputs,
		LogRequests: cfg.LogRequests}
	svc.holdOnline(cfg.Online)
	return svc, shared, nil
}

// dataRoots are the configured roots, else the working directory unless
// it holds one of the server's own files.
func dataRoots(cfg ServeConfig) ([]string, error) {
	if len(cfg.DataRoots) > 0 {
		return cfg.DataRoots, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	for _, p := range cfg.Protected {
		abs, _ := filepath.Abs(p.Path)
		if rel, err := filepath.Rel(wd, abs); err == nil && !strings.HasPrefix(rel, "..") {
			return nil, featurestore.Errorf(featurestore.EINVALID, "the working directory %s holds %s (%s): it cannot be the data root", wd, p.What, p.Path).
				WithHint("give --data-root DIR, a directory of data that does not hold the server's own files")
		}
	}
	return []string{"."}, nil
}
