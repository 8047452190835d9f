package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/fs-dev/fs/app"
	"github.com/fs-dev/fs/badger"
	"github.com/fs-dev/fs/online"
)

// held is an online store held open, as a server holds it.
type held struct{ s online.Store }

func (h held) Open(context.Context) (online.Store, func(), error) { return h.s, func() {}, nil }

// BenchmarkOnlineGet is the lookup a server makes for POST /api/v1/online
// (the store and the online store held open): one entity, and a batch of
// 100, × 5 features (go test -bench OnlineGet ./app).
func BenchmarkOnlineGet(b *testing.B) {
	dir, svc := onlineProject(b, rand.New(rand.NewPCG(1, 1)))
	ctx := context.Background()
	feats := []string{"last_fare", "fare_ttl", "city", "rides_2d", "fare_mean_3d"}
	if _, err := svc.OnlineSync(ctx, app.OnlineSyncRequest{Features: feats, AsOf: app.Time{Time: t0.Add(5 * 24 * time.Hour)}}); err != nil {
		b.Fatal(err)
	}
	shared, err := app.OpenShared(filepath.Join(dir, ".fs"))
	if err != nil {
		b.Fatal(err)
	}
	defer shared.Close()
	st, err := badger.OpenOnline(badger.OnlineDir(filepath.Join(dir, ".fs")))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	srv := &app.Service{Store: shared, OnlineStore: held{st}}
	for _, n := range []int{1, 100} {
		req := app.OnlineRequest{Features: feats}
		for i := range n {
			req.Entities = append(req.Entities, app.Entity{"driver_id": json.Number(fmt.Sprint(1 + i%50))})
		}
		b.Run(fmt.Sprintf("entities=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := srv.OnlineGet(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
