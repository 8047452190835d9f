package lineage

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/trainer"
)

// OpenLineage constants: the spec version the events follow and the
// producer fs names itself as.
const (
	olProducer    = "https://github.com/fs-dev/fs"
	olEventURL    = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
	olSchemaURL   = "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet"
	olVersionURL  = "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet"
	olJobTypeURL  = "https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet"
	olParentURL   = "https://openlineage.io/spec/facets/1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet"
	olFeaturesURL = "https://github.com/fs-dev/fs/blob/main/docs/lineage.md#openlineage"
	olNamespace   = "fs"
)

type olFacet = map[string]any

func base(url string) olFacet { return olFacet{"_producer": olProducer, "_schemaURL": url} }

func with(f olFacet, kv ...any) olFacet {
	for i := 0; i+1 < len(kv); i += 2 {
		f[kv[i].(string)] = kv[i+1]
	}
	return f
}

type olDataset struct {
	Namespace string             `json:"namespace"`
	Name      string             `json:"name"`
	Facets    map[string]olFacet `json:"facets,omitempty"`
}

type olEvent struct {
	EventType string      `json:"eventType"`
	EventTime string      `json:"eventTime"`
	Producer  string      `json:"producer"`
	SchemaURL string      `json:"schemaURL"`
	Run       olRun       `json:"run"`
	Job       olJob       `json:"job"`
	Inputs    []olDataset `json:"inputs"`
	Outputs   []olDataset `json:"outputs"`
}

type olRun struct {
	RunID  string             `json:"runId"`
	Facets map[string]olFacet `json:"facets,omitempty"`
}

type olJob struct {
	Namespace string             `json:"namespace"`
	Name      string             `json:"name"`
	Facets    map[string]olFacet `json:"facets,omitempty"`
}

// runUUID turns a content id into a UUID (version 5 layout, so validators
// accept it); the same dataset or run always gets the same runId.
func runUUID(hexID string) string {
	id, err := featurestore.ParseID(hexID)
	if err != nil {
		id = featurestore.Hash([]byte(hexID))
	}
	b := id[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func versionFacet(v string) olFacet { return with(base(olVersionURL), "datasetVersion", v) }

func schemaFacet(fields []map[string]any) olFacet { return with(base(olSchemaURL), "fields", fields) }

func jobType(kind string) map[string]olFacet {
	return map[string]olFacet{"jobType": with(base(olJobTypeURL), "processingType", "BATCH", "integration", "FS", "jobType", kind)}
}

// WriteOpenLineage writes a START and a COMPLETE RunEvent, one JSON
// document per line, for every materialize job (a dataset) and every
// train job (a run), oldest first.
func WriteOpenLineage(w io.Writer, datasets []featurestore.Dataset, runs []trainer.Run) error {
	type timed struct {
		at     time.Time
		events []olEvent
	}
	var all []timed
	for _, d := range datasets {
		id := runUUID(d.ID.String())
		var inputs []olDataset
		for _, s := range d.Sources {
			var fields []map[string]any
			for i, c := range s.Schema {
				fields = append(fields, map[string]any{"name": c.Name, "type": c.Physical, "ordinal_position": i + 1})
			}
			inputs = append(inputs, olDataset{Namespace: "file", Name: s.Path,
				Facets: map[string]olFacet{"schema": schemaFacet(fields), "version": versionFacet(s.Digest)}})
		}
		inputs = append(inputs, olDataset{Namespace: "file", Name: d.Entities.Path,
			Facets: map[string]olFacet{"version": versionFacet(d.Entities.Digest)}})
		var fields []map[string]any
		var feats []map[string]string
		for i, f := range d.Features {
			fields = append(fields, map[string]any{"name": f.Name, "ordinal_position": i + 1,
				"description": "feature version " + f.Version.String()})
			feats = append(feats, map[string]string{"name": f.Name, "version": f.Version.String()})
		}
		outputs := []olDataset{{Namespace: "file", Name: d.Output,
			Facets: map[string]olFacet{"schema": schemaFacet(fields), "version": versionFacet(d.ID.String())}}}
		runFacets := map[string]olFacet{"fs_features": with(base(olFeaturesURL), "features", feats,
			"cutoff", timeOrEmpty(d.Cutoff))}
		all = append(all, timed{d.Created, events(id, "materialize", d.Created, d.Created, inputs, outputs, runFacets)})
	}
	byID := map[string]*trainer.Run{}
	for i := range runs {
		byID[runs[i].ID.String()] = &runs[i]
	}
	for _, r := range runs {
		id := runUUID(r.ID.String())
		inputs := []olDataset{{Namespace: "file", Name: r.Dataset.Path,
			Facets: map[string]olFacet{"version": versionFacet(r.Dataset.ID)}}}
		outputs := []olDataset{{Namespace: olNamespace, Name: "models/" + r.ID.String(),
			Facets: map[string]olFacet{"version": versionFacet(r.ID.String())}}}
		var feats []map[string]string
		for _, f := range r.Features {
			feats = append(feats, map[string]string{"name": f.Name, "version": f.Version.String()})
		}
		runFacets := map[string]olFacet{"fs_features": with(base(olFeaturesURL), "features", feats)}
		if r.Parent != nil {
			runFacets["parent"] = with(base(olParentURL),
				"run", map[string]string{"runId": runUUID(r.Parent.String())},
				"job", map[string]string{"namespace": olNamespace, "name": "train"})
		}
		end := r.Created.Add(time.Duration((r.FitSeconds + r.PredictSeconds) * float64(time.Second)))
		all = append(all, timed{r.Created, events(id, "train", r.Created, end, inputs, outputs, runFacets)})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].at.Before(all[j].at) })
	enc := json.NewEncoder(w)
	for _, t := range all {
		for _, e := range t.events {
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
	}
	return nil
}

func timeOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func events(runID, job string, start, end time.Time, inputs, outputs []olDataset, runFacets map[string]olFacet) []olEvent {
	mk := func(typ string, at time.Time, facets map[string]olFacet) olEvent {
		return olEvent{EventType: typ, EventTime: at.UTC().Format(time.RFC3339Nano), Producer: olProducer,
			SchemaURL: olEventURL, Run: olRun{RunID: runID, Facets: facets},
			Job: olJob{Namespace: olNamespace, Name: job, Facets: jobType(jobKind(job))}, Inputs: inputs, Outputs: outputs}
	}
	return []olEvent{mk("START", start, runFacets), mk("COMPLETE", end, runFacets)}
}

func jobKind(job string) string {
	if job == "train" {
		return "TRAIN"
	}
	return "MATERIALIZE"
}
