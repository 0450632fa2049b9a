// Package nhs reads the tabular national files pcnmap is built from: NHS Digital's registrations by
// LSOA, the ePCN workbook and the practice mapping CSV (practice → PCN), and ONS lookups (LSOA → area,
// LSOA population-weighted centroids, LSOA → CCG/Sub-ICB/local authority/rural-urban/IMD decile, unit → parent unit).
// Readers detect header variants, accept plain, gzipped or zipped files, and return errors that name the
// file, the row and the problem; they never panic on bad input.
package nhs

import "time"

// Practice is a GP practice as named in the registrations file.
type Practice struct {
	Code string
	Name string
}

// Row is one (practice, LSOA of residence) count. Practice indexes Registrations.Practices and LSOA
// indexes Registrations.LSOAs, so the 840k national rows hold no strings of their own.
type Row struct {
	Practice int32
	LSOA     int32
	Patients int32
}

// Registrations is the content of one gp-reg-pat-prac-lsoa-all file.
type Registrations struct {
	Source      string
	ExtractDate time.Time // zero when the file has no EXTRACT_DATE column
	Practices   []Practice
	LSOAs       []string // every LSOA code seen, including W01…, NO2011 and CLOSED
	Rows        []Row
	// SexRows is the number of MALE/FEMALE rows summed because no ALL row existed for their pair;
	// zero for the published SEX=ALL files.
	SexRows int
	// LSOAColumn is the header of the LSOA column (LSOA_CODE, LSOA11CD, LSOA21CD), a hint of the
	// file's geography.
	LSOAColumn string
	// ByPCN says the file is an analyst's PCN × LSOA table: each "practice" is a PCN, its own
	// member (PCNOf maps it to itself).
	ByPCN bool
	// PCNOf maps practice codes to the PCN the file names on their rows (an ICB analyst's extract
	// carries PCN_CODE and PCN_NAME); nil when the file has no PCN columns.
	PCNOf map[string]PCN
	// ICBOf maps practice codes to the ICB named on their rows (ICB_CODE); nil without that column.
	ICBOf map[string]string
	// Denominators maps LSOAs to their patients at all practices in England, from a column such
	// as LSOA_Population; nil without one.
	Denominators map[string]int64
}

// PCN is a Primary Care Network.
type PCN struct {
	Code string
	Name string
}

// Partner is one practice → PCN relationship. Start and End are zero when the source gives none;
// End is the last day of membership (inclusive).
type Partner struct {
	Practice     string
	PracticeName string
	PCN          string
	Start, End   time.Time
}

// Membership is practice → PCN membership over time, from an ePCN workbook or a practice mapping CSV.
// Use AsOf to turn it into the membership on one date.
type Membership struct {
	Source string
	// ExtractDate is the practice mapping file's EXTRACT_DATE; zero for ePCN workbooks, which carry none.
	ExtractDate time.Time
	PCNs        []PCN // every PCN named in the source, sorted by code
	Partners    []Partner
	// Unallocated lists practices the source names without a PCN (the practice mapping file's
	// PCN_CODE "U", "Unallocated"), sorted by code, so that callers can report them rather than
	// lose them: their patients still count towards an area's registered population.
	Unallocated []Practice
	// Closed gives the close date of each PCN the ePCN workbook's PCN Details sheet says has
	// closed; AsOf gives such a PCN no members after it.
	Closed map[string]time.Time
}

// Conflict is a practice with more than one relationship active on an as-of date. AsOf keeps Chosen,
// the relationship with the latest start, and ignores Dropped.
type Conflict struct {
	Practice string
	Chosen   Partner
	Dropped  []Partner
}

// Point is a location in WGS84.
type Point struct {
	Lon, Lat float64
}

// Centroids maps LSOA codes to their population-weighted centroids.
type Centroids struct {
	Source string
	Points map[string]Point
	// BNG says the file gave British National Grid metres, converted to WGS84 on reading.
	BNG bool
}

// Lookup maps LSOA codes to area codes (LSOA11CD → MSOA11CD, or the 2021 equivalents).
type Lookup struct {
	Source    string
	LSOAField string
	AreaField string
	Area      map[string]string
}

// Unit is a named geography: a local authority, CCG, Sub-ICB, ICB, region, or a rural-urban class.
type Unit struct {
	Code string
	Name string
}

// Kind says what sort of Unit a classification holds.
type Kind uint8

const (
	KindUnset Kind = iota
	KindRegion
	KindLA
	KindCCG
	KindSTP
	KindSubICB
	KindICB
	KindNHSRegion
	// KindRurality holds the rural-urban class; Unit.Code is "Urban" or "Rural" and Unit.Name the
	// RUC11 class name.
	KindRurality
	// KindWard is the electoral ward.
	KindWard
	// KindIMD holds the LSOA's decile of the English Index of Multiple Deprivation (overall):
	// Unit.Code "1" (the most deprived 10% of LSOAs) to "10" (the least deprived).
	KindIMD
	// KindRUC holds the LSOA's rural-urban class: Unit.Code the class code (RUC11 A1 … E2, or a
	// RUC21 code), Unit.Name its name ("Urban major conurbation").
	KindRUC
	// KindIMDIncome and KindIMDEmployment hold the LSOA's decile of the IMD's income and employment
	// domains, "1" (the most deprived 10% of LSOAs) to "10", like KindIMD.
	KindIMDIncome
	KindIMDEmployment
	// kindEnd is one past the last kind.
	kindEnd
)

// KindCount is the number of kinds, KindUnset included: the size of arrays indexed by Kind.
const KindCount = int(kindEnd)

// Profile reports whether k is a class of LSOAs rather than a geography (the IMD decile, the
// rural-urban class): LSOAs keep it, to profile a footprint's residents, but it groups no areas, so
// an area is given no unit of it and no file's child → parent hierarchy uses it.
func (k Kind) Profile() bool { return k.Decile() || k == KindRUC }

// Decile reports whether k is an IMD decile kind: the overall IMD or one of its domains.
func (k Kind) Decile() bool { return k == KindIMD || k == KindIMDIncome || k == KindIMDEmployment }

// Classification assigns LSOAs to units of one kind.
type Classification struct {
	Kind Kind
	LSOA map[string]Unit
	// Column is the header of the column giving the unit's code (IMD_OVERALL, RUC11CD), for saying
	// where a profile came from.
	Column string
}

// Hierarchy assigns units of one kind to units of a parent kind (Sub-ICB → ICB, CCG → STP).
type Hierarchy struct {
	From, To Kind
	Parent   map[string]Unit
}

// Context is what one context file contributes; a file may hold several classifications
// (the LSOA → MSOA lookup also gives local authority and region).
type Context struct {
	Source          string
	Classifications []Classification
	Hierarchies     []Hierarchy
	// Aliases maps, per kind, the other codes a unit is known by (the NHS three-letter code QNC) to
	// its code (E54000010), so that users may name units either way.
	Aliases map[Kind]map[string]string
	// Skipped counts rows the file holds but that give no unit of the kinds above, e.g. the Welsh
	// health boards (region_type LHB) in the LSOA → Sub-ICB lookup.
	Skipped int
}

func (k Kind) String() string {
	switch k {
	case KindRegion:
		return "region"
	case KindLA:
		return "la"
	case KindCCG:
		return "ccg"
	case KindSTP:
		return "stp"
	case KindSubICB:
		return "sub-icb"
	case KindICB:
		return "icb"
	case KindNHSRegion:
		return "nhs-region"
	case KindRurality:
		return "rurality"
	case KindWard:
		return "ward"
	case KindIMD:
		return "imd"
	case KindRUC:
		return "ruc"
	case KindIMDIncome:
		return "imd-income"
	case KindIMDEmployment:
		return "imd-employment"
	}
	return "unset"
}
