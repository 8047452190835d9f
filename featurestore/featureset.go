package featurestore

import "time"

// FeatureSet is a named list of features, as declared. A member may pin a
// version with name@VERSION.
type FeatureSet struct {
	Name        string   `json:"name"`
	Features    []string `json:"features"`
	Description string   `json:"description,omitempty"`
}

// FeatureSetVersion is a feature set resolved to member versions; its ID is
// the hash of the members' names and versions, in order.
type FeatureSetVersion struct {
	ID         ID           `json:"version"`
	Name       string       `json:"name"`
	Members    []FeatureRef `json:"members"`
	Created    time.Time    `json:"created"`
	Descriptor string       `json:"descriptor"`
}

// FeatureSetHead is the current state of a feature set name.
type FeatureSetHead struct {
	Name     string    `json:"name"`
	Current  ID        `json:"current"`
	Versions int       `json:"versions"`
	Updated  time.Time `json:"updated"`
}
