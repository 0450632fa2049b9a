package atomicfile

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWrite: a whole write lands under its name with mode 0644 and leaves nothing else; a failed one
// leaves the file that was there untouched and no temporary file.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	if err := Write(path, func(w *bufio.Writer) error { _, err := w.WriteString("a,b\n"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "a,b\n" {
		t.Fatalf("read back %q, %v", b, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	boom := errors.New("boom")
	err := Write(path, func(w *bufio.Writer) error { w.WriteString("half"); return boom })
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "out.csv") {
		t.Errorf("failed write: %v, want boom naming out.csv", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "a,b\n" {
		t.Errorf("a failed write changed the file to %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d entries left in the directory, want the file alone", len(entries))
	}
	if err := Write(filepath.Join(dir, "no", "such", "dir.csv"), func(*bufio.Writer) error { return nil }); err == nil {
		t.Error("a write into a missing directory succeeded")
	}
}
