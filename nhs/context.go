package nhs

import (
	"io"
	"slices"
	"strconv"
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

// contextLayouts are the files whose columns alone would be misread by family: the LSOA → Sub-ICB
// lookup of 2022 calls its Sub-ICB columns "region" and mixes in Welsh health boards. Every other
// context file is read by the families of its columns (see families.go).
var contextLayouts = []contextLayout{
	{
		name:     "lsoa11-sub-icb-2022-lookup (lsoa_code, region, region_code, region_type; SICBL rows)",
		required: []string{"lsoa_code", "region", "region_code", "region_type"},
		units: []contextUnit{
			{to: KindSubICB, key: "lsoa_code", code: "region_code", name: "region"},
		},
		filter: [2]string{"region_type", "SICBL"},
	},
}

// ReadContext reads an ONS/NHS context file (plain, .gz or .zip). What it gives is decided from its
// columns' families: with an LSOA code column (of either census), each unit family present (local
// authority, ward, CCG, Sub-ICB, ICB, STP, NHS region, region, rural-urban class, IMD decile) becomes
// an LSOA → unit classification (the rural-urban columns give two: KindRurality, Urban or Rural, and
// KindRUC, the class code; an IMD decile must be 1 … 10, except for a Welsh LSOA, which is left
// without one); without one, the finest unit family is the child of the coarser ones (Sub-ICB
// → ICB → NHS region, CCG → STP). A unit's code is its ONS code when the file has one, and its NHS
// three-letter code (…CDH, …_code_nhs) becomes an alias. The LSOA → Sub-ICB lookup of 2022 (rows
// with region_type SICBL; Welsh health boards are skipped and counted) is recognised by its layout.
// An LSOA or unit given two different parents is ErrConflict naming both lines; a header with no
// usable family is ErrUnknownLayout naming the columns found and the families accepted.
func ReadContext(path string) (*Context, error) {
	return readFile(path, func(c *columns) error { _, err := matchContext(c); return err },
		func(in *input) (*Context, error) { return readContext(in.r, in.name, in.rows) },
		func(c *Context) *string { return &c.Source })
}

// resolved is a contextUnit with its columns found.
type resolved struct {
	contextUnit
	key, code, name int // code -1: use the name
	// alts are other code columns of the unit (the NHS code beside the ONS one): after the first
	// row, the column holding ONS-style codes becomes code and the others give aliases.
	alts []int
	// rucCode derives Urban/Rural from an RUC11 class code (A1 … E2) when there is no urban_rural.
	rucCode bool
	// imd reads the code as an IMD decile, 1 … 10 (KindIMD and its domains); ruc as a rural-urban class code (KindRUC).
	imd, ruc bool
}

type matchedLayout struct {
	layout *contextLayout
	units  []resolved
	filter int
	// keyKind and keyAlts: for a file of child → parent units, the child's kind and its other code
	// columns, which give aliases of the child.
	keyKind Kind
	keyAlts []int
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
	if m := matchFamilies(c); m != nil {
		return m, nil
	}
	return nil, errorf(c.name, 1, ErrUnknownLayout, "unrecognised columns %s: no unit this file gives; accepted: %s",
		strings.Join(quoteAll(c.header), ", "), acceptedFamilies)
}

// genericLayout stands for every file read by family.
var genericLayout = contextLayout{name: "columns by family"}

// matchFamilies plans the reading of a context file from its columns' families, or returns nil when
// they give nothing.
func matchFamilies(c *columns) *matchedLayout {
	fc := sortColumns(c)
	var kinds []Kind
	for _, k := range fc.order {
		if fc.usable(k) {
			kinds = append(kinds, k)
		}
	}
	m := &matchedLayout{layout: &genericLayout, filter: -1}
	unitOf := func(from, to Kind, key int) resolved {
		cols := fc.units[to]
		r := resolved{contextUnit: contextUnit{from: from, to: to}, key: key, code: -1, name: -1}
		codes := append(append([]int(nil), cols[roleCode]...), cols[roleNHS]...)
		if to.Decile() {
			// Of several IMD deciles (2015 and 2019), the latest by the digits in its name.
			r.code, r.imd = latestCensus(c, cols[roleCode]), true
			r.name = r.code
			return r
		}
		if to == KindRurality {
			// urban_rural gives the code; else the RUC class code is turned into it.
			r.rurality = true
			for _, i := range cols[roleCode] {
				if urbanRural(c.norm[i]) {
					r.code = i
				}
			}
			if r.code < 0 && len(codes) > 0 {
				r.code, r.rucCode = codes[0], true
			}
			for _, i := range cols[roleName] {
				r.name = i
				break
			}
			if r.name < 0 {
				for _, i := range cols[roleCode] {
					if i != r.code {
						r.name = i
					}
				}
			}
			if r.name < 0 {
				r.name = r.code
			}
			return r
		}
		if len(codes) > 0 {
			r.code, r.alts = codes[0], codes[1:]
		}
		if len(cols[roleName]) > 0 {
			r.name = cols[roleName][0]
		} else {
			r.name = r.code
		}
		return r
	}
	if lsoa := fc.lsoa[roleCode]; len(lsoa) > 0 {
		key := latestCensus(c, lsoa)
		for _, k := range kinds {
			m.units = append(m.units, unitOf(KindUnset, k, key))
			if k == KindRurality {
				if ruc, ok := rucClass(c, fc, key); ok {
					m.units = append(m.units, ruc)
				}
			}
		}
		if len(m.units) == 0 {
			return nil
		}
		return m
	}
	// Classes of LSOAs (rurality, the IMD decile) group no units: a file without LSOAs gives none.
	kinds = slices.DeleteFunc(kinds, func(k Kind) bool { return k == KindRurality || k.Profile() })
	if len(kinds) < 2 {
		return nil
	}
	child := kinds[0]
	for _, k := range kinds[1:] {
		if rank(k) < rank(child) {
			child = k
		}
	}
	if child == KindRegion && len(fc.units[child][roleCode]) == 0 {
		return nil
	}
	key := unitOf(KindUnset, child, -1)
	for _, k := range kinds {
		if k != child && rank(k) > rank(child) {
			u := unitOf(child, k, key.code)
			m.units = append(m.units, u)
		}
	}
	if len(m.units) == 0 {
		return nil
	}
	// The child's other code columns (the NHS code) still give aliases of the child.
	m.keyAlts = key.alts
	m.keyKind = child
	return m
}

// urbanRural reports whether a normalised column name is the Urban/Rural flag rather than a class code.
func urbanRural(norm string) bool { return norm == "urban_rural" || norm == "urban_rural_flag" }

// rucClass plans the KindRUC unit of a file with rural-urban columns: the class code column (RUC11CD,
// not urban_rural) and its name column (RUC11, RUC21NM), or the code as its own name; false when the
// file has only the Urban/Rural flag.
func rucClass(c *columns, fc *familyColumns, key int) (resolved, bool) {
	cols := fc.units[KindRurality]
	r := resolved{contextUnit: contextUnit{to: KindRUC}, key: key, code: -1, name: -1, ruc: true}
	for _, i := range cols[roleCode] {
		if !urbanRural(c.norm[i]) {
			r.code = i
			break
		}
	}
	if r.code < 0 {
		return r, false
	}
	r.name = r.code
	if len(cols[roleName]) > 0 {
		r.name = cols[roleName][0]
	}
	return r, true
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
			col := u.code
			if col < 0 {
				col = u.name
			}
			cl := Classification{Kind: u.to, LSOA: maps[i]}
			if col >= 0 {
				cl.Column = header[col]
			}
			ctx.Classifications = append(ctx.Classifications, cl)
		} else {
			ctx.Hierarchies = append(ctx.Hierarchies, Hierarchy{From: u.from, To: u.to, Parent: maps[i]})
		}
	}
	first := true
	for {
		f, err := cr.row(len(header))
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if first {
			first = false
			m.pickCodes(f)
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
			if u.imd {
				n, err := strconv.Atoi(unit.Code)
				if err != nil || n < 1 || n > 10 {
					if strings.HasPrefix(key, "W") {
						continue // the English IMD ranks no Welsh LSOA (the Library's lookup writes "Wales")
					}
					return nil, errorf(name, cr.line, ErrInvalidValue, "%s: column %q: %q is not an IMD decile (1 … 10)",
						key, header[u.code], unit.Code)
				}
				unit.Code = strconv.Itoa(n)
				unit.Name = unit.Code
			}
			if u.ruc {
				unit.Code = strings.ToUpper(unit.Code)
				if r := rucUrban(unit.Code); r != "Urban" && r != "Rural" {
					return nil, errorf(name, cr.line, ErrInvalidValue, "%s: column %q: %q is not a rural-urban class (RUC11 A1 … E2, RUC21 U… or R…)",
						key, header[u.code], unit.Code)
				}
			}
			if u.rucCode {
				unit.Code = rucUrban(unit.Code)
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
			for _, a := range u.alts {
				ctx.alias(u.to, field(f, a), unit.Code)
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
		for _, a := range m.keyAlts {
			if len(m.units) > 0 {
				ctx.alias(m.keyKind, field(f, a), field(f, m.units[0].key))
			}
		}
	}
	return ctx, nil
}

// pickCodes makes, for each unit and for the key of a child → parent file, the column holding
// ONS-style codes the code and the others aliases, judging by the first row: ICB_CODE holds QNC in
// one file and the ONS code in another.
func (m *matchedLayout) pickCodes(f [][]byte) {
	pick := func(code *int, alts []int) {
		if *code < 0 || onsCode(field(f, *code)) {
			return
		}
		for j, a := range alts {
			if onsCode(field(f, a)) {
				alts[j], *code = *code, a
				return
			}
		}
	}
	if m.layout == &genericLayout && len(m.keyAlts) > 0 && len(m.units) > 0 {
		key := m.units[0].key
		pick(&key, m.keyAlts)
		for i := range m.units {
			m.units[i].key = key
		}
	}
	for i := range m.units {
		if !m.units[i].rurality {
			pick(&m.units[i].code, m.units[i].alts)
		}
	}
}

// alias records that code is also known as other (an NHS code); empty or equal ones are not kept.
func (c *Context) alias(k Kind, other, code string) {
	if other == "" || other == code {
		return
	}
	if c.Aliases == nil {
		c.Aliases = map[Kind]map[string]string{}
	}
	if c.Aliases[k] == nil {
		c.Aliases[k] = map[string]string{}
	}
	c.Aliases[k][other] = code
}

// rucUrban turns a rural-urban class code into Urban or Rural: RUC11 A1, B1, C1, C2 are urban and
// D1 … E2 rural; RUC21 codes start with U (urban) or R (rural). Anything else is returned as it is,
// for the caller to refuse.
func rucUrban(code string) string {
	c := strings.ToUpper(code)
	switch {
	case c == "A1" || c == "B1" || c == "C1" || c == "C2" || strings.HasPrefix(c, "U"):
		return "Urban"
	case c == "D1" || c == "D2" || c == "E1" || c == "E2" || strings.HasPrefix(c, "R"):
		return "Rural"
	}
	return code
}

// latestCensus picks, of several LSOA code columns (the LSOA 2011 → 2021 lookup has both), the one
// of the latest census by the digits in its name: releases of either geography use the newest codes
// with their current units, and unchanged LSOAs keep their code.
func latestCensus(c *columns, cols []int) int {
	best, year := cols[0], ""
	for _, i := range cols {
		y := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, c.norm[i])
		if y > year {
			best, year = i, y
		}
	}
	return best
}
