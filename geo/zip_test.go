package geo

import (
	"errors"
	"path"
	"strings"
	"testing"
)

// TestZipShapefile: what a shapefile zip may hold, member by member, before anything is inflated.
func TestZipShapefile(t *testing.T) {
	parts := func(base string, exts ...string) []zipEntry {
		var out []zipEntry
		for _, e := range exts {
			out = append(out, zipEntry{Name: base + e, Size: 100})
		}
		return out
	}
	one := parts("teams", ".shp", ".shx", ".dbf", ".prj")
	with := func(extra ...zipEntry) []zipEntry { return append(append([]zipEntry(nil), one...), extra...) }
	tests := map[string]struct {
		entries []zipEntry
		opt     ReadOptions
		want    error // nil: accepted
		base    string
	}{
		"one shapefile":             {entries: one, base: "teams"},
		"in a folder":               {entries: append(parts("patches/teams", ".shp", ".shx", ".dbf", ".cpg"), zipEntry{Name: "patches/", Dir: true}), base: "patches/teams"},
		"upper-case extensions":     {entries: parts("TEAMS", ".SHP", ".SHX", ".DBF", ".PRJ"), base: "TEAMS"},
		"indexes and metadata":      {entries: with(parts("teams", ".qix", ".sbn", ".sbx", ".shp.xml")...), base: "teams"},
		"macOS metadata":            {entries: with(zipEntry{Name: "__MACOSX/._teams.shp", Size: 10}, zipEntry{Name: "._teams.dbf", Size: 10}), base: "teams"},
		"layer picks one of two":    {entries: with(parts("other", ".shp", ".shx", ".dbf")...), opt: ReadOptions{Layer: "other"}, base: "other"},
		"two shapefiles":            {entries: with(parts("other", ".shp", ".shx", ".dbf")...), want: ErrLayer},
		"no .shp":                   {entries: parts("teams", ".dbf", ".shx"), want: ErrMissingPart},
		"parent directory":          {entries: with(zipEntry{Name: "../teams.cpg", Size: 1}), want: ErrZipMember},
		"parent inside":             {entries: parts("a/../../teams", ".shp", ".shx", ".dbf"), want: ErrZipMember},
		"absolute":                  {entries: parts("/tmp/teams", ".shp", ".shx", ".dbf"), want: ErrZipMember},
		"drive letter":              {entries: parts("C:teams", ".shp", ".shx", ".dbf"), want: ErrZipMember},
		"backslash":                 {entries: parts(`a\teams`, ".shp", ".shx", ".dbf"), want: ErrZipMember},
		"dot element":               {entries: parts("./teams", ".shp", ".shx", ".dbf"), want: ErrZipMember},
		"no file name in a folder":  {entries: parts("A/", ".shp", ".shx", ".dbf"), want: ErrZipMember},
		"no file name":              {entries: parts("", ".shp", ".shx", ".dbf"), want: ErrZipMember},
		"empty element":             {entries: parts("a//teams", ".shp", ".shx", ".dbf"), want: ErrZipMember},
		"control character":         {entries: with(zipEntry{Name: "teams\n.cpg"}), want: ErrZipMember},
		"unexpected member":         {entries: with(zipEntry{Name: "readme.txt", Size: 10}), want: ErrZipMember},
		"a part of no shapefile":    {entries: with(zipEntry{Name: "other.dbf", Size: 10}), want: ErrZipMember},
		"a part in another folder":  {entries: with(zipEntry{Name: "old/teams.dbf", Size: 10}), want: ErrZipMember},
		"nested folder of files":    {entries: with(parts("deep/nested/x", ".shp", ".dbf")...), want: ErrLayer},
		"same name twice":           {entries: with(zipEntry{Name: "TEAMS.dbf", Size: 10}), want: ErrZipMember},
		"bomb":                      {entries: with(zipEntry{Name: "teams.cpg", Size: 3 << 30}), want: ErrTooLarge},
		"bomb under a small limit":  {entries: one, opt: ReadOptions{MaxUncompressed: 399}, want: ErrTooLarge},
		"exactly at a small limit":  {entries: one, opt: ReadOptions{MaxUncompressed: 400}, base: "teams"},
		"sizes that overflow":       {entries: with(zipEntry{Name: "teams.cpg", Size: 1<<64 - 50}), want: ErrTooLarge},
		"too many members":          {entries: with(make([]zipEntry, maxZipMembers)...), want: ErrZipMember},
		"empty name":                {entries: with(zipEntry{Name: ""}), want: ErrZipMember},
		"extension only":            {entries: with(zipEntry{Name: ".shp"}), want: ErrZipMember},
		"directory entry traversal": {entries: with(zipEntry{Name: "../", Dir: true}), want: ErrZipMember},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			base, err := zipShapefile(tc.entries, tc.opt)
			switch {
			case tc.want == nil && (err != nil || base != tc.base):
				t.Errorf("zipShapefile = %q, %v; want %q", base, err, tc.base)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Errorf("zipShapefile = %q, %v; want %v", base, err, tc.want)
			}
		})
	}
}

// TestReadZipRefused: a zip with a member out of place is refused through ReadFile, naming the
// file and the member.
func TestReadZipRefused(t *testing.T) {
	read := readZipOf(map[string]string{"tiny-bng.shp": "x.shp", "tiny-bng.shx": "x.shx", "tiny-bng.dbf": "x.dbf", "tiny-bng.prj": "../x.prj"})
	_, err := read(t)
	if !errors.Is(err, ErrZipMember) || !strings.Contains(err.Error(), "bad.zip") || !strings.Contains(err.Error(), "../x.prj") {
		t.Errorf("ReadFile of a zip with ../x.prj = %v, want ErrZipMember naming bad.zip and the member", err)
	}
}

// FuzzZipShapefile: any list of member names is judged without panicking, and an accepted one names
// a .shp of the list by a plain relative path.
func FuzzZipShapefile(f *testing.F) {
	f.Add("teams.shp\nteams.shx\nteams.dbf\nteams.prj", uint64(100), "")
	f.Add("a/teams.shp\na/teams.dbf\n__MACOSX/._x\na/", uint64(1), "")
	f.Add("../x.shp\nx.dbf", uint64(1), "")
	f.Add("x.shp\ny.shp\ny.dbf", uint64(5), "y")
	f.Add("C:\\x.shp", uint64(1<<40), "")
	f.Fuzz(func(t *testing.T, names string, size uint64, layer string) {
		var entries []zipEntry
		for n := range strings.SplitSeq(names, "\n") {
			entries = append(entries, zipEntry{Name: n, Size: size, Dir: strings.HasSuffix(n, "/")})
		}
		base, err := zipShapefile(entries, ReadOptions{Layer: layer, MaxUncompressed: 1 << 20})
		if err != nil {
			return
		}
		if strings.Contains(base, "\\") || strings.HasPrefix(base, "/") || path.Clean(base) != base || strings.HasPrefix(base, "..") {
			t.Fatalf("accepted base %q is not a plain relative path", base)
		}
		found := false
		for _, e := range entries {
			if strings.EqualFold(e.Name, base+".shp") {
				found = true
			}
		}
		if !found {
			t.Fatalf("accepted base %q has no .shp among %q", base, names)
		}
		if uint64(len(entries))*size > 1<<20 && size > 0 && len(entries) > 0 {
			t.Fatalf("accepted %d members of %d bytes over a 1 MiB limit", len(entries), size)
		}
	})
}
