package arch

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/fs-dev/fs/"

// rule is a row of docs/design.md's table of packages.
type rule struct {
	may, never []string
	anyBelow   bool // "everything below it": all but never
}

var ticked = regexp.MustCompile("`([a-z0-9/]+)`")

// rules reads the table from docs/design.md.
func rules(t *testing.T, root string) map[string]rule {
	f, err := os.Open(filepath.Join(root, "docs", "design.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]rule{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cells := strings.Split(sc.Text(), "|")
		if len(cells) != 6 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		name := strings.Trim(strings.TrimSpace(cells[1]), "`")
		r := rule{anyBelow: strings.Contains(cells[3], "everything below it")}
		for _, m := range ticked.FindAllStringSubmatch(cells[3], -1) {
			r.may = append(r.may, m[1])
		}
		for _, m := range ticked.FindAllStringSubmatch(cells[4], -1) {
			r.never = append(r.never, m[1])
		}
		out[name] = r
	}
	if len(out) < 20 {
		t.Fatalf("read %d rows of the table of packages in docs/design.md", len(out))
	}
	return out
}

// TestImportsFollowTheDesign: every package's imports of fs's packages
// are allowed by its row in docs/design.md, and every package has a row.
func TestImportsFollowTheDesign(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	table := rules(t, root)
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], module)
		r, ok := table[pkg]
		if !ok {
			t.Errorf("%s has no row in docs/design.md's table of packages", pkg)
			continue
		}
		for _, imp := range fields[1:] {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			dep := strings.TrimPrefix(imp, module)
			if forbidden(r.never, dep) || !(slices.Contains(r.may, dep) || (r.anyBelow && dep != pkg)) {
				t.Errorf("%s imports %s, which its row in docs/design.md does not allow", pkg, dep)
			}
		}
	}
}

func forbidden(never []string, dep string) bool {
	for _, n := range never {
		if dep == n || strings.HasPrefix(dep, n+"/") {
			return true
		}
	}
	return false
}

// TestStandsAlone: nothing in the repository reads a directory beside
// it: a fresh clone has nothing there.
func TestStandsAlone(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("git", "ls-files")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	outside := "../" + "shared" // spelled apart, so that this file does not match
	for _, f := range strings.Fields(string(out)) {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil || strings.Contains(f, "testdata/") {
			continue
		}
		if strings.Contains(string(data), outside) {
			t.Errorf("%s reads %s, which a fresh clone does not have", f, outside)
		}
	}
}
