package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fs-dev/fs/app"
	"github.com/fs-dev/fs/demo"
	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/internal/format"
	"github.com/fs-dev/fs/lineage"
	"github.com/fs-dev/fs/trainer"
)

// browser drives a headless Chromium (the system's: Debian's package,
// which the test command installs) against a server, collecting every
// console error and saving screenshots.
type browser struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string
	mu    sync.Mutex
	errs  []string
}

func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no Chromium on this machine: the test command installs Debian's chromium package")
	}
	t.Skip("no Chromium on this machine (apt-get install chromium); scripts/test.sh installs it")
	return ""
}

func newBrowser(t *testing.T, base string) *browser {
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath(t)), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 900), chromedp.DisableGPU)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	shots := filepath.Join(t.TempDir(), "screenshots")
	if out := os.Getenv("FS_TEST_OUTPUT"); out != "" {
		shots = filepath.Join(out, "ui")
	}
	os.MkdirAll(shots, 0o755)
	b := &browser{t: t, ctx: ctx, base: base, shots: shots}
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	go func() {
		for msg, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if msg.Type == "error" || msg.Type == chromedp.ConsoleException {
				b.mu.Lock()
				b.errs = append(b.errs, fmt.Sprintf("%s: %s", msg.Type, msg.Text))
				b.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, e := range b.errs {
			t.Errorf("browser console: %s", e)
		}
	})
	return b
}

// expect runs fn, during which the browser is to log an error containing
// what (a page answered with the error status it should have); that
// error is not counted.
func (b *browser) expect(what string, fn func()) {
	b.t.Helper()
	fn()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		b.mu.Lock()
		i := slices.IndexFunc(b.errs, func(e string) bool { return strings.Contains(e, what) })
		if i >= 0 {
			b.errs = slices.Delete(b.errs, i, i+1)
		}
		b.mu.Unlock()
		if i >= 0 {
			return
		}
	}
	b.t.Errorf("the browser logged no error with %q", what)
}

// dropErrors forgets the console errors so far: a page that was meant to
// be refused (an attack) logs the refusals.
func (b *browser) dropErrors() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.errs = nil
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// open navigates to path and waits for sel.
func (b *browser) open(path, sel string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base+path), chromedp.WaitVisible(chromedp.CSS(sel)))
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func (b *browser) eval(js string, out any) {
	b.t.Helper()
	raw, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]byte](js))
	if err != nil {
		b.t.Fatalf("%s: %v", js, err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		b.t.Fatalf("%s: %v", js, err)
	}
}

func (b *browser) url() string {
	var u string
	b.eval("location.pathname + location.search", &u)
	return u
}

// shot saves a screenshot of the whole page as NAME.png.
func (b *browser) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644)
}

func getJSON(t *testing.T, url string, out any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

func contains(t *testing.T, what, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s does not show %q:\n%.3000s", what, w, text)
		}
	}
}

// TestWebUI opens every page of the web UI in Chromium on a server holding
// the demo's store and follows the main flows, checking what the pages
// show against the API's JSON (the CLI's --json).
func TestWebUI(t *testing.T) {
	dir := demoStore(t)
	changed, _ := os.ReadFile(filepath.Join(dir, "features.yaml"))
	os.WriteFile(filepath.Join(dir, "changed.yaml"), []byte(strings.Replace(string(changed), "avg_daily_trips / 24.0", "avg_daily_trips / 24.0 * 1.5", 1)), 0o644)
	base, stop := startServer(t.Fatalf, filepath.Join(dir, ".fs"), "--data-root", dir, "--quiet")
	defer stop()
	if code, _, stderr := client(t, dir, base, "", "register", "changed.yaml"); code != 0 {
		t.Fatalf("register: %s", stderr)
	}
	if code, _, stderr := client(t, dir, base, "", "profile", "train.parquet"); code != 0 {
		t.Fatalf("profile: %s", stderr)
	}
	b := newBrowser(t, base)

	// Features: every name with its current version; the search filters.
	var heads []featurestore.FeatureHead
	getJSON(t, base+"/api/v1/features", &heads)
	b.open("/", "#features")
	page := b.text("#features")
	for _, h := range heads {
		contains(t, "the features page", page, h.Name, h.Current.Short())
	}
	b.shot("features")
	b.do(chromedp.SendKeys(chromedp.CSS("#q"), "trips_per"))
	var visible []string
	b.eval(`Array.from(document.querySelectorAll("#features tbody tr:not([hidden]) td:first-child")).map(td => td.textContent)`, &visible)
	if !slices.Equal(visible, []string{"trips_per_hour"}) {
		t.Errorf("searching trips_per shows %v", visible)
	}

	// A feature's versions, and the diff between its two versions.
	b.do(chromedp.Click(chromedp.CSS(`#features a[href="/features/trips_per_hour"]`)), chromedp.WaitVisible(chromedp.CSS("section.version")))
	var detail app.FeatureDetail
	getJSON(t, base+"/api/v1/features/trips_per_hour", &detail)
	page = b.text("main")
	for _, v := range detail.Versions {
		contains(t, "the feature page", page, v.ID.Short(), v.Canonical)
	}
	contains(t, "the feature page", page, "current", "avg_daily_trips / 24.0 * 1.5")
	b.shot("feature")
	b.do(chromedp.Click(chromedp.CSS(`form[action="/diff"] button`)), chromedp.WaitVisible(chromedp.CSS("table.diff")))
	contains(t, "the diff", b.text("table.diff"), "expr", "avg_daily_trips / 24.0", "avg_daily_trips / 24.0 * 1.5", detail.Versions[1].ID.Short())
	b.shot("diff")

	// An aggregation's page says its function, window and filter.
	b.open("/features/long_trips_1d", "dd.aggregation")
	if got := b.text("dd.aggregation"); got != "count over a window of 1d, where distance_km > 10" {
		t.Errorf("the aggregation reads %q", got)
	}

	// Runs: the table sorts; a sweep's page shows its runs, metrics equal to
	// the JSON, the charts; two of its runs compare side by side.
	var runs []trainer.Run
	getJSON(t, base+"/api/v1/runs", &runs)
	var sweep trainer.Run
	for _, r := range runs {
		if len(r.Children) > 0 {
			sweep = r
		}
	}
	b.open("/runs", "table.runs")
	contains(t, "the runs page", b.text("table.runs"), sweep.ID.Short(), format.Num(testMetric(sweep, "rmse")))
	b.do(chromedp.Click(chromedp.CSS(`table.runs th:nth-child(8)`)))
	var rmse []float64
	b.eval(`Array.from(document.querySelectorAll("table.runs tbody tr td:nth-child(8)")).map(td => parseFloat(td.textContent))`, &rmse)
	if !slices.IsSorted(rmse) || len(rmse) != len(runs) {
		t.Errorf("sorted by test rmse: %v", rmse)
	}
	b.shot("runs")
	b.open("/runs/"+sweep.ID.String(), "#test-rmse")
	if got := b.text("#test-rmse"); got != format.Num(testMetric(sweep, "rmse")) {
		t.Errorf("the sweep's test rmse: %s, want %s", got, format.Num(testMetric(sweep, "rmse")))
	}
	var charts int
	b.eval(`document.querySelectorAll(".chart svg").length`, &charts)
	if charts != 3 { // coefficients, rmse by alpha, rmse by l1_ratio
		t.Errorf("%d charts on the sweep's page, want 3", charts)
	}
	page = b.text("main")
	for _, c := range sweep.Children {
		contains(t, "the sweep's page", page, c.Short())
	}
	b.shot("sweep")
	b.do(chromedp.Click(chromedp.CSS(`input.pick[value="`+sweep.Children[0].String()+`"]`)),
		chromedp.Click(chromedp.CSS(`input.pick[value="`+sweep.Children[1].String()+`"]`)),
		chromedp.Click(chromedp.CSS("button.compare")), chromedp.WaitVisible(chromedp.CSS("table.compare")))
	contains(t, "the comparison", b.text("table.compare"), sweep.Children[0].Short(), sweep.Children[1].Short(), "alpha", "test_rmse")
	var differ []string
	b.eval(`Array.from(document.querySelectorAll("table.compare tr.differ td:nth-child(2)")).map(td => td.textContent)`, &differ)
	if !slices.Contains(differ, "alpha") || slices.Contains(differ, "target") {
		t.Errorf("rows marked as differing: %v (want alpha, not target)", differ)
	}
	b.shot("compare")

	// reproduce: the button shows the verdict.
	b.open("/runs/"+sweep.Children[0].String(), "#reproduce")
	b.do(chromedp.Click(chromedp.CSS("#reproduce")))
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(b.text("#verdict"), "identical") && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	contains(t, "the reproduce verdict", b.text("#verdict"), "reproduced: identical")

	// Lineage of a run: the graph; a click on its dataset opens the dataset.
	b.open("/lineage?id="+sweep.Children[0].String(), "#graph svg")
	var ds featurestore.Dataset
	getJSON(t, base+"/api/v1/datasets/"+sweep.Dataset.ID, &ds)
	graph := b.text("#graph")
	contains(t, "the run's lineage", graph, "run "+sweep.Children[0].Short(), "dataset "+ds.ID.Short(), "snapshot driver_stats@"+format.ShortID(ds.Sources[0].Digest))
	for _, f := range ds.Features {
		contains(t, "the run's lineage", graph, "feature "+f.Name+"@"+f.Version.Short())
	}
	b.shot("lineage")
	b.do(chromedp.Click(chromedp.CSS(`#graph a[*|href^="/datasets/"]`)), chromedp.WaitVisible(chromedp.CSS("#rows")))
	if !strings.HasPrefix(b.url(), "/datasets/"+sweep.Dataset.ID) {
		t.Errorf("clicking the dataset node opened %s", b.url())
	}
	contains(t, "the dataset page", b.text("main"), sweep.Dataset.ID, "800", "driver_stats", sweep.Children[0].Short())
	var report string // the profile kept with the dataset, inline
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(report, "trip_completed") && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		b.eval(`(document.querySelector("iframe.profile").contentDocument || {body: {innerText: ""}}).body.innerText`, &report)
	}
	contains(t, "the dataset's profile report", report, "trip_completed", "conv_rate")
	b.shot("dataset")

	b.open("/lineage?direction=downstream&id=conv_rate", "#graph svg")
	b.shot("lineage-downstream")

	// Impact of a feature: the same counts as fs impact --json.
	var imp lineage.Impact
	getJSON(t, base+"/api/v1/impact?id=conv_rate", &imp)
	b.open("/impact?id=conv_rate", "#impact-summary")
	contains(t, "the impact page", b.text("#impact-summary"),
		fmt.Sprintf("affects %d registered model versions, %d runs (in 1 sweep), 1 dataset", len(imp.Models), len(imp.Runs)))
	if len(imp.Sweeps) != 1 || len(imp.Datasets) != 1 {
		t.Errorf("impact: %d sweeps, %d datasets; the demo has one of each", len(imp.Sweeps), len(imp.Datasets))
	}
	var tips []string
	b.eval(`[...document.querySelectorAll("#graph title")].map(t => t.textContent)`, &tips)
	if strings.Contains(strings.Join(tips, "\n"), "sweep_of") || !strings.Contains(strings.Join(tips, "\n"), "runs: ") {
		t.Errorf("node tooltips show a raw key, or no run count of the sweep:\n%s", strings.Join(tips, "\n"))
	}
	var red int
	b.eval(`document.querySelectorAll('#graph g.node polygon[stroke="#d93025"], #graph g.node path[stroke="#d93025"]').length`, &red)
	if want := len(imp.Runs) + len(imp.Sweeps) + len(imp.Datasets) + len(imp.Features) + len(imp.Sets); red != want {
		t.Errorf("%d nodes outlined as affected, want %d", red, want)
	}
	b.shot("impact")

	// The other pages.
	b.open("/feature-sets", "table")
	contains(t, "the feature sets page", b.text("main"), "driver_ranking", "conv_rate@e8acb2bb2fa1")
	b.shot("feature-sets")
	b.open("/datasets", "table")
	contains(t, "the datasets page", b.text("main"), format.ShortID(sweep.Dataset.ID))
	b.shot("datasets")
	b.expect("status of 404", func() { b.open("/features/nope", "p.error") })
	contains(t, "a missing feature", b.text("main"), "feature nope not found")
	var title string
	b.eval(`document.title`, &title)
	if !strings.HasPrefix(title, "Not found") {
		t.Errorf("the 404 page is titled %q", title)
	}

	// On a phone's screen nothing is wider than the screen but tables and
	// graphs, which scroll in their own box.
	b.do(chromedp.EmulateViewport(390, 844))
	b.open("/runs/"+sweep.ID.String(), "#test-rmse")
	var overflow bool
	b.eval(`document.documentElement.scrollWidth > document.documentElement.clientWidth`, &overflow)
	if overflow {
		t.Errorf("the sweep's page is wider than a phone's screen")
	}
	b.shot("sweep-phone")
}

// TestWebUIClassifier: a classifier sweep's pages show its metrics, its
// confusion matrix and coefficients as fs runs show --json has them, its
// charts plot test log loss, and it compares with a regression run.
func TestWebUIClassifier(t *testing.T) {
	dir := demoStore(t)
	base, stop := startServer(t.Fatalf, filepath.Join(dir, ".fs"), "--data-root", dir, "--quiet")
	defer stop()
	code, stdout, stderr := client(t, dir, base, "", "train", "--task", "classification", "--dataset", "train.parquet", "--target", "trip_completed",
		"--drop-nulls", "--c", "0.1,1", "--l1-ratio", "0,0.5", "--stratify", "--max-iter", "300", "--json")
	if code != 0 {
		t.Fatalf("train: %s", stderr)
	}
	var res app.TrainResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, base)
	b.open("/runs/"+res.Sweep.ID.String(), "#test-log-loss")
	r := res.Run
	for id, want := range map[string]float64{"#test-log-loss": testMetric(*r, "log_loss"), "#test-accuracy": testMetric(*r, "accuracy"),
		"#test-f1": testMetric(*r, "f1"), "#test-roc-auc": testMetric(*r, "roc_auc")} {
		if got := b.text(id); got != format.Num(want) {
			t.Errorf("%s: %s, want %s", id, got, format.Num(want))
		}
	}
	var cells []int
	b.eval(`Array.from(document.querySelectorAll("table.confusion-matrix tbody td")).map(td => parseInt(td.textContent))`, &cells)
	if want := slices.Concat(r.Test.(*trainer.ClassMetrics).Confusion...); !slices.Equal(cells, want) {
		t.Errorf("confusion matrix %v, want %v", cells, want)
	}
	contains(t, "the classifier's page", b.text("main"), "classification", "C 1", format.Num(r.Model.Coefficients().Coef[0][0]), format.Num(r.Model.Coefficients().Intercept[0]))
	contains(t, "the sweep's charts", b.text(".charts"), "test log loss by C", "test log loss by l1_ratio")
	b.shot("classifier")
	var regression trainer.Run
	var runs []trainer.Run
	getJSON(t, base+"/api/v1/runs", &runs)
	for _, x := range runs {
		if x.Task() == trainer.TaskRegression && x.Parent != nil {
			regression = x
		}
	}
	b.open("/compare?run="+r.ID.String()+"&run="+regression.ID.String(), "table.compare")
	contains(t, "the comparison", b.text("table.compare"), "task", "classification", "regression", "test_log_loss", "test_rmse",
		format.Num(testMetric(*r, "log_loss")), format.Num(testMetric(regression, "rmse")))
	b.open("/runs", "table.runs")
	// The newest run, the classifier's sweep, names the columns; a
	// regression's cells name their parameters and metric.
	contains(t, "the runs page", b.text("table.runs"), "test log_loss", format.Num(testMetric(*r, "log_loss")),
		"alpha "+format.Num(regression.Params.Swept()[0].Num), "rmse "+format.Num(testMetric(regression, "rmse")))
}

// TestWebUILogin: a server with tokens sends a browser to its login page;
// a read token signs in and the page asked for opens.
func TestWebUILogin(t *testing.T) {
	dir := demoStore(t)
	tokens := writeTokens(t, t.TempDir())
	base, stop := startServer(t.Fatalf, filepath.Join(dir, ".fs"), "--data-root", dir, "--quiet", "--tokens", tokens)
	defer stop()
	b := newBrowser(t, base)
	b.open("/runs", "form.login")
	b.expect("status of 401", func() {
		b.do(chromedp.SendKeys(chromedp.CSS(`input[name="token"]`), "wrong-token-wrong-token\n"), chromedp.WaitVisible(chromedp.CSS("p.error")))
	})
	contains(t, "a wrong token", b.text("p.error"), "the server does not know this token")
	b.do(chromedp.SendKeys(chromedp.CSS(`input[name="token"]`), readToken+"\n"), chromedp.WaitVisible(chromedp.CSS("table.runs")))
	if b.url() != "/runs" {
		t.Errorf("after signing in: %s", b.url())
	}
}

// TestWebUILargeGraph measures, in Chromium, how long the lineage page of
// a 1,000-node graph takes from the request to the drawn graph (a dataset
// of 997 features over one source: 997 feature versions, the source's
// version, its snapshot and the dataset), first view (laid out) and second
// (the layout kept).
func TestWebUILargeGraph(t *testing.T) {
	if testing.Short() {
		t.Skip("registers 997 features")
	}
	dir := t.TempDir()
	if err := demo.Write(dir, demo.DefaultOptions()); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "many.yaml"), []byte(manyFeatures(997, 0)), 0o644)
	store := filepath.Join(dir, ".fs")
	runFS(t, dir, "init", "--store", store)
	runFS(t, dir, "register", "many.yaml", "--store", store)
	runFS(t, dir, "materialize", "--feature-set", "all", "--entities", "orders.tsv", "--out", "wide.parquet", "--store", store, "-q")
	base, stop := startServer(t.Fatalf, store, "--data-root", dir, "--quiet")
	defer stop()
	var ds []featurestore.Dataset
	getJSON(t, base+"/api/v1/datasets", &ds)
	b := newBrowser(t, base)
	var timings []string
	for _, view := range []string{"first", "second"} {
		start := time.Now()
		b.open("/lineage?depth=2&id="+ds[0].ID.String(), "#graph svg")
		wall := time.Since(start)
		var nav struct{ ResponseStart, ResponseEnd, LoadEventEnd float64 }
		b.eval(`(() => { const n = performance.getEntriesByType("navigation")[0]; return {ResponseStart: n.responseStart - n.requestStart, ResponseEnd: n.responseEnd - n.requestStart, LoadEventEnd: n.loadEventEnd - n.requestStart}; })()`, &nav)
		var nodes int
		b.eval(`document.querySelectorAll("#graph g.node").length`, &nodes)
		if nodes != 1000 {
			t.Fatalf("the graph has %d nodes, want 1000", nodes)
		}
		timings = append(timings, fmt.Sprintf("%s view: server %.0f ms, page drawn %.0f ms after the request (%v with the browser's overhead)",
			view, nav.ResponseStart, nav.LoadEventEnd, wall.Round(time.Millisecond)))
	}
	b.shot("lineage-1000")
	report := "lineage graph of 1,000 nodes in Chromium: " + strings.Join(timings, "; ")
	t.Log(report)
	if out := os.Getenv("FS_TEST_OUTPUT"); out != "" {
		os.WriteFile(filepath.Join(out, "ui", "large-graph.txt"), []byte(report+"\n"), 0o644)
	}
}

// testMetric is a run's metric on the test rows.
func testMetric(r trainer.Run, name string) float64 {
	v, ok := r.Test.Get(name)
	if !ok {
		panic("no test metric " + name)
	}
	return v
}
