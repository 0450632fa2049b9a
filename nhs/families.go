package nhs

import (
	"strings"
)

// A column family is what a column holds, whichever source wrote it: the ONS geoportal (LSOA21CD,
// SICBL24CD, ICB24CDH), copies made in R (lsoa21_code, icb24_code_nhs), NHS files (ICB_CODE,
// ONS_SUB_ICB_LOCATION_CODE) or the House of Commons Library (LSOA_CODE, LAD_CODE). Readers find
// their columns by family, so a new vintage (LAD23CD, ward25_code) needs no new layout.
type family uint8

const (
	famNone family = iota
	famLSOA
	famMSOA
	famOA
	famUnit // a unit of a context Kind
)

// colRole says which part of a family a column gives.
type colRole uint8

const (
	roleCode colRole = iota // the ONS nine-character code (E38000068), or the only code there is
	roleNHS                 // the NHS three-letter code (01F, QNC, Y56)
	roleName
)

// familyPattern is one spelling of a family's column, as normColumn writes it; '#' stands for a digit.
type familyPattern struct {
	pattern string
	fam     family
	kind    Kind
	role    colRole
}

// familyPatterns lists the spellings recognised. Patterns are matched in order; the first wins.
var familyPatterns = buildFamilyPatterns()

func buildFamilyPatterns() []familyPattern {
	var ps []familyPattern
	add := func(fam family, kind Kind, r colRole, patterns ...string) {
		for _, p := range patterns {
			ps = append(ps, familyPattern{pattern: p, fam: fam, kind: kind, role: r})
		}
	}
	// Small areas of either census (LSOA11CD, LSOA21CD, lsoa21_code, LSOA_CODE) and output areas.
	// MHCLG's Indices of Deprivation files write "LSOA code (2011)".
	add(famLSOA, KindUnset, roleCode, "lsoa##cd", "lsoa##_code", "lsoa_code", "lsoacd", "lsoa_cd", "lsoa_code_(####)")
	add(famLSOA, KindUnset, roleName, "lsoa##nm", "lsoa##_name", "lsoa_name", "lsoanm", "lsoa", "lsoa_name_(####)")
	add(famMSOA, KindUnset, roleCode, "msoa##cd", "msoa##_code", "msoa_code", "msoacd", "msoa_cd")
	add(famMSOA, KindUnset, roleName, "msoa##nm", "msoa##_name", "msoa_name", "msoanm")
	add(famOA, KindUnset, roleCode, "oa##cd", "oa##_code", "oa_code", "oacd")
	// Units. The NHS code spellings come first, so that ICB24CDH is not read as an ONS code.
	unit := func(kind Kind, nhs, code, name []string) {
		add(famUnit, kind, roleNHS, nhs...)
		add(famUnit, kind, roleCode, code...)
		add(famUnit, kind, roleName, name...)
	}
	unit(KindSubICB,
		[]string{"sicbl##cdh", "sicbl##_code_nhs", "loc##cdh", "loc##_code_nhs", "sub_icb_location_code", "sub_icb_code"},
		[]string{"sicbl##cd", "sicbl##_code", "loc##cd", "loc##_code", "ons_sub_icb_location_code", "sicbl_code", "sub_icb_location_ons_code"},
		[]string{"sicbl##nm", "sicbl##_name", "loc##nm", "loc##_name", "sub_icb_location_name", "sub_icb_name", "sicbl_name"})
	unit(KindICB,
		[]string{"icb##cdh", "icb##_code_nhs", "icb_code"},
		[]string{"icb##cd", "icb##_code", "ons_icb_code", "icb_ons_code"},
		[]string{"icb##nm", "icb##_name", "icb_name"})
	unit(KindCCG,
		[]string{"ccg##cdh", "ccg##_code_nhs", "ccg_code"},
		[]string{"ccg##cd", "ccg##_code", "ons_ccg_code"},
		[]string{"ccg##nm", "ccg##_name", "ccg_name"})
	unit(KindSTP,
		[]string{"stp##cdh", "stp##_code_nhs", "stp_code"},
		[]string{"stp##cd", "stp##_code", "ons_stp_code"},
		[]string{"stp##nm", "stp##_name", "stp_name"})
	unit(KindNHSRegion,
		[]string{"nhser##cdh", "nhser##_code_nhs", "comm_region_code", "nhs_region_code"},
		[]string{"nhser##cd", "nhser##_code", "ons_comm_region_code", "nhs_region_ons_code"},
		[]string{"nhser##nm", "nhser##_name", "comm_region_name", "nhs_region_name", "nhs_region"})
	unit(KindLA, nil,
		[]string{"lad##cd", "ltla##cd", "lad##_code", "ltla##_code", "lad_code", "lad_current_cd", "lad_cd",
			"ltla_code", "la_code", "local_authority_code"},
		[]string{"lad##nm", "ltla##nm", "lad##_name", "ltla##_name", "lad_name", "lad_current_nm", "lad_nm",
			"ltla_name", "la_name", "local_authority_name"})
	unit(KindWard, nil,
		[]string{"wd##cd", "ward##_code", "ward_code", "wd_cd"},
		[]string{"wd##nm", "ward##_name", "ward_name", "wd_nm"})
	unit(KindRegion, nil,
		[]string{"rgn##cd", "rgncd", "rgn##_code", "region_code", "rgn_code"},
		[]string{"rgn##nm", "rgnnm", "rgn##_name", "region_name", "rgn_name", "region"})
	// The rural-urban columns give two kinds: the class code (RUC11CD A1 … E2, RUC21CD) and its name
	// give KindRUC, and urban_rural (or the class code turned into Urban or Rural) KindRurality; see
	// matchFamilies.
	unit(KindRurality, nil,
		[]string{"ruc##cd", "ruc##_code", "urban_rural", "urban_rural_flag"},
		[]string{"ruc##nm", "ruc##_name", "ruc##"})
	return ps
}

// columnFamily says what a normalised column name holds.
func columnFamily(norm string) (familyPattern, bool) {
	for _, p := range familyPatterns {
		if matchPattern(p.pattern, norm) {
			return p, true
		}
	}
	return familyPattern{}, false
}

// matchPattern is matchDigits for patterns with or without '#'.
func matchPattern(pattern, s string) bool {
	if !strings.Contains(pattern, "#") {
		return pattern == s
	}
	return matchDigits(pattern, s)
}

// familyColumns are the columns of one header sorted into families: for each family (and for each
// unit kind), the code, NHS code and name columns in header order.
type familyColumns struct {
	lsoa, msoa, oa [3][]int          // by colRole
	units          [kindEnd][3][]int // by kind, by colRole
	// order lists the unit kinds in the order their first column appears.
	order []Kind
}

func sortColumns(c *columns) *familyColumns {
	fc := &familyColumns{}
	seen := map[Kind]bool{}
	for i, n := range c.norm {
		p, ok := columnFamily(n)
		if !ok {
			k := imdKind(n)
			if k == KindUnset {
				continue
			}
			p = familyPattern{fam: famUnit, kind: k, role: roleCode}
		}
		switch p.fam {
		case famLSOA:
			fc.lsoa[p.role] = append(fc.lsoa[p.role], i)
		case famMSOA:
			fc.msoa[p.role] = append(fc.msoa[p.role], i)
		case famOA:
			fc.oa[p.role] = append(fc.oa[p.role], i)
		case famUnit:
			fc.units[p.kind][p.role] = append(fc.units[p.kind][p.role], i)
			if !seen[p.kind] {
				seen[p.kind] = true
				fc.order = append(fc.order, p.kind)
			}
		}
	}
	return fc
}

// imdDecile reports whether a normalised column name is that of the overall IMD decile, by its
// words: an IMD word ("imd", "imd19", "imd2019", or "index of multiple deprivation") with "decile"
// or "overall" (the House of Commons Library's IMD_OVERALL) and no word of a domain, a rank or a
// score. So "IMD_OVERALL", "imd19_decile", "IMD_Decile_2019" and MHCLG's "Index of Multiple
// Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)" match; "IMD_INCOME", "IMD Rank"
// and "Income Decile (…)" do not.
func imdDecile(norm string) bool {
	words := strings.FieldsFunc(norm, func(r rune) bool { return r == '_' || r == '(' || r == ')' })
	imd := strings.Contains(strings.Join(words, "_"), "index_of_multiple_deprivation")
	decile := false
	for _, w := range words {
		switch {
		case w == "imd" || matchDigits("imd##", w) || matchDigits("imd####", w):
			imd = true
		case w == "imddecile" || matchDigits("imd##decile", w) || matchDigits("imd####decile", w):
			imd, decile = true, true
		case w == "decile" || w == "overall":
			decile = true
		case imdNotOverall[w]:
			return false
		}
	}
	return imd && decile
}

// imdKind says which IMD decile a normalised column name holds: KindIMD for the overall decile
// (imdDecile), KindIMDIncome or KindIMDEmployment for a domain's, else KindUnset. A domain's
// column has the domain's word ("income", "employment"), "decile" or an IMD word, and no word of
// another domain, a sub-domain, a rank or a score: the House of Commons Library's IMD_INCOME and
// MHCLG's "Income Decile (where 1 is most deprived 10% of LSOAs)" and "Employment Decile (…)"
// match; "Income Rank", "Income Score (rate)" and the IDACI's "Income Deprivation Affecting
// Children Index (IDACI) Decile" do not.
func imdKind(norm string) Kind {
	if imdDecile(norm) {
		return KindIMD
	}
	words := strings.FieldsFunc(norm, func(r rune) bool { return r == '_' || r == '(' || r == ')' })
	kind, marked := KindUnset, false
	for _, w := range words {
		switch {
		case w == "income" || w == "employment":
			k := KindIMDIncome
			if w == "employment" {
				k = KindIMDEmployment
			}
			if kind != KindUnset && kind != k {
				return KindUnset
			}
			kind = k
		case w == "decile" || w == "imd" || matchDigits("imd##", w) || matchDigits("imd####", w):
			marked = true
		case imdNotOverall[w]:
			return KindUnset
		}
	}
	if !marked {
		return KindUnset
	}
	return kind
}

// imdNotOverall are words of IMD columns other than the overall decile: its domains and
// sub-domains, ranks, scores.
var imdNotOverall = map[string]bool{
	"income": true, "employment": true, "education": true, "skills": true, "training": true, "health": true,
	"disability": true, "crime": true, "barriers": true, "housing": true, "services": true, "living": true,
	"environment": true, "idaci": true, "idaopi": true, "children": true, "older": true, "rank": true,
	"score": true, "quintile": true,
}

// usable reports whether the kind has a code column of either colRole, or (for regions, which the
// House of Commons Library lookup names only) a name.
func (fc *familyColumns) usable(k Kind) bool {
	u := fc.units[k]
	if len(u[roleCode]) > 0 || len(u[roleNHS]) > 0 {
		return true
	}
	return k == KindRegion && len(u[roleName]) > 0
}

// acceptedFamilies describes, for error messages, what a context file may hold.
const acceptedFamilies = "an LSOA code of either census (LSOA11CD, LSOA21CD, lsoa21_code, LSOA_CODE) with units of any of " +
	"these families, or two or more of them (child → parent): local authority (LAD22CD, LTLA22CD, LAD_CURRENT_CD, lad_code), " +
	"electoral ward (WD24CD, ward24_code), CCG (CCG20CD, CCG20CDH), Sub-ICB location (SICBL24CD, sicbl24_code, LOC22CD; " +
	"NHS codes SICBL24CDH, sicbl24_code_nhs), ICB (ICB24CD, icb24_code; NHS codes ICB24CDH, icb24_code_nhs, ICB_CODE), " +
	"STP (STP20CD), NHS region (NHSER22CD, COMM_REGION_CODE), region (RGN22CD, REGION), rural-urban class (RUC11CD, RUC11, urban_rural), " +
	"and, with an LSOA code, the IMD decile (IMD_OVERALL, imd_decile, \"Index of Multiple Deprivation (IMD) Decile\") " +
	"and its income and employment domains' (IMD_INCOME, \"Income Decile\", \"Employment Decile\")"

// rank orders unit kinds from fine to coarse, to tell a child column from its parent in a file
// without LSOAs (Sub-ICB → ICB → NHS region).
func rank(k Kind) int {
	switch k {
	case KindWard:
		return 0
	case KindCCG, KindSubICB, KindLA:
		return 1
	case KindSTP, KindICB:
		return 2
	case KindRegion, KindNHSRegion:
		return 3
	}
	return 4
}

// onsCode reports whether s looks like an ONS GSS code: a capital letter and eight digits.
func onsCode(s string) bool {
	_, ok := onsKey([]byte(s))
	return ok
}
