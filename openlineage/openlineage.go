package openlineage

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/trainer"
)

// OpenLineage constants: the spec version the events follow and the
// producer fs names itself as.
const (
	producer      = "https://github.com/fs-dev/fs"
	eventURL      = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
	schemaURL     = "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet"
	versionURL    = "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet"
	jobTypeURL    = "https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet"
	parentURL     = "https://openlineage.io/spec/facets/1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet"
	featuresURL   = "https://github.com/fs-dev/fs/blob/main/docs/lineage.md#openlineage"
	namespace     = "fs"   // the namespace of fs's own jobs and models
	fileNamespace = "file" // the namespace of files on disk

	jobMaterialize = "materialize"
	jobTrain       = "train"
)

type facet = map[string]any

func base(url string) facet { return facet{"_producer": producer, "_schemaURL": url} }

func with(f facet, kv ...any) facet {
	for i := 0; i+1 < len(kv); i += 2 {
		f[kv[i].(string)] = kv[i+1]
	}
	return f
}

type datasetRef struct {
	Namespace string           `json:"namespace"`
	Name      string           `json:"name"`
	Facets    map[string]facet `json:"facets,omitempty"`
}

type runEvent struct {
	EventType string       `json:"eventType"`
	EventTime string       `json:"eventTime"`
	Producer  string       `json:"producer"`
	SchemaURL string       `json:"schemaURL"`
	Run       runRef       `json:"run"`
	Job       jobRef       `json:"job"`
	Inputs    []datasetRef `json:"inputs"`
	Outputs   []datasetRef `json:"outputs"`
}

type runRef struct {
	RunID  string           `json:"runId"`
	Facets map[string]facet `json:"facets,omitempty"`
}

type jobRef struct {
	Namespace string           `json:"namespace"`
	Name      string           `json:"name"`
	Facets    map[string]facet `json:"facets,omitempty"`
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

func versionFacet(v string) facet { return with(base(versionURL), "datasetVersion", v) }

func schemaFacet(fields []map[string]any) facet { return with(base(schemaURL), "fields", fields) }

func jobType(kind string) map[string]facet {
	return map[string]facet{"jobType": with(base(jobTypeURL), "processingType", "BATCH", "integration", "FS", "jobType", kind)}
}

// Write writes a START and a COMPLETE RunEvent, one JSON document per
// line, for every materialize job (a dataset) and every train job (a
// run), oldest first.
func Write(w io.Writer, datasets []featurestore.Dataset, runs []trainer.Run) error {
	type timed struct {
		at     time.Time
		events []runEvent
	}
	var all []timed
	for i := range datasets {
		all = append(all, timed{datasets[i].Created, materializeEvents(&datasets[i])})
	}
	for i := range runs {
		all = append(all, timed{runs[i].Created, trainEvents(&runs[i])})
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

// datasetName is a path's dataset namespace and name, as OpenLineage
// names them: a file's in "file", an object's in its bucket (s3://BUCKET,
// KEY), a table's in its warehouse (or its catalog's URI) by
// NAMESPACE.TABLE.
func datasetName(path string) (namespace, name string) {
	if ref, err := featurestore.ParseTableRef(path); err == nil {
		return cmp.Or(ref.Catalog.Warehouse, ref.Catalog.URI), ref.Table
	}
	if bucket, key, ok := strings.Cut(strings.TrimPrefix(path, "s3://"), "/"); ok && strings.HasPrefix(path, "s3://") {
		return "s3://" + bucket, key
	}
	return fileNamespace, path
}

// materializeEvents: the source snapshots (with their schemas) and the
// entity file in, the dataset out, the feature versions as a run facet.
func materializeEvents(d *featurestore.Dataset) []runEvent {
	var inputs []datasetRef
	for _, s := range d.Sources {
		var fields []map[string]any
		for i, c := range s.Schema {
			fields = append(fields, map[string]any{"name": c.Name, "type": c.Physical, "ordinal_position": i + 1})
		}
		ns, name := datasetName(s.Path)
		inputs = append(inputs, datasetRef{Namespace: ns, Name: name,
			Facets: map[string]facet{"schema": schemaFacet(fields), "version": versionFacet(s.Digest)}})
	}
	inputs = append(inputs, datasetRef{Namespace: fileNamespace, Name: d.Entities.Path,
		Facets: map[string]facet{"version": versionFacet(d.Entities.Digest)}})
	var fields []map[string]any
	for i, f := range d.Features {
		fields = append(fields, map[string]any{"name": f.Name, "ordinal_position": i + 1,
			"description": "feature version " + f.Version.String()})
	}
	ns, name := datasetName(d.Output)
	outputs := []datasetRef{{Namespace: ns, Name: name,
		Facets: map[string]facet{"schema": schemaFacet(fields), "version": versionFacet(d.ID.String())}}}
	runFacets := map[string]facet{"fs_features": with(base(featuresURL), "features", featureList(d.Features),
		"cutoff", timeOrEmpty(d.Cutoff))}
	return events(runUUID(d.ID.String()), jobMaterialize, d.Created, d.Created, inputs, outputs, runFacets)
}

// trainEvents: the dataset in, the model out, the feature versions as a
// run facet and, for a sweep's run, its parent.
func trainEvents(r *trainer.Run) []runEvent {
	inputs := []datasetRef{{Namespace: fileNamespace, Name: r.Dataset.Path,
		Facets: map[string]facet{"version": versionFacet(r.Dataset.ID)}}}
	outputs := []datasetRef{{Namespace: namespace, Name: "models/" + r.ID.String(),
		Facets: map[string]facet{"version": versionFacet(r.ID.String())}}}
	runFacets := map[string]facet{"fs_features": with(base(featuresURL), "features", featureList(r.Features))}
	if r.Parent != nil {
		runFacets["parent"] = with(base(parentURL),
			"run", map[string]string{"runId": runUUID(r.Parent.String())},
			"job", map[string]string{"namespace": namespace, "name": jobTrain})
	}
	end := r.Created.Add(time.Duration((r.FitSeconds + r.PredictSeconds) * float64(time.Second)))
	return events(runUUID(r.ID.String()), jobTrain, r.Created, end, inputs, outputs, runFacets)
}

func featureList(refs []featurestore.FeatureRef) []map[string]string {
	var out []map[string]string
	for _, f := range refs {
		out = append(out, map[string]string{"name": f.Name, "version": f.Version.String()})
	}
	return out
}

func timeOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func events(runID, job string, start, end time.Time, inputs, outputs []datasetRef, runFacets map[string]facet) []runEvent {
	mk := func(typ string, at time.Time, facets map[string]facet) runEvent {
		return runEvent{EventType: typ, EventTime: at.UTC().Format(time.RFC3339Nano), Producer: producer,
			SchemaURL: eventURL, Run: runRef{RunID: runID, Facets: facets},
			Job: jobRef{Namespace: namespace, Name: job, Facets: jobType(jobKind(job))}, Inputs: inputs, Outputs: outputs}
	}
	return []runEvent{mk("START", start, runFacets), mk("COMPLETE", end, runFacets)}
}

func jobKind(job string) string {
	if job == jobTrain {
		return "TRAIN"
	}
	return "MATERIALIZE"
}
