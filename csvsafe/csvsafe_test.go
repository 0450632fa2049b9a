package csvsafe

import (
	"bytes"
	"encoding/csv"
	"testing"
)

func TestCell(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"formula":         {"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		"plus formula":    {"+1+1", "'+1+1"},
		"minus formula":   {"-2+3", "'-2+3"},
		"at":              {"@SUM(A1)", "'@SUM(A1)"},
		"tab":             {"\t=1", "'\t=1"},
		"carriage return": {"\r=1", "'\r=1"},
		"negative number": {"-2.3", "-2.3"},
		"positive number": {"+5", "+5"},
		"exponent":        {"-1e5", "'-1e5"},
		"infinity":        {"-Inf", "'-Inf"},
		"plain text":      {"Central", "Central"},
		"empty":           {"", ""},
		"equals inside":   {"a=b", "a=b"},
		"just a minus":    {"-", "'-"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Cell(tc.in); got != tc.want {
				t.Errorf("Cell(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestWriter: what a Writer writes reads back (with encoding/csv) as the inert cells.
func TestWriter(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	rec := []string{"=1+1", "-2.3", "North, \"West\""}
	if err := w.WriteAll([][]string{rec}); err != nil {
		t.Fatal(err)
	}
	got, err := csv.NewReader(&b).Read()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"'=1+1", "-2.3", "North, \"West\""}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("cell %d read back %q, want %q", i, got[i], want[i])
		}
	}
	if rec[0] != "=1+1" {
		t.Errorf("Write modified its record: %q", rec[0])
	}
}
