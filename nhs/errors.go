package nhs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Sentinel errors, for errors.Is. Every error the readers return is an *Error that wraps one of these
// or the underlying I/O, gzip or zip error.
var (
	// ErrMissingColumn: a column the reader needs is not in the header.
	ErrMissingColumn = errors.New("nhs: missing column")
	// ErrUnknownLayout: ReadContext does not recognise the file's columns.
	ErrUnknownLayout = errors.New("nhs: unrecognised file layout")
	// ErrMalformed: the CSV itself is broken (field count, quoting, over-long line) or the file is empty.
	ErrMalformed = errors.New("nhs: malformed file")
	// ErrInvalidValue: a cell holds something that is not a valid value for its column.
	ErrInvalidValue = errors.New("nhs: invalid value")
	// ErrDuplicate: the same key appears twice where it must appear once.
	ErrDuplicate = errors.New("nhs: duplicate row")
	// ErrConflict: two rows disagree (an LSOA mapped to two areas, two different extract dates).
	ErrConflict = errors.New("nhs: conflicting rows")
	// ErrMissingSheet: the workbook lacks the sheet the reader needs.
	ErrMissingSheet = errors.New("nhs: missing sheet")
	// ErrArchive: a zip holds no member the reader can use, or several it cannot choose between.
	ErrArchive = errors.New("nhs: no usable member in archive")
)

// Error is a problem with an input file, at a line (CSV) or a sheet row (xlsx) when there is one.
// Use errors.As to get at the place, errors.Is with the sentinels above to get at the kind.
type Error struct {
	File  string // the path as given, with ":member" for a zip member
	Sheet string // the worksheet, for workbooks
	Line  int    // 1-based line (CSV) or row (sheet); 0 when the problem has no single place
	Msg   string
	Err   error // a sentinel above, or the underlying cause
}

func (e *Error) Error() string {
	s := "nhs: " + e.File
	if e.Sheet != "" {
		s += ": sheet " + strconv.Quote(e.Sheet)
	}
	if e.Line > 0 {
		if e.Sheet != "" {
			s += ": row " + strconv.Itoa(e.Line)
		} else {
			s += ": line " + strconv.Itoa(e.Line)
		}
	}
	return s + ": " + e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// errorf builds an *Error for file at line (0 for none).
func errorf(file string, line int, kind error, format string, args ...any) *Error {
	return &Error{File: file, Line: line, Err: kind, Msg: fmt.Sprintf(format, args...)}
}

// ioError wraps a read error (truncated gzip, bad zip checksum, disk error) found at line.
func ioError(file string, line int, err error) *Error {
	msg := "read: " + err.Error()
	if errors.Is(err, io.ErrUnexpectedEOF) {
		msg += " (the file is truncated)"
	}
	return &Error{File: file, Line: line, Err: err, Msg: msg}
}

// fileError wraps an error opening or decoding a whole file. prefix ("gzip", "zip", "xlsx") is
// added unless the error already says it; an *os.PathError loses its path, which the *Error has.
func fileError(file, prefix string, err error) *Error {
	msg := err.Error()
	var pe *os.PathError
	if errors.As(err, &pe) {
		msg = pe.Op + ": " + pe.Err.Error()
	}
	if prefix != "" && !strings.HasPrefix(msg, prefix+":") {
		msg = prefix + ": " + msg
	}
	return &Error{File: file, Err: err, Msg: msg}
}
