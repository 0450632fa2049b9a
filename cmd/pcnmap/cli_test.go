package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCLIErrors: every slip on the command line gives one short line on stderr (no usage dump, no
// repeat), the right exit status, the flag named, a suggestion where one fits, and no package prefix.
func TestCLIErrors(t *testing.T) {
	db := filepath.Join(t.TempDir(), "w.db")
	ingestFixture(t, db, fixtureDir+"msoa.geojson", "--lookup", fixtureDir+"lsoa-msoa-lookup.csv")
	ingest := func(flag, path string) []string {
		args := map[string]string{"--areas": fixtureDir + "msoa.geojson", "--registrations": fixtureDir + "registrations-2021-01.csv.gz",
			"--membership": fixtureDir + "epcn-2019-12.xlsx", "--lookup": fixtureDir + "lsoa-msoa-lookup.csv"}
		args[flag] = path
		out := []string{"ingest", "--db", filepath.Join(t.TempDir(), "x.db")}
		for _, f := range []string{"--areas", "--registrations", "--membership", "--lookup"} {
			out = append(out, f, args[f])
		}
		return out
	}
	tests := map[string]struct {
		args []string
		code int
		want []string // substrings of the one line on stderr
	}{
		"flag typo":           {[]string{"report", "--db", db, "--treshold", "1%", "--out", "x"}, 2, []string{"unknown flag --treshold", "did you mean --threshold?"}},
		"flag far off":        {[]string{"report", "--db", db, "--zzzzzz"}, 2, []string{"unknown flag --zzzzzz", "pcnmap report --help"}},
		"command typo":        {[]string{"reprot"}, 2, []string{`unknown command "reprot"`, "did you mean report?"}},
		"teams typo":          {[]string{"teams", "sugest"}, 2, []string{"did you mean suggest?"}},
		"tiles typo":          {[]string{"tiles", "exprot"}, 2, []string{"did you mean export?"}},
		"threshold 5":         {[]string{"report", "--db", db, "--out", "x", "--threshold", "5"}, 2, []string{"--threshold 5: write 5% for a percentage, or 0.05 as a share"}},
		"threshold word":      {[]string{"report", "--db", db, "--out", "x", "--threshold", "lots"}, 2, []string{"--threshold lots:", "1% or 0.01"}},
		"missing value":       {[]string{"report", "--db"}, 2, []string{"--db needs a value"}},
		"missing flag":        {[]string{"report", "--out", "x"}, 2, []string{"--db is required"}},
		"no such workspace":   {[]string{"report", "--db", filepath.Join(t.TempDir(), "none.db"), "--out", t.TempDir()}, 1, []string{"none.db"}},
		"lookup as areas":     {ingest("--areas", fixtureDir+"lsoa-msoa-lookup.csv"), 1, []string{"--areas:", "lsoa-msoa-lookup.csv", "GeoJSON", "looks like an LSOA → MSOA lookup: pass it as --lookup"}},
		"regs as membership":  {ingest("--membership", fixtureDir+"registrations-2022-07.csv.gz"), 1, []string{"--membership:", "PCN_CODE", "ePCN workbook", "practice mapping CSV", "pass it as --registrations"}},
		"map as regs":         {ingest("--registrations", fixtureDir+"practice-map-2022-01.csv"), 1, []string{"--registrations:", "pass it as --membership"}},
		"centroids as lookup": {ingest("--lookup", fixtureDir+"lsoa-centroids.csv"), 1, []string{"--lookup:", "pass it as --centroids"}},
		"polygons as regs":    {ingest("--registrations", fixtureDir+"msoa.geojson"), 1, []string{"--registrations:", "msoa.geojson", "pass it as --areas"}},
		"missing file":        {ingest("--lookup", "fixtures/absent.csv"), 1, []string{"--lookup: ", "absent.csv", "no such file"}},
		"workbook as lookup":  {ingest("--lookup", fixtureDir+"epcn-2019-12.xlsx"), 1, []string{"--lookup:", "pass it as --membership"}},
	}
	pkg := regexp.MustCompile(`(^|: )(geo|nhs|overlap|ingest|store|teams|report|app|usage): `)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := exit(&errOut, run(context.Background(), &env{stdout: &out, stderr: &errOut}, tc.args))
			msg := errOut.String()
			if code != tc.code {
				t.Errorf("pcnmap %s: exit %d, want %d (stderr %q)", strings.Join(tc.args, " "), code, tc.code, msg)
			}
			if strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "pcnmap") {
				t.Errorf("pcnmap %s: stderr %q, want one line starting pcnmap", strings.Join(tc.args, " "), msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("pcnmap %s: stderr %q lacks %q", strings.Join(tc.args, " "), msg, w)
				}
			}
			// After "pcnmap: " or "pcnmap report: ", no "geo: ", "nhs: "…
			if _, rest, _ := strings.Cut(msg, ": "); pkg.FindString(rest) != "" {
				m := pkg.FindString(rest)
				t.Errorf("pcnmap %s: stderr %q has the package prefix %q", strings.Join(tc.args, " "), msg, m)
			}
		})
	}
}

// TestHelp: --help, -h and help print the usage on stdout and exit 0, for every command.
func TestHelp(t *testing.T) {
	cases := [][]string{{"--help"}, {"help"}, {"-h"}, {"teams", "--help"}, {"tiles", "--help"}}
	for _, c := range commands {
		if c.name != "version" {
			cases = append(cases, []string{c.name, "--help"})
		}
	}
	for _, c := range teamCommands {
		cases = append(cases, []string{"teams", c.name, "--help"})
	}
	cases = append(cases, []string{"tiles", "export", "-h"})
	for _, args := range cases {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := exit(&errOut, run(context.Background(), &env{stdout: &out, stderr: &errOut}, args))
			if code != 0 || errOut.Len() != 0 || !strings.Contains(out.String(), "Usage: pcnmap") {
				t.Errorf("pcnmap %s: exit %d, stdout %.60q…, stderr %q; want the usage on stdout and exit 0", strings.Join(args, " "), code, out.String(), errOut.String())
			}
		})
	}
	var out bytes.Buffer
	if err := run(context.Background(), &env{stdout: &out, stderr: &out}, []string{"--help"}); err != nil || !strings.Contains(out.String(), "suggest") {
		t.Errorf("pcnmap --help = %v, and its list of commands lacks teams suggest:\n%s", err, out.String())
	}
}

func TestSuggest(t *testing.T) {
	names := []string{"db", "threshold", "release", "out", "format", "teams"}
	tests := map[string]string{"treshold": "threshold", "thresold": "threshold", "thresh": "threshold", "relase": "release", "ot": "out", "bd": "db", "x": "", "banana": "", "fromat": "format"}
	for in, want := range tests {
		if got := suggest(in, names); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}
