package featurestore

import (
	"time"

	"github.com/fs-dev/fs/transforms"
)

// Feature is a feature as the definition file declares it.
type Feature struct {
	Name   string          `json:"name"`
	Source string          `json:"source"`
	Expr   string          `json:"expr"`
	Type   transforms.Type `json:"type,omitempty"` // declared; "" means inferred
	TTL    time.Duration   `json:"ttl,omitempty"`  // 0 means unlimited lookback
	// Aggregate, Window and Where make the feature a windowed aggregation
	// of Expr (or, for count, of the events) over the source's events.
	Aggregate   string        `json:"aggregate,omitempty"`
	Window      time.Duration `json:"window,omitempty"`
	Where       string        `json:"where,omitempty"`
	Description string        `json:"description,omitempty"`
	Owner       string        `json:"owner,omitempty"`
	Tags        []string      `json:"tags,omitempty"`
}

// Metadata is what describes a feature without changing what it computes.
type Metadata struct {
	Description string   `json:"description,omitempty"`
	Owner       string   `json:"owner,omitempty"`
	Tags        []string `json:"tags,omitempty"`
}

// FeatureVersion is the immutable, content-hashed form of a feature's
// computation. Everything in it but Name, Metadata and Created is part of
// Descriptor and so of the ID.
type FeatureVersion struct {
	ID     ID     `json:"version"`
	Name   string `json:"name"` // the name it was first registered under
	Source Source `json:"source"`
	// SourceVersion is the version of the source it reads (zero in
	// versions of FeatureFormatV1, made before sources had versions).
	SourceVersion ID              `json:"source_version,omitzero"`
	JoinKeys      []string        `json:"join_keys"`
	Expr          string          `json:"expr"`      // as written
	Canonical     string          `json:"canonical"` // as hashed
	Type          transforms.Type `json:"type"`
	TTL           time.Duration   `json:"ttl,omitempty"`
	// Aggregation is set for a windowed aggregation; Expr is then the
	// value aggregated ("" for count of events).
	Aggregation *Aggregation `json:"aggregation,omitempty"`
	Columns     []Column     `json:"columns"`    // source columns read, sorted by name
	DependsOn   []FeatureRef `json:"depends_on"` // features read, sorted by name
	Metadata    Metadata     `json:"metadata"`   // as first registered
	Created     time.Time    `json:"created"`    // when first registered
	Descriptor  string       `json:"descriptor"` // the exact bytes that were hashed
}

// FeatureRef names one version of a feature.
type FeatureRef struct {
	Name    string `json:"name"`
	Version ID     `json:"version"`
}

// FeatureHead is the current state of a feature name in the registry.
type FeatureHead struct {
	Name     string          `json:"name"`
	Current  ID              `json:"current"` // the version registered last
	Source   string          `json:"source"`
	Type     transforms.Type `json:"type"`
	Versions int             `json:"versions"` // how many versions this name has had
	Metadata Metadata        `json:"metadata"`
	Updated  time.Time       `json:"updated"`
}

// HistoryEntry records that a name pointed at a version from a time on.
type HistoryEntry struct {
	Name       string    `json:"name"`
	Version    ID        `json:"version"`
	Registered time.Time `json:"registered"`
	By         string    `json:"by,omitempty"` // who registered it: a server's token name, else the OS user
}
