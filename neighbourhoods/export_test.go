package neighbourhoods

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// The export's profile columns: the IMD's, then each domain's only when some neighbourhood has it,
// with a neighbourhood lacking it written without the properties (GeoJSON) or NULL (GeoPackage).
// The fixture has no employment decile, so the employment columns are tested here.
func TestExportDomainColumns(t *testing.T) {
	emp := &Deprivation{Core20: 0.25, Unknown: 0.1}
	emp.Deciles[0], emp.Deciles[1], emp.Deciles[9] = 0.123456, 0.126544, 0.65
	a := &Assessment{Set: "s", Band: Band{Min: 30000, Max: 50000}, Neighbourhoods: []NeighbourhoodFigures{
		{Name: "A", Registered: 40000, Urban: -1, Employment: emp},
		{Name: "B", Registered: 20000, Urban: -1},
	}}
	var names []string
	for _, c := range columns(a) {
		names = append(names, c.field.Name)
	}
	if slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "imd_") || strings.HasPrefix(n, "income_") }) {
		t.Errorf("columns %v: IMD or income columns without their deciles", names)
	}
	i := slices.Index(names, "employment_core20")
	want := []string{"employment_core20", "employment_1", "employment_2", "employment_3", "employment_4", "employment_5",
		"employment_6", "employment_7", "employment_8", "employment_9", "employment_10", "employment_unknown"}
	if i < 0 || !slices.Equal(names[i:min(len(names), i+len(want))], want) {
		t.Fatalf("columns %v, want %v among them", names, want)
	}

	var buf bytes.Buffer
	if err := WriteGeoJSON(&buf, a, nil); err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(buf.Bytes(), &fc); err != nil {
		t.Fatal(err)
	}
	p := fc.Features[0].Properties
	for k, v := range map[string]float64{"employment_core20": 0.25, "employment_1": 0.1235, "employment_2": 0.1265, "employment_10": 0.65, "employment_unknown": 0.1} {
		if p[k] != v {
			t.Errorf("A: %s = %v, want %v", k, p[k], v)
		}
	}
	for k := range fc.Features[1].Properties {
		if strings.HasPrefix(k, "employment_") {
			t.Errorf("B has no employment deciles but %s = %v", k, fc.Features[1].Properties[k])
		}
	}
	l := Layer(a, nil)
	if v := l.Rows[1].Values[slices.Index(names, "employment_core20")]; v != nil {
		t.Errorf("B: employment_core20 in the GeoPackage = %v, want NULL", v)
	}
}
