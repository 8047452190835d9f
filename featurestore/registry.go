package featurestore

import "context"

// Registry is the store of feature versions, feature set versions and the
// names that point at them. Implementations must make Apply atomic and
// never delete or rewrite a version.
type Registry interface {
	// Apply records a registration plan: all of it or nothing. Versions that
	// exist already are left as they are.
	Apply(ctx context.Context, p *Plan) error

	// FeatureHead returns the current state of a feature name (ENOTFOUND).
	FeatureHead(ctx context.Context, name string) (*FeatureHead, error)
	// FeatureHeads returns every feature name, sorted by name.
	FeatureHeads(ctx context.Context) ([]FeatureHead, error)
	// FeatureHistory returns the versions a name has pointed at, newest
	// first (ENOTFOUND when the name was never registered).
	FeatureHistory(ctx context.Context, name string) ([]HistoryEntry, error)
	// FeatureVersion returns a version by its full ID (ENOTFOUND).
	FeatureVersion(ctx context.Context, id ID) (*FeatureVersion, error)
	// ResolveFeatureVersion returns the one version whose ID starts with
	// prefix (hex, at least 4 characters): ENOTFOUND when none does,
	// EINVALID when several do.
	ResolveFeatureVersion(ctx context.Context, prefix string) (ID, error)
	// VersionNames returns the names that have pointed at a version, sorted.
	VersionNames(ctx context.Context, id ID) ([]string, error)

	// FeatureSetHead, FeatureSetHeads, FeatureSetVersion and FeatureSetHistory
	// are the feature set twins of the methods above.
	FeatureSetHead(ctx context.Context, name string) (*FeatureSetHead, error)
	FeatureSetHeads(ctx context.Context) ([]FeatureSetHead, error)
	FeatureSetVersion(ctx context.Context, id ID) (*FeatureSetVersion, error)
	FeatureSetHistory(ctx context.Context, name string) ([]HistoryEntry, error)

	// SourceHead returns the current state of a source name (ENOTFOUND,
	// also for a source registered before sources had versions).
	SourceHead(ctx context.Context, name string) (*SourceHead, error)
	// SourceVersion returns a source version by its full ID (ENOTFOUND).
	SourceVersion(ctx context.Context, id ID) (*SourceVersion, error)
	// SourceHistory returns the versions a source name has pointed at,
	// newest first (ENOTFOUND).
	SourceHistory(ctx context.Context, name string) ([]HistoryEntry, error)
	// Sources returns the registered sources as last declared, sorted by
	// name.
	Sources(ctx context.Context) ([]Source, error)
	// Entities returns the registered entities, sorted by name.
	Entities(ctx context.Context) ([]Entity, error)
}
