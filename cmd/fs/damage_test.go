package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// runFS runs fs in this process and returns its exit code, stdout and
// stderr.
func runInProcess(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	st := &State{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	code := Main(context.Background(), args, st)
	return code, out.String(), errb.String()
}

// fileHashes maps every file under dir to its SHA-256.
func fileHashes(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "LOCK" {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = fmt.Sprintf("%x", sha256.Sum256(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// damages are the ways a store file is damaged in TestDamagedStore.
var damages = map[string]func([]byte) []byte{
	"truncated to 2/3": func(b []byte) []byte { return b[:len(b)*2/3] },
	"last 3 bytes cut": func(b []byte) []byte { return b[:max(len(b)-3, 0)] },
	"emptied":          func(b []byte) []byte { return nil },
	"middle byte flipped": func(b []byte) []byte {
		if len(b) > 0 {
			b[len(b)/2] ^= 0xff
		}
		return b
	},
	"byte flipped near the end": func(b []byte) []byte {
		if len(b) > 20 {
			b[len(b)-20] ^= 0x01
		}
		return b
	},
}

// readCommands are the read-only commands run on every damaged store.
var readCommands = [][]string{
	{"features", "list", "--json"},
	{"features", "sets", "--json"},
	{"datasets", "list", "--json"},
	{"runs", "list", "--json"},
	{"lineage", "export", "--openlineage"},
	{"impact", "conv_rate", "--json"},
}

// TestDamagedStore damages each of a demo store's files in several ways,
// then runs read commands and a writer on it: none panics, none changes a
// file of the store, and each either fails naming the damage or prints
// exactly what the undamaged store prints (never a silently short answer).
func TestDamagedStore(t *testing.T) {
	base := t.TempDir()
	if code, _, errs := runInProcess(t, base, "demo", filepath.Join(base, "demo")); code != 0 {
		t.Fatalf("fs demo: %d\n%s", code, errs)
	}
	store := filepath.Join(base, "demo", ".fs")
	want := map[string]string{}
	for _, c := range readCommands {
		code, out, errs := runInProcess(t, base, append(c, "--store", store)...)
		if code != 0 {
			t.Fatalf("fs %v on the undamaged store: %d %s", c, code, errs)
		}
		want[strings.Join(c, " ")] = strings.ReplaceAll(out, filepath.Dir(store), "PROJECT")
	}
	entries, _ := os.ReadDir(store)
	var files []string
	for _, e := range entries {
		if e.Type().IsRegular() && e.Name() != "LOCK" {
			files = append(files, e.Name())
		}
	}
	sort.Strings(files)
	kinds := map[string]bool{}
	for _, f := range files {
		kind := filepath.Ext(f)
		if kind == "" {
			kind = f
		}
		kinds[kind] = true
		for how, damage := range damages {
			t.Run(f+"/"+how, func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), ".fs")
				copyDir(t, store, dir)
				b, _ := os.ReadFile(filepath.Join(dir, f))
				if err := os.WriteFile(filepath.Join(dir, f), damage(b), 0o644); err != nil {
					t.Fatal(err)
				}
				before := fileHashes(t, dir)
				for _, c := range readCommands {
					key := strings.Join(c, " ")
					code, out, errs := runInProcess(t, base, append(c, "--store", dir)...)
					switch {
					case code == 0 && relative(out, dir) != want[key]:
						t.Errorf("fs %s exits 0 with a different answer than the undamaged store's", key)
					case code != 0 && code != exitDamaged:
						t.Errorf("fs %s: exit %d, want 0 or %d:\n%s", key, code, exitDamaged, errs)
					case code == exitDamaged && !strings.Contains(errs, "fs doctor"):
						t.Errorf("fs %s: the error does not point at fs doctor:\n%s", key, errs)
					}
					if after := fileHashes(t, dir); !maps.Equal(before, after) {
						t.Fatalf("fs %s changed the store's files: %s", key, diffFiles(before, after))
					}
				}
				code, _, errs := runInProcess(t, base, "init", "--store", dir)
				if code != 0 {
					if code != exitDamaged {
						t.Errorf("fs init: exit %d, want 0 or %d:\n%s", code, exitDamaged, errs)
					}
					if after := fileHashes(t, dir); !maps.Equal(before, after) {
						t.Fatalf("a failed fs init changed the store's files: %s", diffFiles(before, after))
					}
					checkRepair(t, base, dir, before, want)
				}
			})
		}
	}
	for _, k := range []string{".sst", ".vlog", "MANIFEST", "KEYREGISTRY", "DISCARD"} {
		if !kinds[k] {
			t.Errorf("the demo store has no %s file to damage (files: %v)", k, files)
		}
	}
}

// relative writes the project directory of the store at dir as PROJECT:
// paths inside a project are kept relative to it, so the same store
// elsewhere answers with its own paths.
func relative(out, dir string) string { return strings.ReplaceAll(out, filepath.Dir(dir), "PROJECT") }

// checkRepair runs fs doctor and fs doctor --repair on a damaged store:
// the check changes nothing; the repair keeps the store as it was in a
// backup, leaves a store that opens, and, when it says it lost nothing,
// one that answers every read command as the undamaged store did.
func checkRepair(t *testing.T, base, dir string, damaged map[string]string, want map[string]string) {
	if code, _, errs := runInProcess(t, base, "doctor", "--store", dir); code != exitDamaged {
		t.Errorf("fs doctor on a damaged store: exit %d, want %d:\n%s", code, exitDamaged, errs)
	}
	if after := fileHashes(t, dir); !maps.Equal(damaged, after) {
		t.Fatalf("fs doctor changed the store's files: %s", diffFiles(damaged, after))
	}
	code, out, errs := runInProcess(t, base, "doctor", "--repair", "--json", "--store", dir)
	if code != 0 && code != exitDamaged {
		t.Fatalf("fs doctor --repair: exit %d:\n%s", code, errs)
	}
	var res struct {
		Repair struct {
			Backup string   `json:"backup"`
			Lost   []string `json:"lost"`
		} `json:"repair"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("fs doctor --repair --json: %v\n%s", err, out)
	}
	if backup := fileHashes(t, res.Repair.Backup); !maps.Equal(damaged, backup) {
		t.Errorf("the backup is not the store as it was: %s", diffFiles(damaged, backup))
	}
	if code, _, errs := runInProcess(t, base, "features", "list", "--store", dir); code != 0 {
		t.Fatalf("fs features list after the repair: exit %d\n%s", code, errs)
	}
	if len(res.Repair.Lost) > 0 {
		return
	}
	if code != 0 {
		t.Errorf("fs doctor --repair lost nothing but exits %d:\n%s", code, out)
	}
	for _, c := range readCommands {
		key := strings.Join(c, " ")
		if code, got, errs := runInProcess(t, base, append(c, "--store", dir)...); code != 0 || relative(got, dir) != want[key] {
			t.Errorf("after a repair that lost nothing, fs %s: exit %d, same answer %v\n%s", key, code, got == want[key], errs)
		}
	}
}

func diffFiles(a, b map[string]string) string {
	var out []string
	for k, v := range a {
		switch w, ok := b[k]; {
		case !ok:
			out = append(out, k+" deleted")
		case w != v:
			out = append(out, k+" changed")
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k+" created")
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}
