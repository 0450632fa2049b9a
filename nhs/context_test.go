package nhs

import (
	"bytes"
	"fmt"
	"slices"
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

// welshHealthBoards are three rows of the national LSOA → Sub-ICB lookup (lsoa11-sub-icb-2022-lookup.csv)
// as published: Welsh LSOAs under their health boards (region_type LHB), which the fixture, cut to
// English local authorities, lacks.
const welshHealthBoards = "Isle of Anglesey 006B,W01000012,Betsi Cadwaladr University Health Board,W11000023,LHB\n" +
	"Powys 013C,W01000456,Powys Teaching Health Board,W11000024,LHB\n" +
	"Powys 008A,W01000480,Powys Teaching Health Board,W11000024,LHB\n"

// TestReadContextExtracts reads the fixture's context files, and the variants of them the publishers
// also ship, built here: the rural-urban file with the CRLF line ends of the national file, and the
// Sub-ICB lookup with Welsh health boards. The sizes are nhs/testdata/count.py's over the fixture
// files (rows, and distinct codes of each unit column: 443 LSOAs in 3 local authorities, 3 CCGs and 3
// Sub-ICB locations, 2 regions, 4 rural-urban classes (2 of them urban); 106 Sub-ICB locations in 42 ICBs and 7 NHS
// regions; 135 CCGs in 42 STPs; 10 IMD deciles, E01006187 in the 4th).
func TestReadContextExtracts(t *testing.T) {
	crlf := func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")) }
	welsh := func(b []byte) []byte { return append(b, welshHealthBoards...) }
	// A Welsh row of the national LSOA → MSOA lookup as published: the English IMD has no decile for
	// it, and the Library wrote "Wales".
	welshLookup := func(b []byte) []byte {
		return append(b, "W01000456,W02000109,W07000068,Brecon and Radnorshire,W06000023,Powys,Mid Wales,Wales,Wales,Wales\n"...)
	}
	tests := map[string]struct {
		file, sample string
		variant      func([]byte) []byte // nil: the fixture file as it is
		want         string
	}{
		"LSOA → MSOA lookup": {"lsoa-msoa-lookup.csv", "E01006187", nil,
			"la 443/3 {E08000009 Trafford}; region 443/2 {North West North West}; imd-income 443/10 {4 4}; imd 443/10 {4 4}; skipped 0"},
		"LSOA → CCG → LA": {"lsoa-ccg-lad.csv", "E01006187", nil,
			"ccg 443/3 {E38000187 NHS Trafford CCG}; la 443/3 {E08000009 Trafford}; skipped 0"},
		"LSOA → Sub-ICB": {"lsoa-sub-icb.csv", "E01006187", nil,
			"sub-icb 443/3 {E38000187 NHS Greater Manchester ICB - 02A}; skipped 0"},
		"LSOA → Sub-ICB with Welsh health boards": {"lsoa-sub-icb.csv", "E01006187", welsh,
			"sub-icb 443/3 {E38000187 NHS Greater Manchester ICB - 02A}; skipped 3"},
		"Sub-ICB → ICB → region": {"sub-icb-icb.csv", "E38000187", nil,
			"sub-icb→icb 106/42 {E54000057 NHS Greater Manchester Integrated Care Board}; sub-icb→nhs-region 106/7 {E40000010 North West}; skipped 0"},
		"CCG → STP": {"ccg-stp.csv", "E38000187", nil,
			"ccg→stp 135/42 {E54000007 Greater Manchester Health and Social Care Partnership}; skipped 0"},
		"LSOA → MSOA lookup with a Welsh row (IMD \"Wales\")": {"lsoa-msoa-lookup.csv", "W01000456", welshLookup,
			"la 444/4 {W06000023 Powys}; region 444/3 {Wales Wales}; imd-income 443/10 { }; imd 443/10 { }; skipped 0"},
		"rural-urban": {"lsoa-ruc.csv", "E01006187", nil,
			"rurality 443/4 {Urban Urban major conurbation}; ruc 443/4 {A1 Urban major conurbation}; skipped 0"},
		"rural-urban, CRLF as published": {"lsoa-ruc.csv", "E01006187", crlf,
			"rurality 443/4 {Urban Urban major conurbation}; ruc 443/4 {A1 Urban major conurbation}; skipped 0"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			path := fixture(tt.file)
			if tt.variant != nil {
				path = writeTemp(t, tt.file, tt.variant(readFixture(t, tt.file)))
			}
			c, err := ReadContext(path)
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
			want:   "rurality 1/1 {Rural Rural village and dispersed}; ruc 1/1 {E1 Rural village and dispersed}; skipped 0",
		},
		"IMD decile, MHCLG's Indices of Deprivation 2019 (File 7 columns; the fixture's decile of E01006187)": {
			in: "LSOA code (2011),LSOA name (2011),Local Authority District code (2019),Local Authority District name (2019)," +
				"Index of Multiple Deprivation (IMD) Score,Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)," +
				"Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs),Income Score (rate)," +
				"Income Rank (where 1 is most deprived),Income Decile (where 1 is most deprived 10% of LSOAs)\n" +
				"E01006187,Trafford 017C,E08000009,Trafford,,,4,,,4\n",
			sample: "E01006187",
			want:   "imd 1/1 {4 4}; imd-income 1/1 {4 4}; skipped 0",
		},
		"IMD domains, MHCLG's columns: income and employment read, the IDACI and ranks not": {
			in: "LSOA code (2011),Income Rank (where 1 is most deprived),Income Decile (where 1 is most deprived 10% of LSOAs)," +
				"Employment Score (rate),Employment Decile (where 1 is most deprived 10% of LSOAs)," +
				"Income Deprivation Affecting Children Index (IDACI) Decile (where 1 is most deprived 10% of LSOAs)\n" +
				"E01006187,1234,5,0.1,06,2\n",
			sample: "E01006187",
			want:   "imd-income 1/1 {5 5}; imd-employment 1/1 {6 6}; skipped 0",
		},
		"IMD employment decile not a decile": {
			in:  "lsoa11cd,employment_decile\nE01006187,11\n",
			err: ErrInvalidValue, fragments: []string{"line 2", `column "employment_decile": "11" is not an IMD decile`},
		},
		"IMD decile, R copy with two vintages (the latest is read)": {
			in:     "lsoa11cd,imd15_decile,imd19_decile\nE01006187,3,04\n",
			sample: "E01006187",
			want:   "imd 1/1 {4 4}; skipped 0",
		},
		"RUC 2021 class codes and Urban_rural_flag": {
			in:     "LSOA21CD,LSOA21NM,RUC21CD,RUC21NM,Urban_rural_flag\nE01000001,City of London 001A,UN1,Urban: Nearer to a major town or city,Urban\n",
			sample: "E01000001",
			want:   "rurality 1/1 {Urban Urban: Nearer to a major town or city}; ruc 1/1 {UN1 Urban: Nearer to a major town or city}; skipped 0",
		},
		"IMD decile out of range": {
			in:  "LSOA_CODE,IMD_INCOME,IMD_OVERALL\nE01006187,4,11\n",
			err: ErrInvalidValue, fragments: []string{"line 2", `E01006187: column "IMD_OVERALL": "11" is not an IMD decile (1 … 10)`},
		},
		"IMD decile not a number for an English LSOA": {
			in:  "LSOA_CODE,IMD_OVERALL\nE01006187,Wales\n",
			err: ErrInvalidValue, fragments: []string{"line 2", `"Wales" is not an IMD decile`},
		},
		"IMD income decile alone is the income domain, not the IMD": {
			in:     "LSOA_CODE,IMD_INCOME\nE01006187,4\n",
			sample: "E01006187",
			want:   "imd-income 1/1 {4 4}; skipped 0",
		},
		"IMD income rank alone is nothing": {
			in:  "LSOA_CODE,IMD_INCOME_RANK\nE01006187,4\n",
			err: ErrUnknownLayout, fragments: []string{`unrecognised columns "LSOA_CODE", "IMD_INCOME_RANK"`, "IMD_OVERALL", "IMD_INCOME"},
		},
		"rural-urban class unknown": {
			in:  "LSOA11CD,RUC11CD,RUC11,urban_rural\nE01000001,Z9,Urban major conurbation,Urban\n",
			err: ErrInvalidValue, fragments: []string{"line 2", `column "RUC11CD": "Z9" is not a rural-urban class`},
		},
		"only Welsh health boards": {
			in:     "lsoa,lsoa_code,region,region_code,region_type\nx,W01000012,Betsi Cadwaladr University Health Board,W11000023,LHB\n",
			sample: "W01000012",
			want:   "sub-icb 0/0 { }; skipped 1",
		},
		"unknown layout": {
			in:  "LSOA11CD,IMD19\nE01000001,3\n",
			err: ErrUnknownLayout, fragments: []string{"line 1", `unrecognised columns "LSOA11CD", "IMD19"`, "LSOA21CD", "LAD_CURRENT_CD", "ICB24CDH", "icb24_code_nhs", "ward24_code"},
		},
		"one unit kind and no LSOA": {
			in:  "LAD22CD,LAD22NM\nE06000021,Stoke-on-Trent\n",
			err: ErrUnknownLayout, fragments: []string{`unrecognised columns "LAD22CD", "LAD22NM"`, "child → parent"},
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
	want := "unset region la ccg stp sub-icb icb nhs-region rurality ward imd ruc imd-income imd-employment unset"
	var got []string
	for k := KindUnset; k <= kindEnd; k++ {
		got = append(got, k.String())
	}
	if g := strings.Join(got, " "); g != want {
		t.Errorf("Kind.String() = %s, want %s", g, want)
	}
}

// TestReadContext2021Headers reads each context file of the 2021 era on its real header and first
// row, as the ONS geoportal, R copies and NHS England write them.
func TestReadContext2021Headers(t *testing.T) {
	tests := map[string]struct {
		in, sample string
		want       string
		aliases    string
	}{
		"LSOA 2021 → Sub-ICB → ICB, R copy (lsoa21_code, sicbl24_code_nhs)": {
			in:      "lsoa21_name,lsoa21_code,sicbl24_name,sicbl24_code,sicbl24_code_nhs,icb24_name,icb24_code,icb24_code_nhs\nStoke-on-Trent 002D,E01014360,NHS Staffordshire and Stoke-on-Trent ICB - 05W,E38000175,05W,NHS Staffordshire and Stoke-on-Trent Integrated Care Board,E54000010,QNC\n",
			sample:  "E01014360",
			want:    "sub-icb 1/1 {E38000175 NHS Staffordshire and Stoke-on-Trent ICB - 05W}; icb 1/1 {E54000010 NHS Staffordshire and Stoke-on-Trent Integrated Care Board}; skipped 0",
			aliases: "icb QNC=E54000010; sub-icb 05W=E38000175",
		},
		"LSOA 2021 → Sub-ICB → ICB, ONS geoportal (LSOA21CD, SICBL24CDH, ICB24CDH)": {
			in:      "LSOA21CD,LSOA21NM,SICBL24CD,SICBL24CDH,SICBL24NM,ICB24CD,ICB24CDH,ICB24NM,LAD24CD,LAD24NM,ObjectId\nE01014360,Stoke-on-Trent 002D,E38000175,05W,NHS Staffordshire and Stoke-on-Trent ICB - 05W,E54000010,QNC,NHS Staffordshire and Stoke-on-Trent Integrated Care Board,E06000021,Stoke-on-Trent,1\n",
			sample:  "E01014360",
			want:    "sub-icb 1/1 {E38000175 NHS Staffordshire and Stoke-on-Trent ICB - 05W}; icb 1/1 {E54000010 NHS Staffordshire and Stoke-on-Trent Integrated Care Board}; la 1/1 {E06000021 Stoke-on-Trent}; skipped 0",
			aliases: "icb QNC=E54000010; sub-icb 05W=E38000175",
		},
		"LSOA 2021 → ward 2024 → LTLA 2024 (ward24_code, ltla24_code)": {
			in:     "lsoa21_name,lsoa21_code,ward24_name,ward24_code,ltla24_name,ltla24_code\nStoke-on-Trent 002D,E01014360,Goldenhill & Sandyford,E05014571,Stoke-on-Trent,E06000021\n",
			sample: "E01014360",
			want:   "ward 1/1 {E05014571 Goldenhill & Sandyford}; la 1/1 {E06000021 Stoke-on-Trent}; skipped 0",
		},
		"LSOA 2021 → MSOA 2021 derived (LAD_CURRENT_CD, no name)": {
			in:     "LSOA21CD,LSOA21NM,MSOA21CD,MSOA21NM,LAD_CURRENT_CD\nE01014360,Stoke-on-Trent 002D,E02002952,Stoke-on-Trent 002,E06000021\n",
			sample: "E01014360",
			want:   "la 1/1 {E06000021 E06000021}; skipped 0",
		},
		"OA 2021 → LSOA → MSOA → LAD 2022 (lower case ONS)": {
			in:     "oa21cd,lsoa21cd,lsoa21nm,msoa21cd,msoa21nm,lad22cd,lad22nm\nE00024141,E01004771,Bolton 003C,E02000986,Bolton 003,E08000001,Bolton\nE00024142,E01004771,Bolton 003C,E02000986,Bolton 003,E08000001,Bolton\n",
			sample: "E01004771",
			want:   "la 1/1 {E08000001 Bolton}; skipped 0",
		},
		"LSOA 2011 → 2021 (ltla22_code; the 2021 code is the key)": {
			in:     "lsoa11_name,lsoa11_code,change_code,lsoa21_name,lsoa21_code,ltla22_name,ltla22_code\nStoke-on-Trent 002D,E01014360,U,Stoke-on-Trent 002D,E01014360,Stoke-on-Trent,E06000021\nBirmingham 050F,E01033620,S,Birmingham 050I,E01035011,Birmingham,E08000025\n",
			sample: "E01035011",
			want:   "la 2/2 {E08000025 Birmingham}; skipped 0",
		},
		"practice mapping file 2025-10: Sub-ICB → ICB → NHS region, NHS codes first": {
			in:      "PUBLICATION,EXTRACT_DATE,PRACTICE_CODE,PRACTICE_NAME,PRACTICE_POSTCODE,PCN_CODE,PCN_NAME,ONS_SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_NAME,ONS_ICB_CODE,ICB_CODE,ICB_NAME,ONS_COMM_REGION_CODE,COMM_REGION_CODE,COMM_REGION_NAME,SUPPLIER_NAME\nGP_PRAC_PAT_LIST,01Oct2025,C81018,DOVE RIVER,DE13 9NA,U57641,EAST STAFFORDSHIRE PCN,E38000053,05D,NHS Staffordshire and Stoke-on-Trent ICB - 05D,E54000010,QNC,NHS Staffordshire and Stoke-on-Trent Integrated Care Board,E40000011,Y60,Midlands,EMIS\n",
			sample:  "E38000053",
			want:    "sub-icb→icb 1/1 {E54000010 NHS Staffordshire and Stoke-on-Trent Integrated Care Board}; sub-icb→nhs-region 1/1 {E40000011 Midlands}; skipped 0",
			aliases: "icb QNC=E54000010; nhs-region Y60=E40000011; sub-icb 05D=E38000053",
		},
		"RUC 2011 class codes without urban_rural": {
			in:     "LSOA11CD,LSOA11NM,RUC11CD,RUC11NM\nE01000001,City of London 001A,A1,Urban major conurbation\nE01000002,x,E2,Rural village and dispersed in a sparse setting\n",
			sample: "E01000002",
			want:   "rurality 2/2 {Rural Rural village and dispersed in a sparse setting}; ruc 2/2 {E2 Rural village and dispersed in a sparse setting}; skipped 0",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := readContext(strings.NewReader(tt.in), "context.csv", 0)
			if err != nil {
				t.Fatalf("readContext: %v", err)
			}
			if got := describeContext(c, tt.sample); got != tt.want {
				t.Errorf("readContext = %s\nwant          %s", got, tt.want)
			}
			if got := describeAliases(c); got != tt.aliases {
				t.Errorf("aliases = %q, want %q", got, tt.aliases)
			}
		})
	}
}

func describeAliases(c *Context) string {
	var parts []string
	for k, m := range c.Aliases {
		for a, code := range m {
			parts = append(parts, fmt.Sprintf("%s %s=%s", k, a, code))
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, "; ")
}

func TestIMDDecile(t *testing.T) {
	tests := map[string]bool{
		"IMD_OVERALL": true, "IMD_Decile": true, "imd19_decile": true, "IMD2019_Decile": true, "imd_decile_2019": true,
		"IMDDecile": true, "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)": true,
		"IMD_INCOME": false, "IMD19": false, "IMD Rank": false, "Index of Multiple Deprivation (IMD) Score": false,
		"Income Decile (where 1 is most deprived 10% of LSOAs)": false, "imd_health_decile": false, "decile": false,
	}
	for name, want := range tests {
		if got := imdDecile(normColumn(name)); got != want {
			t.Errorf("imdDecile(%q) = %v, want %v", name, got, want)
		}
	}
}
