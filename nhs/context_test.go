package nhs

import (
	"fmt"
	"strings"
	"testing"
)

// describeContext lists what a Context holds: each classification or hierarchy with its size, its
// number of distinct units, and one sample entry.
func describeContext(c *Context, sample string) string {
	var parts []string
	for _, cl := range c.Classifications {
		units := map[Unit]bool{}
		for _, u := range cl.LSOA {
			units[u] = true
		}
		parts = append(parts, fmt.Sprintf("%s %d/%d %v", cl.Kind, len(cl.LSOA), len(units), cl.LSOA[sample]))
	}
	for _, h := range c.Hierarchies {
		units := map[Unit]bool{}
		for _, u := range h.Parent {
			units[u] = true
		}
		parts = append(parts, fmt.Sprintf("%s→%s %d/%d %v", h.From, h.To, len(h.Parent), len(units), h.Parent[sample]))
	}
	return strings.Join(parts, "; ") + fmt.Sprintf("; skipped %d", c.Skipped)
}

func TestReadContextExtracts(t *testing.T) {
	tests := map[string]struct {
		file, sample string
		want         string
	}{
		"LSOA → MSOA lookup": {"lsoa11-msoa11-lookup-trafford.csv", "E01006187",
			"la 141/3 {E08000009 Trafford}; region 141/2 {North West North West}; skipped 0"},
		"LSOA → CCG → LA": {"lsoa11-ccg20-lad20-lookup-trafford.csv", "E01006187",
			"ccg 138/1 {E38000187 NHS Trafford CCG}; la 138/1 {E08000009 Trafford}; skipped 0"},
		"LSOA → Sub-ICB": {"lsoa11-sub-icb-2022-lookup-trafford.csv", "E01006187",
			"sub-icb 138/1 {E38000187 NHS Greater Manchester ICB - 02A}; skipped 3"},
		"Sub-ICB → ICB → region": {"sub-icb-icb-region-2022-lookup-gm.csv", "E38000187",
			"sub-icb→icb 10/1 {E54000057 NHS Greater Manchester Integrated Care Board}; sub-icb→nhs-region 10/1 {E40000010 North West}; skipped 0"},
		"CCG → STP": {"ccg20-stp20-lookup-gm.csv", "E38000187",
			"ccg→stp 10/1 {E54000007 Greater Manchester Health and Social Care Partnership}; skipped 0"},
		"rural-urban": {"lsoa11-ruc11-trafford.csv", "E01006187",
			"rurality 138/3 {Urban Urban major conurbation}; skipped 0"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := ReadContext("testdata/" + tt.file)
			if err != nil {
				t.Fatalf("ReadContext(%s): %v", tt.file, err)
			}
			if got := describeContext(c, tt.sample); got != tt.want {
				t.Errorf("ReadContext(%s) = %s, want %s", tt.file, got, tt.want)
			}
			if c.Source != tt.file {
				t.Errorf("ReadContext(%s).Source = %q", tt.file, c.Source)
			}
		})
	}
}

func TestReadContextVariants(t *testing.T) {
	tests := map[string]struct {
		in, sample string
		want       string
		err        error
		fragments  []string
	}{
		"region code column used when present": {
			in:     "LSOA_CODE,LAD_CODE,LAD_NAME,REGION,REGION_CODE\nE01000001,E09000001,City of London,London,E12000007\n",
			sample: "E01000001",
			want:   "la 1/1 {E09000001 City of London}; region 1/1 {E12000007 London}; skipped 0",
		},
		"2021 CCG and LAD codes": {
			in:     "LSOA11CD,CCG21CD,CCG21NM,LAD21CD,LAD21NM\nE01000001,E38000255,NHS NEL,E09000001,City\n",
			sample: "E01000001",
			want:   "ccg 1/1 {E38000255 NHS NEL}; la 1/1 {E09000001 City}; skipped 0",
		},
		"rurality case folded": {
			in:     "LSOA11CD,RUC11CD,RUC11,urban_rural\nE01000001,E1,Rural village and dispersed,rural\n",
			sample: "E01000001",
			want:   "rurality 1/1 {Rural Rural village and dispersed}; skipped 0",
		},
		"only Welsh health boards": {
			in:     "lsoa,lsoa_code,region,region_code,region_type\nx,W01000012,Betsi Cadwaladr University Health Board,W11000023,LHB\n",
			sample: "W01000012",
			want:   "sub-icb 0/0 { }; skipped 1",
		},
		"unknown layout": {
			in:  "LSOA11CD,IMD19\nE01000001,3\n",
			err: ErrUnknownLayout, fragments: []string{"line 1", `unrecognised columns "LSOA11CD", "IMD19"`, "lsoa11-ruc11-england", "ccg20-stp20-lookup"},
		},
		"rurality not Urban or Rural": {
			in:  "LSOA11CD,RUC11CD,RUC11,urban_rural\nE01000001,A1,Urban major conurbation,Town\n",
			err: ErrInvalidValue, fragments: []string{"line 2", `"Town" is neither Urban nor Rural`},
		},
		"LSOA in two local authorities": {
			in:  "LSOA_CODE,LAD_CODE,LAD_NAME,REGION\nE01000001,E09000001,City,London\nE01000001,E09000002,Barking,London\n",
			err: ErrConflict, fragments: []string{"line 3", "E01000001: la E09000002 (Barking) differs from E09000001 (City) on line 2"},
		},
		"empty unit code": {
			in:  "CCG20CD,STP20CD,STP20NM\nE38000016,,Greater Manchester\n",
			err: ErrInvalidValue, fragments: []string{"line 2", `E38000016: column "STP20CD" is empty`},
		},
		"empty key": {
			in:  "CCG20CD,STP20CD,STP20NM\n,E54000007,Greater Manchester\n",
			err: ErrInvalidValue, fragments: []string{"line 2", `column "CCG20CD" is empty`},
		},
		"wrong field count": {
			in:  "CCG20CD,STP20CD,STP20NM\nE38000016,E54000007\n",
			err: ErrMalformed, fragments: []string{"line 2"},
		},
		"empty": {in: "\n\n", err: ErrMalformed, fragments: []string{"empty file"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := readContext(strings.NewReader(tt.in), "context.csv", 0)
			if !checkErr(t, "readContext("+name+")", err, tt.err, tt.fragments...) {
				return
			}
			if got := describeContext(c, tt.sample); got != tt.want {
				t.Errorf("readContext(%s) = %s, want %s", name, got, tt.want)
			}
		})
	}
}

func TestKindString(t *testing.T) {
	want := "unset region la ccg stp sub-icb icb nhs-region rurality unset"
	var got []string
	for k := KindUnset; k <= KindRurality+1; k++ {
		got = append(got, k.String())
	}
	if g := strings.Join(got, " "); g != want {
		t.Errorf("Kind.String() = %s, want %s", g, want)
	}
}
