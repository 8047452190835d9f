package app

import (
	"context"
	"time"

	"github.com/fs-dev/fs/featurestore"
)

// VersionInfo is one version of a feature in its history.
type VersionInfo struct {
	*featurestore.FeatureVersion
	Current      bool      `json:"current"`
	Registered   time.Time `json:"registered"`              // when the name last pointed at it
	RegisteredBy string    `json:"registered_by,omitempty"` // by whom (a server's token name, else the OS user)
}

// FeatureDetail is a feature name with every version it has had, newest
// first.
type FeatureDetail struct {
	Name     string                `json:"name"`
	Current  featurestore.ID       `json:"current"`
	Metadata featurestore.Metadata `json:"metadata"`
	Versions []VersionInfo         `json:"versions"`
}

// Diff compares two feature versions.
type Diff struct {
	A         featurestore.FeatureRef    `json:"a"`
	B         featurestore.FeatureRef    `json:"b"`
	Identical bool                       `json:"identical"`
	Changes   []featurestore.FieldChange `json:"changes"`
}

// FeatureSetInfo is a feature set's head with its members.
type FeatureSetInfo struct {
	featurestore.FeatureSetHead
	Members []featurestore.FeatureRef `json:"members"`
}

// Features lists every feature name with its current version.
func (s *Service) Features(ctx context.Context) (heads []featurestore.FeatureHead, err error) {
	err = s.read(ctx, func(st Store) error {
		heads, err = st.FeatureHeads(ctx)
		return err
	})
	return heads, err
}

// Feature shows every version a feature name has had, newest first.
// Errors: ENOTFOUND.
func (s *Service) Feature(ctx context.Context, name string) (res *FeatureDetail, err error) {
	if err := required(need{"name", name, "a feature name (fs features list)"}); err != nil {
		return nil, err
	}
	err = s.read(ctx, func(st Store) error {
		res, err = featureDetail(ctx, st, name)
		return err
	})
	return res, err
}

func featureDetail(ctx context.Context, reg featurestore.Registry, name string) (*FeatureDetail, error) {
	head, err := reg.FeatureHead(ctx, name)
	if err != nil {
		return nil, err
	}
	hist, err := reg.FeatureHistory(ctx, name)
	if err != nil {
		return nil, err
	}
	res := &FeatureDetail{Name: name, Current: head.Current, Metadata: head.Metadata}
	seen := map[featurestore.ID]bool{}
	for _, h := range hist {
		if seen[h.Version] {
			continue
		}
		seen[h.Version] = true
		v, err := reg.FeatureVersion(ctx, h.Version)
		if err != nil {
			return nil, err
		}
		res.Versions = append(res.Versions, VersionInfo{FeatureVersion: v, Current: h.Version == head.Current,
			Registered: h.Registered, RegisteredBy: h.By})
	}
	return res, nil
}

// Diff compares what two feature versions compute; each argument is
// NAME or NAME@VERSION. Errors: ENOTFOUND, EINVALID.
func (s *Service) Diff(ctx context.Context, a, b string) (res *Diff, err error) {
	err = s.read(ctx, func(st Store) error {
		var refs [2]featurestore.FeatureRef
		var vers [2]*featurestore.FeatureVersion
		for i, arg := range []string{a, b} {
			if refs[i], err = featurestore.ResolveArg(ctx, st, arg); err != nil {
				return err
			}
			if vers[i], err = st.FeatureVersion(ctx, refs[i].Version); err != nil {
				return err
			}
		}
		changes, err := featurestore.DiffVersions(ctx, st, st.Root(), vers[0], vers[1])
		if err != nil {
			return err
		}
		res = &Diff{A: refs[0], B: refs[1], Changes: changes}
		res.Identical = refs[0].Version == refs[1].Version
		return nil
	})
	return res, err
}

// FeatureSets lists every feature set with its current members.
func (s *Service) FeatureSets(ctx context.Context) (out []FeatureSetInfo, err error) {
	err = s.read(ctx, func(st Store) error {
		heads, err := st.FeatureSetHeads(ctx)
		if err != nil {
			return err
		}
		out = []FeatureSetInfo{}
		for _, h := range heads {
			v, err := st.FeatureSetVersion(ctx, h.Current)
			if err != nil {
				return err
			}
			out = append(out, FeatureSetInfo{FeatureSetHead: h, Members: v.Members})
		}
		return nil
	})
	return out, err
}
