package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// mlflowURI is the real MLflow server the test command starts, and the
// Python beside it; the test fails in CI without them and is skipped,
// saying why, elsewhere.
func mlflowURI(t *testing.T) (string, string) {
	uri, py := os.Getenv("FS_MLFLOW_URI"), os.Getenv("FS_PYTHON")
	if uri == "" || py == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("FS_MLFLOW_URI or FS_PYTHON is not set in CI: the test command starts the mlflow server")
		}
		t.Skip("FS_MLFLOW_URI and FS_PYTHON are not set: run the tests with scripts/test.sh, which starts a real mlflow server")
	}
	return uri, py
}

// TestMLflowModelsTab: in MLflow's own UI (headless Chromium), the
// experiment's Models tab lists the fs run's logged model, READY, next to
// the one mlflow.sklearn.autolog() logs for the same fit; the screenshot
// is docs/images/mlflow-models.png.
func TestMLflowModelsTab(t *testing.T) {
	uri, py := mlflowURI(t)
	chromium := chromiumPath(t)
	dir := demoStore(t)
	exp := "models-tab-" + time.Now().UTC().Format("150405.000000")
	cmd := exec.Command("fs", "train", "--dataset", "train.parquet", "--target", "trip_completed", "--drop-nulls",
		"--alpha", "0.01", "--l1-ratio", "0.2", "--test-size", "0.2", "--seed", "17", "--experiment", exp, "--json")
	cmd.Dir, cmd.Env = dir, append(os.Environ(), "MLFLOW_TRACKING_URI="+uri, "FS_STORE="+filepath.Join(dir, ".fs"))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("fs train: %v", err)
	}
	var res struct {
		Run struct {
			ID     string `json:"id"`
			MLflow struct {
				ModelID      string `json:"model_id"`
				ExperimentID string `json:"experiment_id"`
			} `json:"mlflow"`
		} `json:"run"`
	}
	json.Unmarshal(out, &res)
	auto := exec.Command(py, "-c", `import sys, mlflow, pandas as pd
from sklearn.linear_model import ElasticNet
df = pd.read_parquet("train.parquet").dropna()
mlflow.set_tracking_uri(sys.argv[1]); mlflow.set_experiment(sys.argv[2])
mlflow.sklearn.autolog(log_datasets=False, silent=True)
with mlflow.start_run(run_name="notebook-autolog"):
    ElasticNet(alpha=0.01, l1_ratio=0.2).fit(df[["conv_rate", "acc_rate", "avg_daily_trips"]], df["trip_completed"])
`, uri, exp)
	auto.Dir = dir
	if b, err := auto.CombinedOutput(); err != nil {
		t.Fatalf("autolog: %v\n%s", err, b)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.WindowSize(1400, 800), chromedp.DisableGPU)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelT()
	page := uri + "/#/experiments/" + res.Run.MLflow.ExperimentID + "/models"
	if err := chromedp.Do(ctx, chromedp.Navigate(page)); err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(ctx, chromedp.Poll[string](`document.body.innerText.includes("fs-`+res.Run.ID[:12]+`") &&
		document.body.innerText.includes("notebook-autolog") ? document.body.innerText : false`, chromedp.WithPollingTimeout(90*time.Second)))
	if err != nil {
		t.Fatalf("the Models tab at %s: %v", page, err)
	}
	if strings.Count(text, "Ready") < 2 && strings.Count(text, "READY") < 2 {
		t.Errorf("the Models tab does not show both models ready:\n%s", text)
	}
	// The view of a model-training experiment, without the assistant's panel.
	chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		for (const el of document.querySelectorAll("button, label, span")) {
			if (el.innerText && el.innerText.trim() === "Model training") { el.click(); break; }
		}
		const close = [...document.querySelectorAll("button")].find(b => /close/i.test(b.getAttribute("aria-label") || ""));
		if (close) close.click();
		return true;
	})()`))
	chromedp.Do(ctx, chromedp.Sleep(2*time.Second))
	shot(t, ctx, "mlflow-runs")                                               // the runs, each with its model and its own duration
	if err := chromedp.Do(ctx, chromedp.Navigate(page+"?fs=1")); err != nil { // the Models page, in this mode
		t.Fatal(err)
	}
	models, err := chromedp.Run(ctx, chromedp.Poll[string](`document.body.innerText.includes("fs-`+res.Run.ID[:12]+`") &&
		document.body.innerText.includes("notebook-autolog") ? document.body.innerText : false`, chromedp.WithPollingTimeout(60*time.Second)))
	if err != nil || strings.Count(models, "Ready") < 2 {
		t.Fatalf("the Models page: %v\n%s", err, models)
	}
	chromedp.Do(ctx, chromedp.Sleep(time.Second))
	shot(t, ctx, "mlflow-models")
}

// shot saves a screenshot as NAME.png in the test output (ui/).
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if o := os.Getenv("FS_TEST_OUTPUT"); o != "" {
		dir = filepath.Join(o, "ui")
		os.MkdirAll(dir, 0o755)
	}
	os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
}
