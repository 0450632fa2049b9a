// Package docs holds the project's documentation; its test runs the shell examples of README.md and
// docs/*.md so that they cannot drift from the program.
//
// A fence's info string says how its example is checked:
//
//	```sh          run with bash from a directory holding fixtures/, bin/pcnmap and out/fixture.db
//	               (the fixture workspace, ingested as `make run` does); it must exit 0
//	```sh server   the same, with `pcnmap serve` on that workspace at $PCNMAP (writes with $PCNMAP_TOKEN)
//	```sh national needs the national files: every pcnmap command in it must use only flags that its
//	               --help lists
//	```sh make     make commands: every target must be one of the Makefile's
//
// Any other sh fence fails the test, so an example cannot escape by a typo in its fence.
package docs

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// example is one fenced shell block.
type example struct {
	file string
	line int
	kind string // "", "server" or "national"
	code string
}

// examples reads the sh fences of a Markdown file.
func examples(t *testing.T, path string) []example {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []example
	var cur *example
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && strings.HasPrefix(trimmed, "```sh"):
			kind := strings.TrimSpace(strings.TrimPrefix(trimmed, "```sh"))
			if kind != "" && kind != "server" && kind != "national" && kind != "make" {
				t.Errorf("%s:%d: unknown example kind %q (want ```sh, ```sh server, ```sh national or ```sh make)", path, n, kind)
			}
			cur = &example{file: path, line: n + 1, kind: kind}
		case cur != nil && trimmed == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.code += line + "\n"
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func repoRoot(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// docFiles are README.md and docs/*.md.
func docFiles(t *testing.T) []string {
	root := repoRoot(t)
	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{filepath.Join(root, "README.md")}, files...)
}

// makeRun is the ingest of `make run`, which every fixture example starts from.
const makeRun = `mkdir -p out
bin/pcnmap ingest --db out/fixture.db --areas fixtures/msoa.geojson --registrations fixtures/registrations-2021-01.csv.gz \
  --membership fixtures/epcn-2019-12.xlsx --lookup fixtures/lsoa-msoa-lookup.csv --centroids fixtures/lsoa-centroids.csv \
  --lsoa-polygons fixtures/lsoa.geojson \
  --context fixtures/lsoa-msoa-lookup.csv --context fixtures/lsoa-ccg-lad.csv --context fixtures/lsoa-sub-icb.csv \
  --context fixtures/sub-icb-icb.csv --context fixtures/ccg-stp.csv --context fixtures/lsoa-ruc.csv \
  --context fixtures/sub-icb-bng.geojson
`

func TestExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds pcnmap and runs every documented example: not under -short")
	}
	root := repoRoot(t)
	var all []example
	for _, f := range docFiles(t) {
		all = append(all, examples(t, f)...)
	}
	if len(all) < 10 {
		t.Fatalf("found %d shell examples in README.md and docs/: the fences are not being read", len(all))
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin", "pcnmap")
	build := exec.Command("go", "build", "-o", bin, "./cmd/pcnmap")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if err := os.Symlink(filepath.Join(root, "fixtures"), filepath.Join(dir, "fixtures")); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"), "PCNMAP_TOKEN=docs-test-token-16")
	run := func(code string, extra ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", code)
		cmd.Dir = dir
		cmd.Env = append(env, extra...)
		// Its own process group, killed afterwards: an example that leaves a server running in the
		// background must neither hang the test nor outlive it.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
		cmd.WaitDelay = 5 * time.Second
		out, err := cmd.CombinedOutput()
		if cmd.Process != nil {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
		return string(out), err
	}
	if out, err := run(makeRun); err != nil {
		t.Fatalf("the make run ingest: %v\n%s", err, out)
	}
	var server []string // PCNMAP=… for the server examples, started on the first
	for _, ex := range all {
		name := fmt.Sprintf("%s:%d", filepath.Base(ex.file), ex.line)
		switch ex.kind {
		case "national":
			t.Run(name, func(t *testing.T) { checkFlags(t, bin, ex) })
			continue
		case "make":
			t.Run(name, func(t *testing.T) { checkTargets(t, root, ex) })
			continue
		case "server":
			if server == nil {
				server = startServer(t, bin, dir)
			}
		}
		t.Run(name, func(t *testing.T) {
			out, err := run(ex.code, server...)
			if err != nil && strings.Contains(out, "static map page is not in this binary") {
				t.Skip("the map page is not bundled (make web, or make test, bundles it): the static site cannot be exported")
			}
			if err != nil {
				t.Errorf("%s: the example failed: %v\n--- example\n%s--- output\n%s", name, err, ex.code, out)
			}
		})
	}
}

// startServer serves the fixture workspace on a free port for the server examples.
func startServer(t *testing.T, bin, dir string) []string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve", "--db", "out/fixture.db", "--addr", addr, "--quiet")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PCNMAP_TOKEN=docs-test-token-16")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	base := "http://" + addr
	for i := 0; ; i++ {
		if r, err := http.Get(base + "/healthz"); err == nil {
			r.Body.Close()
			break
		}
		if i > 100 {
			t.Fatalf("pcnmap serve did not answer on %s: %s", addr, stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	return []string{"PCNMAP=" + base}
}

var (
	reCommand = regexp.MustCompile(`(?:^|\s)(?:bin/)?pcnmap\s+([a-z]+)(?:\s+(import|list|delete|rename|alignment|whatif|suggest|export))?`)
	reFlag    = regexp.MustCompile(`(?:^|\s)--([a-z][a-z0-9-]*)`)
)

// checkFlags checks that every pcnmap command of a national example uses flags its --help lists.
func checkFlags(t *testing.T, bin string, ex example) {
	// Join continued lines, then take one command per line.
	code := strings.ReplaceAll(ex.code, "\\\n", " ")
	n := 0
	for _, line := range strings.Split(code, "\n") {
		m := reCommand.FindStringSubmatchIndex(line)
		if m == nil {
			continue
		}
		n++
		args := []string{line[m[2]:m[3]]}
		if m[4] >= 0 {
			args = append(args, line[m[4]:m[5]])
		}
		help, err := exec.Command(bin, append(args, "--help")...).CombinedOutput()
		if err != nil {
			t.Errorf("%s:%d: pcnmap %s --help: %v\n%s", ex.file, ex.line, strings.Join(args, " "), err, help)
			continue
		}
		for _, f := range reFlag.FindAllStringSubmatch(line[m[1]:], -1) {
			if !strings.Contains(string(help), "  -"+f[1]+" ") && !strings.Contains(string(help), "  -"+f[1]+"\n") {
				t.Errorf("%s:%d: pcnmap %s has no flag --%s", ex.file, ex.line, strings.Join(args, " "), f[1])
			}
		}
	}
	if n == 0 {
		t.Errorf("%s:%d: a national example without a pcnmap command", ex.file, ex.line)
	}
}

var reMake = regexp.MustCompile(`(?m)^\s*make\s+([a-z-]+)`)

// checkTargets checks that every make command of an example names a target of the Makefile.
func checkTargets(t *testing.T, root string, ex example) {
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	ms := reMake.FindAllStringSubmatch(ex.code, -1)
	if len(ms) == 0 {
		t.Errorf("%s:%d: a make example without a make command", ex.file, ex.line)
	}
	for _, m := range ms {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(m[1]) + `:`).Match(mk) {
			t.Errorf("%s:%d: make %s: no such target in the Makefile", ex.file, ex.line, m[1])
		}
	}
}
