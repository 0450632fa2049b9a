//go:build linux

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"pcnmap/fixtures"
	"pcnmap/overlap"
)

// TestBusy: a save behind another process's write lock fails with ErrBusy (the server answers 503)
// once the lock wait has passed, and reads go on meanwhile through the read-only connections.
func TestBusy(t *testing.T) {
	d := fixture(t)
	path := saved(t, d)
	w, err := OpenWith(context.Background(), path, Options{LockWait: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	other, err := sql.Open("sqlite", "file:"+path+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.Begin() // BEGIN IMMEDIATE: holds the write lock
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := w.Releases(context.Background()); err != nil {
		t.Errorf("Releases behind a write lock: %v, want the releases", err)
	}
	err = w.SaveTeams(context.Background(), "", teamSet("North"), false)
	if !errors.Is(err, ErrBusy) {
		t.Errorf("SaveTeams behind a write lock: error %v, want ErrBusy", err)
	}
}

// copyFile copies src to dst byte for byte.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestHotJournal: the workspace and its journal copied in the middle of a write (as a crash or a full
// disk leaves them) open as the workspace before the write: the journal is rolled back.
func TestHotJournal(t *testing.T) {
	d := fixture(t)
	path := saved(t, d)
	before := digest(t, path)
	db, err := sql.Open("sqlite", "file:"+path+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`PRAGMA cache_size = 2`); err != nil { // spill changed pages to the file before commit
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for _, tbl := range releaseTables {
		if _, err := tx.Exec("DELETE FROM " + tbl); err != nil {
			t.Fatal(err)
		}
	}
	if digest(t, path) == before {
		t.Fatal("the uncommitted write did not reach the file; the test cannot tell a rollback")
	}
	if _, err := os.Stat(path + "-journal"); err != nil {
		t.Fatalf("no journal mid-write: %v", err)
	}
	dir := t.TempDir()
	cp := filepath.Join(dir, "copy.db")
	copyFile(t, path, cp)
	copyFile(t, path+"-journal", cp+"-journal")
	tx.Rollback()

	w, err := Open(context.Background(), cp, false)
	if err != nil {
		t.Fatalf("Open(copy with a hot journal): %v", err)
	}
	got, err := w.Load(context.Background(), "")
	w.Close()
	if err != nil {
		t.Fatalf("Load(copy with a hot journal): %v", err)
	}
	if len(got.Areas) != len(d.Areas) || len(got.Rows) != len(d.Rows) {
		t.Errorf("copy with a hot journal: %d areas, %d rows; want the %d and %d before the write", len(got.Areas), len(got.Rows), len(d.Areas), len(d.Rows))
	}
	if _, err := os.Stat(cp + "-journal"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the hot journal is still there after Open: %v", err)
	}
}

// The child processes of the tests below: an ingest into PCNMAP_TEST_PATH, with the file size limit
// PCNMAP_TEST_FSIZE when set.
func TestMain(m *testing.M) {
	if path := os.Getenv("PCNMAP_TEST_INGEST"); path != "" {
		os.Exit(childIngest(path))
	}
	os.Exit(m.Run())
}

func childIngest(path string) int {
	d, err := fixtures.Dataset()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if n, _ := strconv.ParseUint(os.Getenv("PCNMAP_TEST_FSIZE"), 10, 64); n > 0 {
		// A full disk: writes past n bytes fail with EFBIG instead of raising SIGXFSZ.
		signal.Ignore(syscall.SIGXFSZ)
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: n, Max: n}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
	}
	d.Release = "second"
	// The command's route: the inputs prepared while a new workspace is created.
	if _, err := IngestPrepared(context.Background(), path, func(context.Context) (*overlap.Dataset, error) { return d, nil }); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func child(t *testing.T, path string, fsize int64) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PCNMAP_TEST_INGEST="+path, "PCNMAP_TEST_FSIZE="+strconv.FormatInt(fsize, 10))
	return cmd
}

// TestFirstIngestKilled: a first ingest killed (SIGKILL) while it writes leaves no workspace, and the
// next ingest removes its temporary files.
func TestFirstIngestKilled(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.db")
	cmd := child(t, path, 0)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tmp := tempName(path, cmd.Process.Pid)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(tmp + "-journal"); err == nil {
			break // inside the save's transaction
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the child ingest never started its save")
		}
		time.Sleep(time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a killed first ingest left %s: %v", path, err)
	}
	if _, err := os.Stat(tmp); err != nil {
		t.Logf("the killed ingest left no temporary file (%v); checking the clean-up anyway", err)
	}
	if err := Ingest(context.Background(), path, fixture(t), time.Now()); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(left) != 0 {
		t.Errorf("after the next ingest, temporary files remain: %v", left)
	}
}

// TestFullDisk: an ingest into an existing workspace that runs out of space at any point leaves the
// file byte for byte as it was, with no journal beside it once reopened.
func TestFullDisk(t *testing.T) {
	d := fixture(t)
	path := saved(t, d)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	before := digest(t, path)
	// The limit at several points of the write: just above the file (the first new page), and further.
	for _, extra := range []int64{1, 64 << 10, fi.Size() / 4, fi.Size() / 2} {
		out, err := child(t, path, fi.Size()+extra).CombinedOutput()
		if err == nil {
			t.Fatalf("ingest with %d bytes to spare succeeded; the limit is too high to test a full disk", extra)
		}
		t.Logf("%d bytes spare: %s", extra, out)
		w, err := Open(context.Background(), path, false)
		if err != nil {
			t.Fatalf("after a full disk (%d bytes spare): Open: %v (child: %s)", extra, err, out)
		}
		rs, err := w.Releases(context.Background())
		w.Close()
		if err != nil || len(rs) != 1 || rs[0].Name != d.Release {
			t.Errorf("after a full disk (%d bytes spare): releases %+v, %v; want only %s", extra, rs, err, d.Release)
		}
		if digest(t, path) != before {
			t.Errorf("after a full disk (%d bytes spare): the workspace changed (child: %s)", extra, out)
		}
		if _, err := os.Stat(path + "-journal"); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("after a full disk (%d bytes spare): a journal remains", extra)
		}
	}
}
