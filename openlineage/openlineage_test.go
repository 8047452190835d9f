package openlineage_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/openlineage"
	"github.com/fs-dev/fs/trainer"
)

// event is the part of a RunEvent the test reads.
type event struct {
	EventType string `json:"eventType"`
	EventTime string `json:"eventTime"`
	Run       struct {
		RunID  string                    `json:"runId"`
		Facets map[string]map[string]any `json:"facets"`
	} `json:"run"`
	Job struct {
		Name string `json:"name"`
	} `json:"job"`
	Inputs  []struct{ Namespace, Name string } `json:"inputs"`
	Outputs []struct{ Namespace, Name string } `json:"outputs"`
}

func TestEventsPairUpOldestFirst(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	feat := featurestore.FeatureRef{Name: "conv_rate", Version: featurestore.Hash([]byte("v"))}
	ds := featurestore.Dataset{ID: featurestore.Hash([]byte("d")), Created: t0, Output: "/out/train.parquet",
		Entities: featurestore.EntityFile{Path: "/in/entities.parquet", Digest: "e"},
		Sources:  []featurestore.SourceSnapshot{{Name: "driver_stats", Path: "/in/driver_stats.parquet", Digest: "s"}},
		Features: []featurestore.FeatureRef{feat}}
	parent := featurestore.Hash([]byte("sweep"))
	run := trainer.Run{ID: featurestore.Hash([]byte("r")), Created: t0.Add(time.Hour), Parent: &parent, FitSeconds: 2,
		Dataset: trainer.DatasetRef{ID: ds.ID.String(), Path: ds.Output, FS: true}, Features: ds.Features}
	var buf bytes.Buffer
	// The run is given first; the dataset, older, must come out first.
	if err := openlineage.Write(&buf, []featurestore.Dataset{ds}, []trainer.Run{run}); err != nil {
		t.Fatal(err)
	}
	var evs []event
	for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var e event
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		evs = append(evs, e)
	}
	if len(evs) != 4 {
		t.Fatalf("got %d events, want START and COMPLETE for each of two jobs", len(evs))
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for i, want := range []struct{ typ, job, at string }{
		{"START", "materialize", "2026-01-02T03:04:05Z"}, {"COMPLETE", "materialize", "2026-01-02T03:04:05Z"},
		{"START", "train", "2026-01-02T04:04:05Z"}, {"COMPLETE", "train", "2026-01-02T04:04:07Z"},
	} {
		e := evs[i]
		if e.EventType != want.typ || e.Job.Name != want.job || e.EventTime != want.at {
			t.Errorf("event %d: %s %s at %s, want %s %s at %s", i, e.EventType, e.Job.Name, e.EventTime, want.typ, want.job, want.at)
		}
		if !uuid.MatchString(e.Run.RunID) {
			t.Errorf("event %d: runId %q is not a version 5 UUID", i, e.Run.RunID)
		}
	}
	if evs[0].Run.RunID != evs[1].Run.RunID || evs[0].Run.RunID == evs[2].Run.RunID {
		t.Error("a job's START and COMPLETE must share a runId, and two jobs must not")
	}
	if got := evs[0].Inputs; len(got) != 2 || got[0].Name != "/in/driver_stats.parquet" || got[1].Name != "/in/entities.parquet" {
		t.Errorf("materialize inputs: %+v", got)
	}
	if got := evs[2].Inputs; len(got) != 1 || got[0].Name != "/out/train.parquet" {
		t.Errorf("train inputs: %+v, want the dataset the materialize wrote", got)
	}
	if _, ok := evs[2].Run.Facets["parent"]; !ok {
		t.Error("a sweep's run has no parent facet")
	}
	if _, ok := evs[0].Run.Facets["parent"]; ok {
		t.Error("a materialization has a parent facet")
	}
}

func TestSameRecordsSameEvents(t *testing.T) {
	ds := []featurestore.Dataset{{ID: featurestore.Hash([]byte("d")), Output: "/o.parquet"}}
	var a, b bytes.Buffer
	_ = openlineage.Write(&a, ds, nil)
	_ = openlineage.Write(&b, ds, nil)
	if a.String() != b.String() || a.Len() == 0 {
		t.Error("writing the same records twice gave different events")
	}
}
