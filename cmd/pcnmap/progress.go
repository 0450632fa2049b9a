package main

import (
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// isTerminal reports whether f is a terminal and we are not under CI, where a bar is only noise.
func isTerminal(f *os.File) bool {
	return os.Getenv("CI") == "" && term.IsTerminal(int(f.Fd()))
}

// progress is a bar on a terminal and nothing elsewhere. Its methods are safe for concurrent use.
type progress struct {
	bar *progressbar.ProgressBar
}

// newProgress starts a bar of max steps labelled desc; max < 0 is a spinner.
func (e *env) newProgress(max int64, desc string) *progress {
	if !e.terminal {
		return &progress{}
	}
	return &progress{bar: progressbar.NewOptions64(max,
		progressbar.OptionSetWriter(e.stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100_000_000),
		progressbar.OptionClearOnFinish(),
	)}
}

func (p *progress) add(n int) {
	if p.bar != nil {
		p.bar.Add(n)
	}
}

func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}
