package app_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/fs-dev/fs/app"
	"github.com/fs-dev/fs/badger"
	"github.com/fs-dev/fs/demo"
)

// The command line and the server run the same use cases: here a local
// store registers the demo's definitions and lists the features.
func Example() {
	dir, _ := os.MkdirTemp("", "fs-example")
	defer os.RemoveAll(dir)
	demo.Write(dir, demo.DefaultOptions())
	store := filepath.Join(dir, ".fs")
	badger.Init(store)

	svc := &app.Service{Store: app.Dir(store)}
	ctx := context.Background()
	if _, err := svc.Register(ctx, app.RegisterRequest{File: filepath.Join(dir, "features.yaml")}); err != nil {
		fmt.Println(err)
		return
	}
	heads, _ := svc.Features(ctx)
	for _, h := range heads {
		fmt.Println(h.Name, h.Current.Short())
	}
	// Output:
	// acc_rate c78aa1ded065
	// avg_daily_trips a8495ec86d43
	// conv_rate e8acb2bb2fa1
	// engagement 57436e1ba4ea
	// fare_mean_7d 0d99219bbad9
	// long_trips_1d 81828b851730
	// trips_7d 5a30ab586baa
	// trips_per_hour ab7a234b4e61
}
