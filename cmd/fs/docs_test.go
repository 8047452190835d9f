package main

import (
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The command reference that TestReferenceMatchesHelp holds to --help.
const referencePath = "../../docs/cli.md"

// documentedCommand is what docs/cli.md says of one command.
type documentedCommand struct {
	flags     []string // long flag names, without "--"
	exitCodes []int
}

var (
	sectionRe   = regexp.MustCompile(`(?m)^## (fs(?: [a-z-]+)+)\s*$`)
	flagRowRe   = regexp.MustCompile("^\\| (?:`-[a-z]`, )?`--([a-z0-9-]+)")
	exitLineRe  = regexp.MustCompile("(?m)^.*Exit codes: (.*)$")
	backtickNum = regexp.MustCompile("`(\\d+)`")
	// In --help, an exit code is a number after "Exit codes:", a comma or a
	// line start, followed by its meaning.
	helpCodeRe = regexp.MustCompile(`(?m)(?:^|,|:)\s*(\d{1,3})\s+[a-z(]`)
)

// readReference parses docs/cli.md into its command sections.
func readReference(t *testing.T) map[string]documentedCommand {
	t.Helper()
	b, err := os.ReadFile(referencePath)
	if err != nil {
		t.Fatalf("read the command reference: %v", err)
	}
	text := string(b)
	locs := sectionRe.FindAllStringSubmatchIndex(text, -1)
	out := map[string]documentedCommand{}
	for i, loc := range locs {
		end := len(text)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		name := text[loc[2]:loc[3]]
		out[name] = parseSection(t, name, text[loc[1]:end])
	}
	return out
}

func parseSection(t *testing.T, name, body string) documentedCommand {
	var d documentedCommand
	for _, line := range strings.Split(body, "\n") {
		if m := flagRowRe.FindStringSubmatch(line); m != nil {
			d.flags = append(d.flags, m[1])
		}
	}
	m := exitLineRe.FindStringSubmatch(body)
	if m == nil {
		t.Errorf("docs/cli.md: %s has no \"Exit codes:\" line", name)
		return d
	}
	for _, n := range backtickNum.FindAllStringSubmatch(m[1], -1) {
		c, _ := strconv.Atoi(n[1])
		d.exitCodes = append(d.exitCodes, c)
	}
	return d
}

// helpExitCodes reads the codes from the "Exit codes:" paragraph of a
// command's long help.
func helpExitCodes(long string) []int {
	i := strings.Index(long, "Exit codes:")
	if i < 0 {
		return nil
	}
	para := long[i:]
	if j := strings.Index(para, "\n\n"); j >= 0 {
		para = para[:j]
	}
	var codes []int
	for _, m := range helpCodeRe.FindAllStringSubmatch(para, -1) {
		c, _ := strconv.Atoi(m[1])
		codes = append(codes, c)
	}
	return codes
}

// userCommands lists the commands a user runs, by full path ("fs features
// list"): cobra's own help and completion commands and bare parents left out.
func userCommands(c *cobra.Command) []*cobra.Command {
	var out []*cobra.Command
	for _, sub := range c.Commands() {
		if sub.Name() == "help" || sub.Name() == "completion" {
			continue
		}
		if sub.Runnable() {
			out = append(out, sub)
		}
		out = append(out, userCommands(sub)...)
	}
	return out
}

func localFlags(c *cobra.Command) []string {
	var names []string
	c.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" && !f.Hidden {
			names = append(names, f.Name)
		}
	})
	return names
}

func sameSet[T int | string](a, b []T) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// TestReferenceMatchesHelp holds docs/cli.md to the commands themselves:
// every command has a section, every section a command, and each lists the
// flags and exit codes that --help shows.
func TestReferenceMatchesHelp(t *testing.T) {
	doc := readReference(t)
	root := newRootCmd(&State{Getenv: os.Getenv})
	seen := map[string]bool{}
	for _, c := range userCommands(root) {
		path := c.CommandPath()
		seen[path] = true
		d, ok := doc[path]
		if !ok {
			t.Errorf("docs/cli.md has no section \"## %s\"", path)
			continue
		}
		if got := localFlags(c); !sameSet(got, d.flags) {
			sort.Strings(got)
			t.Errorf("%s: --help has flags %v, docs/cli.md documents %v", path, got, d.flags)
		}
		help := helpExitCodes(c.Long)
		if len(help) == 0 {
			t.Errorf("%s: --help documents no exit codes", path)
		}
		if !sameSet(help, d.exitCodes) {
			t.Errorf("%s: --help has exit codes %v, docs/cli.md documents %v", path, help, d.exitCodes)
		}
	}
	for path := range doc {
		if !seen[path] {
			t.Errorf("docs/cli.md documents %q, which is not a command", path)
		}
	}
	var global []string
	root.PersistentFlags().VisitAll(func(f *pflag.Flag) { global = append(global, f.Name) })
	if gd := globalFlagsDocumented(t); !sameSet(global, gd) {
		t.Errorf("global flags: fs has %v, docs/cli.md documents %v", global, gd)
	}
	if codes := helpExitCodes(root.Long); !sameSet(codes, []int{0, 1, 2, 3, 4, 5, 10, 11, 12, 130}) {
		t.Errorf("fs --help lists exit codes %v; docs/cli.md's table lists 0 1 2 3 4 5 10 11 12 130", codes)
	}
}

// globalFlagsDocumented reads the flags of the "## Global flags" table.
func globalFlagsDocumented(t *testing.T) []string {
	b, err := os.ReadFile(referencePath)
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(string(b), "## Global flags")
	section, _, _ := strings.Cut(after, "\n## ")
	var names []string
	for _, line := range strings.Split(section, "\n") {
		if m := flagRowRe.FindStringSubmatch(line); m != nil {
			names = append(names, m[1])
		}
	}
	return names
}

// The parsers themselves, on the forms the help texts use.
func TestHelpExitCodesParser(t *testing.T) {
	cases := map[string][]int{
		"Exit codes: 0 ok, 1 error (such as an unknown name), 2 usage, 10 no store, 11 store in use, 12 store damaged.":   {0, 1, 2, 10, 11, 12},
		"Exit codes: 0 ok (also when the server is still unreachable: the runs stay\npending), 1 error, 130 interrupted.": {0, 1, 130},
		"Exit codes:\n  0   ok\n  3   fs train: the quality gate failed\n  130 interrupted (Ctrl-C)":                      {0, 3, 130},
		"no codes": nil,
	}
	for in, want := range cases {
		if got := helpExitCodes(in); !slices.Equal(got, want) {
			t.Errorf("helpExitCodes(%q) = %v, want %v", in, got, want)
		}
	}
}
