package app_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/fs-dev/fs/app"
	"github.com/fs-dev/fs/demo"
	"github.com/fs-dev/fs/featurestore/badger"
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
	// acc_rate 9bc3475ffcea
	// avg_daily_trips 855b8bf28e89
	// conv_rate 303576f0cd38
	// engagement 8e580378262c
	// trips_per_hour 9ca43bf6798e
}
