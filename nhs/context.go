package nhs

import (
	"io"
	"strings"
)

// A context layout is one kind of context file, recognised by its columns. Column patterns use '#'
// for a digit, so that CCG20CD and CCG21CD both match "ccg##cd".
type contextLayout struct {
	name     string
	required []string // normalised column names or patterns
	// units lists what each row yields: classifications (LSOA → unit) or hierarchies (unit → parent).
	units []contextUnit
	// filter, if set, is a column and the value (case-insensitive) a row needs to be used; other
	// rows are counted in Context.Skipped.
	filter [2]string
}

// contextUnit says which columns give one classification or hierarchy. For a classification, key is
// the LSOA column; for a hierarchy, the child unit's code column. A code column of "" means the
// name doubles as the code (the LSOA → MSOA lookup's REGION has no code).
type contextUnit struct {
	from, to   Kind // from is KindUnset for a classification
	key        string
	code, name string
	// rurality derives Unit.Code "Urban"/"Rural" from the column code (urban_rural).
	rurality bool
}

var contextLayouts = []contextLayout{
	{
		name:     "lsoa11-msoa11-lookup (LSOA_CODE, LAD_CODE, LAD_NAME, REGION)",
		required: []string{"lsoa_code", "lad_code", "lad_name", "region"},
		units: []contextUnit{
			{to: KindLA, key: "lsoa_code", code: "lad_code", name: "lad_name"},
			{to: KindRegion, key: "lsoa_code", code: "region_code?", name: "region"},
		},
	},
	{
		name:     "lsoa11-ccg20-lad20-lookup (LSOA11CD, CCG20CD, CCG20NM, LAD20CD, LAD20NM)",
		required: []string{"lsoa##cd", "ccg##cd", "ccg##nm", "lad##cd", "lad##nm"},
		units: []contextUnit{
			{to: KindCCG, key: "lsoa##cd", code: "ccg##cd", name: "ccg##nm"},
			{to: KindLA, key: "lsoa##cd", code: "lad##cd", name: "lad##nm"},
		},
	},
	{
		name:     "lsoa11-sub-icb-2022-lookup (lsoa_code, region, region_code, region_type; SICBL rows)",
		required: []string{"lsoa_code", "region", "region_code", "region_type"},
		units: []contextUnit{
			{to: KindSubICB, key: "lsoa_code", code: "region_code", name: "region"},
		},
		filter: [2]string{"region_type", "SICBL"},
	},
	{
		name:     "sub-icb-icb-region-2022-lookup (LOC22CD, LOC22NM, ICB22CD, ICB22NM, NHSER22CD, NHSER22NM)",
		required: []string{"loc##cd", "icb##cd", "icb##nm", "nhser##cd", "nhser##nm"},
		units: []contextUnit{
			{from: KindSubICB, to: KindICB, key: "loc##cd", code: "icb##cd", name: "icb##nm"},
			{from: KindSubICB, to: KindNHSRegion, key: "loc##cd", code: "nhser##cd", name: "nhser##nm"},
		},
	},
	{
		name:     "ccg20-stp20-lookup (CCG20CD, STP20CD, STP20NM)",
		required: []string{"ccg##cd", "stp##cd", "stp##nm"},
		units: []contextUnit{
			{from: KindCCG, to: KindSTP, key: "ccg##cd", code: "stp##cd", name: "stp##nm"},
		},
	},
	{
		name:     "lsoa11-ruc11-england (LSOA11CD, RUC11, urban_rural)",
		required: []string{"lsoa##cd", "ruc##", "urban_rural"},
		units: []contextUnit{
			{to: KindRurality, key: "lsoa##cd", code: "urban_rural", name: "ruc##", rurality: true},
		},
	},
}

// ReadContext reads one of the ONS/NHS context files (plain, .gz or .zip), recognised by its header:
// the LSOA → MSOA lookup (local authority and region), LSOA → CCG → local authority, LSOA → Sub-ICB
// (rows with region_type SICBL; Welsh health boards are skipped and counted), Sub-ICB → ICB → NHS
// region, CCG → STP, and the rural-urban classification. An LSOA or unit given two different
// parents is ErrConflict naming both lines; an unrecognised header is ErrUnknownLayout.
func ReadContext(path string) (*Context, error) {
	return readFile(path, func(c *columns) error { _, err := matchContext(c); return err },
		func(in *input) (*Context, error) { return readContext(in.r, in.name, in.rows) },
		func(c *Context) *string { return &c.Source })
}

// resolved is a contextUnit with its columns found.
type resolved struct {
	contextUnit
	key, code, name int // code -1: use the name
}

type matchedLayout struct {
	layout *contextLayout
	units  []resolved
	filter int
}

// col finds a column by exact normalised name or '#' pattern; a trailing '?' marks it optional.
func (c *columns) col(pattern string) int {
	pattern = strings.TrimSuffix(pattern, "?")
	if strings.Contains(pattern, "#") {
		return c.like(pattern)
	}
	for i, h := range c.norm {
		if h == pattern {
			return i
		}
	}
	return -1
}

func matchContext(c *columns) (*matchedLayout, error) {
	for li := range contextLayouts {
		l := &contextLayouts[li]
		ok := true
		for _, r := range l.required {
			if c.col(r) < 0 {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		m := &matchedLayout{layout: l, filter: -1}
		for _, u := range l.units {
			m.units = append(m.units, resolved{contextUnit: u, key: c.col(u.key), code: c.col(u.code), name: c.col(u.name)})
		}
		if l.filter[0] != "" {
			m.filter = c.col(l.filter[0])
		}
		return m, nil
	}
	names := make([]string, len(contextLayouts))
	for i, l := range contextLayouts {
		names[i] = l.name
	}
	return nil, errorf(c.name, 1, ErrUnknownLayout, "unrecognised columns %s; accepted layouts: %s",
		strings.Join(quoteAll(c.header), ", "), strings.Join(names, "; "))
}

// readContext is ReadContext on an opened stream; hint estimates the number of rows.
func readContext(r io.Reader, name string, hint int) (*Context, error) {
	cr := newCSVReader(r, name)
	header, err := cr.header()
	if err != nil {
		return nil, err
	}
	m, err := matchContext(newColumns(name, header))
	if err != nil {
		return nil, err
	}
	ctx := &Context{Source: name}
	maps := make([]map[string]Unit, len(m.units))
	lines := make([]map[string]int, len(m.units))
	for i, u := range m.units {
		maps[i], lines[i] = make(map[string]Unit, hint), make(map[string]int, hint)
		if u.from == KindUnset {
			ctx.Classifications = append(ctx.Classifications, Classification{Kind: u.to, LSOA: maps[i]})
		} else {
			ctx.Hierarchies = append(ctx.Hierarchies, Hierarchy{From: u.from, To: u.to, Parent: maps[i]})
		}
	}
	for {
		f, err := cr.row(len(header))
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if m.filter >= 0 && !strings.EqualFold(field(f, m.filter), m.layout.filter[1]) {
			ctx.Skipped++
			continue
		}
		for i, u := range m.units {
			key := field(f, u.key)
			if key == "" {
				return nil, errorf(name, cr.line, ErrInvalidValue, "column %q is empty", header[u.key])
			}
			unit := Unit{Name: field(f, u.name)}
			if u.code >= 0 {
				unit.Code = field(f, u.code)
			} else {
				unit.Code = unit.Name
			}
			if u.rurality {
				switch {
				case strings.EqualFold(unit.Code, "Urban"):
					unit.Code = "Urban"
				case strings.EqualFold(unit.Code, "Rural"):
					unit.Code = "Rural"
				default:
					return nil, errorf(name, cr.line, ErrInvalidValue, "%s: column %q: %q is neither Urban nor Rural",
						key, header[u.code], unit.Code)
				}
			}
			if unit.Code == "" {
				col := u.name
				if u.code >= 0 {
					col = u.code
				}
				return nil, errorf(name, cr.line, ErrInvalidValue, "%s: column %q is empty", key, header[col])
			}
			if prev, ok := maps[i][key]; ok {
				if prev != unit {
					return nil, errorf(name, cr.line, ErrConflict, "%s: %s %s (%s) differs from %s (%s) on line %d",
						key, u.to, unit.Code, unit.Name, prev.Code, prev.Name, lines[i][key])
				}
				continue
			}
			maps[i][key] = unit
			lines[i][key] = cr.line
		}
	}
	return ctx, nil
}
