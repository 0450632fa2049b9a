package ingest

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"pcnmap/geo"
	"pcnmap/nhs"
)

// Role is what an input file is for: which field of Options it belongs in.
type Role uint8

const (
	RoleUnknown Role = iota
	RoleAreas
	RoleRegistrations
	RoleMembership
	RoleLookup
	RoleCentroids
	RoleLSOAPolygons
	RoleContext
	RoleCrosswalk
	RoleCrosswalkWeights
	RoleDenominators
)

// String is the role's name, as the CLI's flag and the Options field are named.
func (r Role) String() string {
	switch r {
	case RoleAreas:
		return "areas"
	case RoleRegistrations:
		return "registrations"
	case RoleMembership:
		return "membership"
	case RoleLookup:
		return "lookup"
	case RoleCentroids:
		return "centroids"
	case RoleLSOAPolygons:
		return "lsoa-polygons"
	case RoleContext:
		return "context"
	case RoleCrosswalk:
		return "crosswalk"
	case RoleCrosswalkWeights:
		return "crosswalk-weights"
	case RoleDenominators:
		return "denominators"
	}
	return "unknown"
}

// Describe says what a file of the role is, for messages: "an LSOA → MSOA lookup".
func (r Role) Describe() string {
	switch r {
	case RoleAreas:
		return "area polygons"
	case RoleRegistrations:
		return "a file of patients registered at each practice by LSOA (gp-reg-pat-prac-lsoa-all)"
	case RoleMembership:
		return "a PCN membership file (ePCN workbook or practice mapping CSV)"
	case RoleLookup:
		return "an LSOA → MSOA lookup"
	case RoleCentroids:
		return "LSOA population-weighted centroids"
	case RoleLSOAPolygons:
		return "LSOA polygons"
	case RoleContext:
		return "a context lookup (LSOA → CCG, local authority, Sub-ICB, ICB or rurality)"
	case RoleCrosswalk:
		return "an LSOA 2011 → 2021 lookup"
	case RoleCrosswalkWeights, RoleDenominators:
		return "an LSOA → patients table"
	}
	return "an unknown file"
}

// Want says what the role accepts, for messages.
func (r Role) Want() string {
	switch r {
	case RoleAreas, RoleLSOAPolygons:
		return "GeoJSON (.geojson, .json, or .gz), a Shapefile (.shp beside its .shx/.dbf/.prj, or zipped) or a GeoPackage (.gpkg)"
	case RoleRegistrations:
		return "the NHS Digital gp-reg-pat-prac-lsoa-all CSV (PRACTICE_CODE, LSOA_CODE, Number of Patients), plain, .gz or .zip"
	case RoleMembership:
		return "the ePCN workbook (.xlsx, sheet PCN Core Partner Details) or the practice mapping CSV (PRACTICE_CODE, PCN_CODE, PCN_NAME)"
	case RoleLookup:
		return "an LSOA → area CSV (LSOA11CD and MSOA11CD, LSOA_CODE and MSOA_CODE, or the 2021 codes)"
	case RoleCentroids:
		return "the ONS LSOA population-weighted centroids CSV (X, Y, lsoa11cd or LSOA21CD)"
	case RoleContext:
		return "an LSOA lookup CSV (to CCG, local authority, Sub-ICB or rurality), a Sub-ICB → ICB lookup, or boundary polygons"
	case RoleCrosswalk:
		return "the ONS LSOA (2011) to LSOA (2021) lookup CSV (LSOA11CD, LSOA21CD, CHGIND)"
	case RoleCrosswalkWeights, RoleDenominators:
		return "a CSV of LSOA codes and patient counts (such as LSOA_CODE and LSOA_Population)"
	}
	return ""
}

// InputError is an input file that could not be read for its role. Looks is what the file seems to
// be instead, when that can be told and is another role: the usual slip is a file given in the
// wrong place.
type InputError struct {
	Role  Role
	Path  string
	Looks Role
	Err   error
}

func (e *InputError) Error() string {
	msg := fmt.Sprintf("ingest: %s input: %v; want %s", e.Role, e.Err, e.Role.Want())
	if e.Looks != RoleUnknown {
		msg += fmt.Sprintf("; %s looks like %s, the %s input", e.Path, e.Looks.Describe(), e.Looks)
	}
	return msg
}

func (e *InputError) Unwrap() error { return e.Err }

// inputError wraps a read error of the file at path, given for role, and says what the file looks
// like when that is another role. Cancellation passes through unwrapped.
func inputError(role Role, path string, err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	e := &InputError{Role: role, Path: path, Err: err}
	if looks := Identify(path); looks != role && !(role == RoleContext && looks == RoleLookup) {
		e.Looks = looks
	}
	return e
}

// Identify tells what kind of input a file is from its name and header (a CSV's first row, a
// polygon layer's code field), or RoleUnknown. It reads a polygon file whole, so it is for the
// error path, not for every file.
func Identify(path string) Role {
	if isWorkbook(path) {
		return RoleMembership
	}
	if isPolygonFile(path) {
		l, err := geo.ReadFile(path, geo.ReadOptions{})
		if err != nil {
			return RoleUnknown
		}
		f := strings.ToUpper(l.CodeField)
		switch {
		case strings.HasPrefix(f, "LSOA"):
			return RoleLSOAPolygons
		case boundaryKind(f) != "":
			return RoleContext
		}
		return RoleAreas
	}
	h, err := nhs.Header(path)
	if err != nil {
		return RoleUnknown
	}
	cols := make(map[string]bool, len(h))
	for _, c := range h {
		cols[squash(c)] = true
	}
	has := func(names ...string) bool {
		for _, n := range names {
			if cols[n] {
				return true
			}
		}
		return false
	}
	lsoa := has("lsoa11cd", "lsoa21cd", "lsoacode", "lsoa11code", "lsoa21code")
	switch {
	case has("practicecode") && has("numberofpatients"):
		return RoleRegistrations
	case has("practicecode") && has("pcncode"):
		return RoleMembership
	case lsoa && has("msoa11cd", "msoa21cd", "msoacode", "msoa11code", "msoa21code"):
		return RoleLookup
	case lsoa && has("x", "lon", "long", "longitude") && has("y", "lat", "latitude"):
		return RoleCentroids
	case lsoa, has("sicbl22cd", "loc22cd", "icb22cd", "ccg20cd", "ccg21cd", "stp20cd", "stp21cd"):
		return RoleContext
	}
	return RoleUnknown
}

// squash lower-cases a column name and keeps only its letters and digits: "Number of Patients",
// "NUMBER_OF_PATIENTS" and "\ufeffnumber_of_patients" are one column.
func squash(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
