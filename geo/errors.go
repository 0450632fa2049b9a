package geo

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinel errors of the readers. Every error a reader returns wraps one of them in a *ReadError that
// names the file and, when the problem belongs to one feature, its index and code.
var (
	// ErrFormat: the file is not GeoJSON, a shapefile or a GeoPackage.
	ErrFormat = errors.New("geo: unrecognised file format")
	// ErrMalformed: the bytes do not follow the format (bad JSON, truncated shapefile or gzip, bad WKB…).
	ErrMalformed = errors.New("geo: malformed file")
	// ErrCRS: the coordinate reference system is missing or is neither WGS84 nor British National Grid.
	ErrCRS = errors.New("geo: unsupported coordinate reference system")
	// ErrCoordinates: a coordinate lies outside the range of the file's CRS (or is not finite).
	ErrCoordinates = errors.New("geo: coordinates out of range")
	// ErrNotFeatureCollection: a GeoJSON document whose top level is not a FeatureCollection.
	ErrNotFeatureCollection = errors.New("geo: not a GeoJSON FeatureCollection")
	// ErrGeometryType: a feature whose geometry is not a Polygon or MultiPolygon.
	ErrGeometryType = errors.New("geo: geometry is not a Polygon or MultiPolygon")
	// ErrNotPoint: a feature of a points layer whose geometry is not a Point, or a layer of other shapes.
	ErrNotPoint = errors.New("geo: geometry is not a Point")
	// ErrEmptyGeometry: a feature with no geometry, or none left once degenerate rings are dropped.
	ErrEmptyGeometry = errors.New("geo: empty geometry")
	// ErrInvalidGeometry: an invalid polygon that could not be repaired.
	ErrInvalidGeometry = errors.New("geo: invalid geometry could not be repaired")
	// ErrField: no code field could be found, or a field named in ReadOptions does not exist.
	ErrField = errors.New("geo: no such field")
	// ErrNoCode: a feature with a missing or empty code.
	ErrNoCode = errors.New("geo: missing area code")
	// ErrDuplicateCode: two features share a code.
	ErrDuplicateCode = errors.New("geo: duplicate area code")
	// ErrMissingPart: a shapefile without its .shx or .dbf, or a zip without a shapefile.
	ErrMissingPart = errors.New("geo: shapefile part missing")
	// ErrNoFeatureTable: a GeoPackage (or an SQLite file) without any features table.
	ErrNoFeatureTable = errors.New("geo: no GeoPackage features table")
	// ErrLayer: ReadOptions.Layer names no table or shapefile of the source, or it is empty and the
	// source holds several.
	ErrLayer = errors.New("geo: no single layer to read")
	// ErrNoFeatures: a source with no features at all.
	ErrNoFeatures = errors.New("geo: no features")
	// ErrZipMember: a zip member that a shapefile zip must not hold: a name that climbs out of the
	// archive (.., absolute, backslashes), a file of no shapefile, or a part in another directory.
	ErrZipMember = errors.New("geo: unexpected zip member")
	// ErrTooLarge: a compressed source that declares more than ReadOptions.MaxUncompressed bytes.
	ErrTooLarge = errors.New("geo: source too large once uncompressed")
	// ErrLimit: a source over one of the caps of ReadOptions (features, vertices per feature, holes
	// per polygon, rows of a GeoPackage table).
	ErrLimit = errors.New("geo: source over a limit")
)

// ReadError is the error every reader returns: the source, the feature when there is one, and the cause.
// Use errors.Is with the sentinels above to tell causes apart and errors.As to get the feature.
type ReadError struct {
	Source string // the file name as given
	Index  int    // the feature's position in the file, counting from 0; -1 when the error is not about one feature
	Code   string // the feature's code when known
	Err    error
}

func (e *ReadError) Error() string {
	var b strings.Builder
	b.WriteString("geo: ")
	b.WriteString(e.Source)
	if e.Index >= 0 {
		b.WriteString(": feature ")
		b.WriteString(strconv.Itoa(e.Index))
		if e.Code != "" {
			b.WriteString(" (")
			b.WriteString(e.Code)
			b.WriteString(")")
		}
	}
	b.WriteString(": ")
	if e.Err != nil {
		b.WriteString(strings.TrimPrefix(e.Err.Error(), "geo: "))
	}
	return b.String()
}

func (e *ReadError) Unwrap() error { return e.Err }

// fileErr wraps err for the whole source, unless it already is a *ReadError.
func fileErr(source string, err error) error {
	if err == nil {
		return nil
	}
	var re *ReadError
	if errors.As(err, &re) {
		return err
	}
	return &ReadError{Source: source, Index: -1, Err: err}
}

// archiveErr describes a gzip or zip failure as ErrMalformed, naming the format once (the errors of
// archive/zip already start with "zip: ", io.ErrUnexpectedEOF does not).
func archiveErr(format string, err error) error {
	if strings.HasPrefix(err.Error(), format+": ") {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrMalformed, format, err)
}

func featureErr(source string, index int, code string, err error) error {
	return &ReadError{Source: source, Index: index, Code: code, Err: err}
}
