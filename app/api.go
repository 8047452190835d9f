package app

import (
	"context"
	"io"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/lineage"
	"github.com/fs-dev/fs/profile"
	"github.com/fs-dev/fs/reproduce"
	"github.com/fs-dev/fs/trainer"
)

// API is every use case of fs. *Service implements it on a store
// directory, http.Client on an fs server; both return the same results
// and the same error codes.
type API interface {
	Register(ctx context.Context, req RegisterRequest) (*RegisterResult, error)
	Features(ctx context.Context) ([]featurestore.FeatureHead, error)
	Feature(ctx context.Context, name string) (*FeatureDetail, error)
	Diff(ctx context.Context, a, b string) (*Diff, error)
	FeatureSets(ctx context.Context) ([]FeatureSetInfo, error)

	Materialize(ctx context.Context, req MaterializeRequest) (*featurestore.Dataset, error)
	Datasets(ctx context.Context) ([]featurestore.Dataset, error)
	Dataset(ctx context.Context, id string) (*featurestore.Dataset, error)

	// Train returns the result and, when the runs are recorded but MLflow
	// refused them, an error as well.
	Train(ctx context.Context, req TrainRequest) (*TrainResult, error)
	Predict(ctx context.Context, req PredictRequest) (*PredictResult, error)
	Runs(ctx context.Context) ([]trainer.Run, error)
	Run(ctx context.Context, id string) (*RunDetail, error)
	Compare(ctx context.Context, ids []string) (*trainer.Comparison, error)
	Sync(ctx context.Context, req SyncRequest) ([]*trainer.Run, error)

	Lineage(ctx context.Context, req LineageRequest) ([]*lineage.Tree, error)
	Impact(ctx context.Context, arg string) (*lineage.Impact, error)
	OpenLineage(ctx context.Context, w io.Writer) error
	Reproduce(ctx context.Context, run string) (*reproduce.Report, error)

	Profile(ctx context.Context, req ProfileRequest) (*profile.Profile, error)
	Validate(ctx context.Context, req ValidateRequest) (*Validation, error)

	OnlineSync(ctx context.Context, req OnlineSyncRequest) (*OnlineSyncResult, error)
	OnlineGet(ctx context.Context, req OnlineRequest) (*OnlineResult, error)
	OnlineCheck(ctx context.Context, req OnlineCheckRequest) (*OnlineCheckResult, error)
	Push(ctx context.Context, req PushRequest) (*PushResult, error)
}
