// Package scratch makes the temporary files and directories pcnmap needs in the OS temp folder, named
// with the process ID, and removes those of processes that have gone (a kill -9, a crash or a power
// cut leaves them behind), so that an interrupted run leaves no partial files for longer than the
// next run takes to start.
package scratch

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// prefix starts every name this package makes: prefix, the process ID, a dash, the pattern.
const prefix = "pcnmap-"

func pattern(p string) string { return prefix + strconv.Itoa(os.Getpid()) + "-" + p }

// File is os.CreateTemp in the OS temp folder with the name tagged with this process.
func File(p string) (*os.File, error) { return os.CreateTemp("", pattern(p)) }

// Dir is os.MkdirTemp in the OS temp folder with the name tagged with this process.
func Dir(p string) (string, error) { return os.MkdirTemp("", pattern(p)) }

// owner is the process ID a name of this package carries; ok is false for any other name.
func owner(name string) (pid int, ok bool) {
	rest, found := strings.CutPrefix(name, prefix)
	if !found {
		return 0, false
	}
	id, _, found := strings.Cut(rest, "-")
	if !found {
		return 0, false
	}
	pid, err := strconv.Atoi(id)
	return pid, err == nil && pid > 0 && strconv.Itoa(pid) == id
}

// Sweep removes the entries of the OS temp folder that File and Dir made for processes no longer
// running, and returns how many it removed. An entry it cannot remove (another user's, or one a
// concurrent sweep took first) is left without complaint: sweeping is housekeeping, never a reason to
// fail a command. A process ID reused by a live process keeps its dead predecessor's files until that
// process ends too.
func Sweep() int {
	dir := os.TempDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	self := os.Getpid()
	n := 0
	for _, e := range entries {
		pid, ok := owner(e.Name())
		if !ok || pid == self || Alive(pid) {
			continue
		}
		if os.RemoveAll(filepath.Join(dir, e.Name())) == nil {
			n++
		}
	}
	return n
}

// Alive reports whether process pid still runs: signal 0 is delivered to no one but checks the process
// exists (one of another user answers EPERM, so it counts as alive). Where signals are not supported
// every existing process counts as alive, so nothing of a live process is ever removed.
func Alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	return !errors.Is(p.Signal(syscall.Signal(0)), os.ErrProcessDone)
}
