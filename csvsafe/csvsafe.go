// Package csvsafe writes CSV that spreadsheets open as data: a cell that begins with =, +, -, @, a tab
// or a carriage return (OWASP's CSV-injection rule) is prefixed with a single quote, so that Excel,
// LibreOffice and Google Sheets show it as text instead of running it as a formula. Cells that are
// plain numbers (-2.3, -0.5) are left alone: a number is never a formula.
package csvsafe

import (
	"encoding/csv"
	"io"
	"strconv"
)

// Writer is a csv.Writer whose Write and WriteAll make every cell inert.
type Writer struct {
	*csv.Writer
	buf []string
}

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer { return &Writer{Writer: csv.NewWriter(w)} }

// Write writes one record with its cells made inert; rec is not modified.
func (w *Writer) Write(rec []string) error {
	w.buf = w.buf[:0]
	for _, c := range rec {
		w.buf = append(w.buf, Cell(c))
	}
	return w.Writer.Write(w.buf)
}

// WriteAll writes records and flushes.
func (w *Writer) WriteAll(recs [][]string) error {
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

// Cell returns c, or c prefixed with a single quote when a spreadsheet would read it as a formula.
func Cell(c string) string {
	if c == "" {
		return c
	}
	switch c[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if c[0] == '-' || c[0] == '+' {
			if _, err := strconv.ParseFloat(c, 64); err == nil && plainNumber(c[1:]) {
				return c
			}
		}
		return "'" + c
	}
	return c
}

// plainNumber reports whether s is digits with at most one point (no exponent, no hex, no Inf).
func plainNumber(s string) bool {
	dot := false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] >= '0' && s[i] <= '9':
		case s[i] == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return s != "" && s != "."
}
