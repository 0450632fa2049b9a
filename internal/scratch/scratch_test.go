package scratch

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestMain doubles as the helper process of TestSweepAfterKill: with SCRATCH_HELPER set it makes a
// file and a directory, prints their paths and waits to be killed.
func TestMain(m *testing.M) {
	if os.Getenv("SCRATCH_HELPER") == "1" {
		f, err := File("upload-*")
		if err != nil {
			os.Exit(3)
		}
		f.WriteString("half an upload")
		d, err := Dir("zip-*")
		if err != nil {
			os.Exit(3)
		}
		os.WriteFile(filepath.Join(d, "part.shp"), []byte("half a shapefile"), 0o600)
		os.Stdout.WriteString(f.Name() + "\n" + d + "\n")
		select {} // until killed
	}
	os.Exit(m.Run())
}

// TestSweepAfterKill: a process killed with SIGKILL leaves its file and directory; Sweep removes them,
// and leaves this process's own entries and names of other programs alone.
func TestSweepAfterKill(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SCRATCH_HELPER=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	var left []string
	for len(left) < 2 && sc.Scan() {
		left = append(left, sc.Text())
	}
	if len(left) != 2 {
		cmd.Process.Kill()
		t.Fatalf("the helper printed %q", left)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	for _, p := range left {
		if !strings.HasPrefix(p, tmp) {
			t.Fatalf("%s is not in TMPDIR %s", p, tmp)
		}
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("the killed process's %s is already gone: %v", p, err)
		}
	}
	mine, err := File("mine-*")
	if err != nil {
		t.Fatal(err)
	}
	mine.Close()
	other := filepath.Join(tmp, "pcnmap-notapid-x")
	foreign := filepath.Join(tmp, "other-1-x")
	for _, p := range []string{other, foreign} {
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	if n := Sweep(); n != 2 {
		t.Errorf("Sweep removed %d entries, want 2 (the killed process's file and directory)", n)
	}
	for _, p := range left {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s survived the sweep (%v)", p, err)
		}
	}
	for _, p := range []string{mine.Name(), other, foreign} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("Sweep removed %s, which is not a dead process's: %v", p, err)
		}
	}
}

func TestOwner(t *testing.T) {
	for name, want := range map[string]int{
		"pcnmap-123-upload-456": 123,
		"pcnmap-7-zip-1":        7,
		"pcnmap-upload-123":     0, // the names of earlier versions carry no process ID
		"pcnmap-0123-x":         0,
		"pcnmap-0-x":            0,
		"pcnmap-12":             0,
		"other-123-x":           0,
		"pcnmap--1-x":           0,
	} {
		pid, ok := owner(name)
		if got := map[bool]int{true: pid}[ok]; got != want {
			t.Errorf("owner(%q) = %d, %v; want %d", name, pid, ok, want)
		}
	}
}
