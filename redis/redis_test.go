package redis_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/internal/redistest"
	"github.com/fs-dev/fs/online"
	"github.com/fs-dev/fs/online/onlinetest"
	"github.com/fs-dev/fs/redis"
)

func open(t *testing.T, url string) online.Store {
	t.Helper()
	s, err := redis.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestContract: the online store contract against a real redis-server.
func TestContract(t *testing.T) {
	url := redistest.Start(t)
	onlinetest.Run(t, onlinetest.Opener{
		Open:   func(t *testing.T) online.Store { return open(t, url) },
		Reopen: func(t *testing.T, s online.Store) online.Store { s.Close(); return open(t, url) },
	})
}

// TestUnreachable: no server is ENOSTORE, with a hint, within seconds.
func TestUnreachable(t *testing.T) {
	url := fmt.Sprintf("redis://127.0.0.1:%d/0", redistest.FreePort(t))
	start := time.Now()
	_, err := redis.Open(context.Background(), url)
	if featurestore.ErrorCode(err) != featurestore.ENOSTORE || !strings.Contains(err.Error(), "cannot reach the online store") ||
		time.Since(start) > 5*time.Second {
		t.Fatalf("%v after %s", err, time.Since(start))
	}
	if !strings.Contains(featurestore.ErrorHint(err), "redis-server") {
		t.Fatalf("hint: %q", featurestore.ErrorHint(err))
	}
	if _, err := redis.Open(context.Background(), "redis://[bad"); featurestore.ErrorCode(err) != featurestore.EUSAGE {
		t.Fatalf("a bad URL: %v", err)
	}
}
