package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"pcnmap/ingest"
)

// The command line's ergonomics: one short error per mistake, naming the flag, with a "did you
// mean" for a misspelt flag or command; --help on stdout and exit status 0.

// parseFlags parses args with the flag package's own messages and usage dump silenced, and turns
// its errors into one line naming the flag. On --help it prints the usage and returns flag.ErrHelp.
func parseFlags(fs *flag.FlagSet, args []string) error {
	usage, out := fs.Usage, fs.Output()
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.Usage = usage
	fs.SetOutput(out)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		usage()
		return err
	}
	return fmt.Errorf("%w: %s: %s", errUsage, fs.Name(), flagError(fs, err))
}

var (
	reUndefined = regexp.MustCompile(`^flag provided but not defined: -+(.*)$`)
	reInvalid   = regexp.MustCompile(`^invalid (?:boolean )?value "(.*)" for (?:flag )?-+([^:]+): (.*)$`)
	reNeedsArg  = regexp.MustCompile(`^flag needs an argument: -+(.*)$`)
)

// flagError rewrites one of the flag package's errors.
func flagError(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if m := reUndefined.FindStringSubmatch(msg); m != nil {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		if s := suggest(m[1], names); s != "" {
			return fmt.Sprintf("unknown flag --%s; did you mean --%s?", m[1], s)
		}
		return fmt.Sprintf("unknown flag --%s; run pcnmap %s --help for the flags", m[1], fs.Name())
	}
	if m := reInvalid.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("--%s %s: %s", m[2], m[1], m[3])
	}
	if m := reNeedsArg.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("--%s needs a value", m[1])
	}
	return msg
}

// suggest returns the candidate closest to s, if it is close enough to be a slip: within two
// edits, or one of which s is a prefix of at least three letters.
func suggest(s string, candidates []string) string {
	best, bestD := "", 3
	sort.Strings(candidates)
	for _, c := range candidates {
		d := editDistance(strings.ToLower(s), c)
		if len(s) >= 3 && strings.HasPrefix(c, s) && d > 1 {
			d = 1
		}
		if d < bestD && d <= max(1, len(c)/3) {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Damerau–Levenshtein distance (with adjacent transpositions) of a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// unknownCommand is the error for a command (or teams subcommand) that does not exist.
// runSubcommand runs the subcommand args[0] of the command group (teams, neighbourhoods): with no
// subcommand it prints the list to stderr and fails, with --help it prints it to stdout and succeeds.
func runSubcommand(ctx context.Context, e *env, group string, cmds []command, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w := e.stdout
		if len(args) == 0 {
			w = e.stderr
		}
		width := 0
		for _, c := range cmds {
			width = max(width, len(c.name))
		}
		fmt.Fprintf(w, "Usage: pcnmap %s SUBCOMMAND [flags]\n\nSubcommands:\n", group)
		for _, c := range cmds {
			fmt.Fprintf(w, "  %-*s %s\n", width+1, c.name, c.summary)
		}
		if len(args) == 0 {
			return fmt.Errorf("%w: no %s subcommand given", errUsage, group)
		}
		return nil
	}
	names := make([]string, len(cmds))
	for i, c := range cmds {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
		names[i] = c.name
	}
	return unknownCommand(group+" subcommand", args[0], names, "pcnmap "+group+" --help")
}

func unknownCommand(what, name string, names []string, help string) error {
	if s := suggest(name, names); s != "" {
		return fmt.Errorf("%w: unknown %s %q; did you mean %s?", errUsage, what, name, s)
	}
	return fmt.Errorf("%w: unknown %s %q; run %s for the list", errUsage, what, name, help)
}

// rePackage matches the package prefixes errors carry inside the program ("geo: ", "nhs: "):
// useful in logs and tests, noise to someone at a terminal.
var rePackage = regexp.MustCompile(`(^|: )(?:geo|nhs|overlap|ingest|store|tiles|teams|report|server|app|layers|fixtures): `)

// message is the text printed for err after "pcnmap: ": usage errors without their "usage: " mark,
// others without package prefixes.
func message(err error) string {
	msg := err.Error()
	if errors.Is(err, errUsage) {
		return strings.TrimPrefix(msg, errUsage.Error()+": ")
	}
	for {
		m := rePackage.ReplaceAllString(msg, "$1")
		if m == msg {
			return msg
		}
		msg = m
	}
}

// cliError is an error reworded for the terminal; it wraps the original for errors.Is and As.
type cliError struct {
	msg string
	err error
}

func (e *cliError) Error() string { return e.msg }
func (e *cliError) Unwrap() error { return e.err }

// inputFlagError words an ingest input error by its flag: what was wrong, what the flag takes and,
// when the file looks like another input, the flag to give it to.
func inputFlagError(err error) error {
	var ie *ingest.InputError
	if !errors.As(err, &ie) {
		return err
	}
	msg := fmt.Sprintf("--%s: %s", ie.Role, message(ie.Err))
	if !errors.Is(err, os.ErrNotExist) { // a missing file needs no lecture on formats
		msg += "; want " + ie.Role.Want()
	}
	if ie.Looks != ingest.RoleUnknown {
		msg += fmt.Sprintf("; %s looks like %s: pass it as --%s", filepath.Base(ie.Path), ie.Looks.Describe(), ie.Looks)
	}
	return &cliError{msg: msg, err: err}
}
