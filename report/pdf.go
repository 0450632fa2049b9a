package report

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"pcnmap/internal/scratch"
)

// printTimeout bounds one print: a browser that hangs must not hang a batch.
const printTimeout = 2 * time.Minute

// chromiumFlags run Chromium headless without a sandbox (it runs as root in containers), without a
// GPU, and without reaching the network or showing first-run pages; the documents are self-contained.
var chromiumFlags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
	"--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
	"--no-pdf-header-footer", "--print-to-pdf-no-header", // the current flag and its older name
}

// pdfDate matches the creation and modification dates Chromium's PDF writer (Skia) stamps.
var pdfDate = regexp.MustCompile(`/(CreationDate|ModDate) \(D:\d{14}`)

// printPDF prints the HTML file src to the PDF file dst with the Chromium at browser. The dates in
// the PDF are replaced by date (the release's extract date), digit for digit so that no byte offset
// moves, which makes the file deterministic.
func printPDF(ctx context.Context, browser, src, dst string, date time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, printTimeout)
	defer cancel()
	abs, err := filepath.Abs(src)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	// A profile of its own, so that several prints can run at once.
	profile, err := scratch.Dir("chromium-")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer os.RemoveAll(profile)
	out := filepath.Join(profile, "out.pdf")
	args := append(append([]string(nil), chromiumFlags...), "--user-data-dir="+profile, "--print-to-pdf="+out,
		(&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String())
	cmd := exec.CommandContext(ctx, browser, args...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("report: print %s to PDF with %s: %w%s", filepath.Base(src), browser, err, tail(log.String()))
	}
	b, err := os.ReadFile(out)
	if err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
		return fmt.Errorf("report: print %s to PDF with %s: no PDF written%s", filepath.Base(src), browser, tail(log.String()))
	}
	if date.IsZero() {
		date = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	stamp := []byte(date.UTC().Format("20060102") + "000000")
	b = pdfDate.ReplaceAllFunc(b, func(m []byte) []byte {
		return append(bytes.Clone(m[:len(m)-len(stamp)]), stamp...)
	})
	return writeFile(dst, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// tail is the end of a browser's log, for an error message.
func tail(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return ":\n" + strings.Join(lines, "\n")
}
