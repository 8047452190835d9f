package main

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/fs-dev/fs/app"
	"github.com/fs-dev/fs/featurestore"
	fshttp "github.com/fs-dev/fs/http"
	"github.com/fs-dev/fs/internal/membudget"
	"github.com/fs-dev/fs/internal/termsafe"
)

// remote reports whether the store is an fs server's URL.
func (a *cli) remote() bool {
	d := a.storeDir()
	return strings.HasPrefix(d, "http://") || strings.HasPrefix(d, "https://")
}

// api is where commands run their use cases: the store directory, or the
// fs server the store URL names.
func (a *cli) api() app.API {
	if a.remote() {
		return a.client()
	}
	return &app.Service{Store: app.Dir(a.storeDir()), Getenv: a.st.Getenv, SoleJob: true, OnlineStore: a.onlineStore()}
}

// onlineStore is the online store --online or FS_ONLINE names; nil: the
// embedded one.
func (a *cli) onlineStore() app.OnlineOpener {
	if u := a.onlineURL(); u != "" {
		return app.OnlineAt(u)
	}
	return nil
}

// onlineURL is --online, else FS_ONLINE ("": the embedded store).
func (a *cli) onlineURL() string {
	if a.onlineFlag != "" {
		return a.onlineFlag
	}
	return a.st.Getenv(app.OnlineEnv)
}

// ctx is the command's context with warnings and notes printed on stderr,
// and its memory budget.
func (a *cli) ctx(cmd *cobra.Command) context.Context {
	var mu sync.Mutex
	ctx := app.WithNotify(cmd.Context(), func(msg string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(a.st.Stderr, "fs: %s\n", termsafe.String(msg))
	})
	b, err := a.budget()
	if err != nil {
		app.Notify(ctx, "warning: "+err.Error()+"; using the default")
		b = membudget.Default()
	}
	return membudget.WithBudget(ctx, b)
}

// localOnly refuses a command that works on the store's files when the
// store is a server.
func (a *cli) localOnly(what string) error {
	if !a.remote() {
		return nil
	}
	return featurestore.Errorf(featurestore.EINVALID, "%s works on a store directory, not on an fs server (%s)", what, a.storeDir()).
		WithHint("run it on the server's machine with --store DIR")
}

// client is the fs server the store URL names, with FS_TOKEN.
func (a *cli) client() *fshttp.Client {
	return fshttp.NewClient(a.storeDir(), a.st.Getenv("FS_TOKEN"))
}

// serverOnly refuses a command that only an fs server has, on a store
// directory.
func (a *cli) serverOnly(what string) error {
	if a.remote() {
		return nil
	}
	return featurestore.Errorf(featurestore.EINVALID, "%s works on an fs server; %s is a store directory", what, a.storeDir()).
		WithHint("give --store http://HOST:PORT, or set FS_STORE to the server's URL")
}
