// Command pcnmap measures how Primary Care Network catchments overlap across small areas of England
// and publishes the result: a SQLite workspace, CSV/JSON reports, point lookups, vector tiles and a map.
//
//	pcnmap ingest --db W.db --areas AREAS --registrations REG --membership MEMB [...]
//	pcnmap report --db W.db [--release NAME] [--threshold 1%] --out DIR
//	pcnmap lookup --db W.db --lon X --lat Y | --points FILE.csv
//
// Run "pcnmap COMMAND --help" for each command's flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"pcnmap/internal/scratch"
	"pcnmap/overlap"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// command is one subcommand: its flags are defined on fs and run does the work.
type command struct {
	name, summary string
	run           func(ctx context.Context, env *env, args []string) error
}

var commands = []command{
	{"ingest", "read the national files into a workspace release", runIngest},
	{"report", "write a release's report: CSV or JSON files, or HTML/PDF documents per ICB or other unit", runReport},
	{"compare", "set two releases side by side: PCNs per area, dominant PCNs, mergers and splits", runCompare},
	{"lookup", "find the area (and its PCNs) at a point, or for a CSV of points", runLookup},
	{"series", "one measure across releases on the areas they share: CSV and an HTML chart", runSeries},
	{"releases", "list the releases in a workspace, or set the default one", runReleases},
	{"serve", "serve vector tiles, TileJSON and the JSON API over HTTP", runServe},
	{"tiles", "export the vector tiles as an MBTiles file or a PMTiles archive (tiles export)", runTiles},
	{"site", "write a static map any web host serves, without a server (site export)", runSite},
	{"teams", "community-team footprint sets: " + teamSubcommands(), runTeams},
	{"neighbourhoods", "design neighbourhood plans aligned with PCNs: " + neighbourhoodSubcommands(), runNeighbourhoods},
	{"version", "print the version", func(_ context.Context, e *env, _ []string) error {
		_, err := fmt.Fprintln(e.stdout, "pcnmap", version)
		return err
	}},
}

// env is what a command may touch of the outside world, so tests can run commands in-process.
type env struct {
	stdout, stderr io.Writer
	// terminal is set when stderr is a terminal: progress bars are drawn only then.
	terminal bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e := &env{stdout: os.Stdout, stderr: os.Stderr, terminal: isTerminal(os.Stderr)}
	go scratch.Sweep() // what killed runs left in the temp folder, off the command's own path
	err := run(ctx, e, os.Args[1:])
	stop()
	if code := exit(os.Stderr, err); code != 0 {
		os.Exit(code)
	}
}

// exit prints err, if any, as one line on w and returns the exit status: 0 for success and for
// --help, 2 for a mistake on the command line, 1 for anything else.
func exit(w io.Writer, err error) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		// "report: unknown flag …" reads as "pcnmap report: unknown flag …".
		msg, sep := message(err), ": "
		if head, _, ok := strings.Cut(msg, ": "); ok && isCommand(head) {
			sep = " "
		}
		fmt.Fprint(w, "pcnmap", sep, msg, "\n")
		return 2
	}
	fmt.Fprintln(w, "pcnmap:", message(err))
	return 1
}

// isCommand reports whether s names a command, or a command and its subcommand ("teams import").
func isCommand(s string) bool {
	name, sub, _ := strings.Cut(s, " ")
	if strings.ContainsAny(sub, " \"'") {
		return false
	}
	for _, c := range commands {
		if c.name == name {
			return true
		}
	}
	return false
}

// errUsage marks mistakes on the command line (exit status 2).
var errUsage = errors.New("usage")

func run(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		usage(e.stderr)
		return fmt.Errorf("%w: no command given", errUsage)
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stdout)
		return nil
	}
	if args[0] == "--version" || args[0] == "-version" {
		args[0] = "version"
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	return unknownCommand("command", args[0], names, "pcnmap --help")
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "pcnmap %s: Primary Care Network overlap across the small areas of England\n\nUsage: pcnmap COMMAND [flags]\n\nCommands:\n", version)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun \"pcnmap COMMAND --help\" for a command's flags.")
}

// newFlags makes a command's flag set; parse it with parse.
func newFlags(e *env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stdout) // the usage is printed on --help only, as the answer asked for
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "Usage: pcnmap %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args (see parseFlags) and rejects stray positional arguments.
func parse(fs *flag.FlagSet, args []string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: %s: unexpected argument %q", errUsage, fs.Name(), fs.Arg(0))
	}
	return nil
}

// required reports the first empty required flag.
func required(fs *flag.FlagSet, names ...string) error {
	for _, n := range names {
		if f := fs.Lookup(n); f != nil && f.Value.String() == "" {
			return fmt.Errorf("%w: %s: --%s is required", errUsage, fs.Name(), n)
		}
	}
	return nil
}

// list is a repeatable string flag.
type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

// threshold is a --threshold flag, 1% or 0.01, checked as the flags are parsed.
type threshold float64

func (t *threshold) String() string { return overlap.FormatThreshold(float64(*t)) }

func (t *threshold) Set(s string) error {
	v, err := overlap.ParseThreshold(s)
	if err != nil {
		// A bare number above 1 is most likely a percentage without its sign: say only that.
		if n, perr := strconv.ParseFloat(strings.TrimSpace(s), 64); perr == nil && n > 1 && n <= 100 {
			return fmt.Errorf("write %s%% for a percentage, or %s as a share", strings.TrimSpace(s), strconv.FormatFloat(n/100, 'f', -1, 64))
		}
		return errors.New("want a share between 0% and 100%, written 1% or 0.01")
	}
	*t = threshold(v)
	return nil
}

// thresholdFlag defines --threshold on fs with the default of 1%.
func thresholdFlag(fs *flag.FlagSet, usage string) *threshold {
	t := threshold(overlap.DefaultThreshold)
	fs.Var(&t, "threshold", usage+" (1% or 0.01)")
	return &t
}
