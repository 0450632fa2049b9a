package nhs

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/xuri/excelize/v2"
)

// Sheet names of the ePCN workbook, compared without spaces or case: the 2022 release spells the
// first one "PCNDetails".
const (
	sheetPartners = "pcncorepartnerdetails"
	sheetDetails  = "pcndetails"
)

// headerSearchRows is how far down a sheet the header row may be, in case a release adds a title.
const headerSearchRows = 10

// ReadEPCN reads an NHS Digital ePCN workbook (.xlsx, or that gzipped or zipped): practice → PCN
// relationships with their start and end dates from the "PCN Core Partner Details" sheet, and PCN
// names from it and from "PCN Details" (whose names win). Header cells are matched by their words,
// as they gain line breaks and change wording between releases. Dates may be text (20191001,
// 2019-10-01, 01/10/2019) or Excel serial numbers; an empty end date means the relationship is open.
func ReadEPCN(path string) (m *Membership, err error) {
	data, name, source, err := workbookBytes(path)
	if err != nil {
		return nil, err
	}
	x, err := openXLSXStream(data)
	switch {
	case err == nil:
		m, err := readEPCN(&workbook{fast: x}, name, source)
		if !errors.Is(err, errFallback) {
			return m, err
		}
	case errors.Is(err, errInflated):
		return nil, errorf(name, 0, ErrMalformed, "the workbook inflates to over %d MiB", maxWorkbookXML>>20)
	}
	wb, err := openExcel(data)
	if err != nil {
		return nil, fileError(name, "xlsx", err)
	}
	defer wb.Close()
	// excelize is third-party code parsing untrusted XML: a panic in it must not take the process down.
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, errorf(name, 0, ErrMalformed, "excelize: %v", r)
		}
	}()
	return readEPCN(&workbook{x: wb}, name, source)
}

// workbook is an opened xlsx: read by the streaming reader (fast), or by excelize (x).
type workbook struct {
	x    *excelize.File
	fast *xlsxStream
}

func (wb *workbook) sheetList() []string {
	if wb.fast != nil {
		return wb.fast.sheets
	}
	return wb.x.GetSheetList()
}

func readEPCN(wb *workbook, name, source string) (*Membership, error) {
	sheets := wb.sheetList()
	partners := findSheet(sheets, sheetPartners)
	if partners == "" {
		return nil, errorf(name, 0, ErrMissingSheet, "no sheet %q (sheets: %s)",
			"PCN Core Partner Details", strings.Join(quoteAll(sheets), ", "))
	}
	m := &Membership{Source: source}
	names := map[string]string{} // PCN code → name
	if err := readPartners(wb, name, partners, m, names); err != nil {
		return nil, err
	}
	if details := findSheet(sheets, sheetDetails); details != "" {
		if err := readPCNDetails(wb, name, details, names, m); err != nil {
			return nil, err
		}
	}
	m.PCNs = make([]PCN, 0, len(names))
	for code, n := range names {
		m.PCNs = append(m.PCNs, PCN{Code: code, Name: n})
	}
	slices.SortFunc(m.PCNs, func(a, b PCN) int { return strings.Compare(a.Code, b.Code) })
	return m, nil
}

// workbookBytes reads an xlsx file, possibly gzipped, or inside a zip (as its only .xlsx member).
func workbookBytes(p string) (data []byte, name, source string, err error) {
	name, source = p, filepath.Base(p)
	f, err := os.Open(p)
	if err != nil {
		return nil, name, source, fileError(p, "", err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	magic, _ := br.Peek(4)
	switch sniff(magic) {
	case gzipped:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, name, source, fileError(p, "gzip", err)
		}
		if data, err = io.ReadAll(io.LimitReader(zr, maxWorkbook+1)); err != nil {
			return nil, name, source, ioError(p, 0, err)
		}
	case zipped:
		st, err := f.Stat()
		if err != nil {
			return nil, name, source, fileError(p, "", err)
		}
		zr, err := zip.NewReader(f, st.Size())
		if err != nil {
			return nil, name, source, fileError(p, "zip", err)
		}
		if isWorkbook(zr) {
			if st.Size() > maxWorkbook {
				return nil, name, source, errorf(name, 0, ErrMalformed, "the workbook is over %d MiB", maxWorkbook>>20)
			}
			if data, err = os.ReadFile(p); err != nil {
				return nil, name, source, fileError(p, "", err)
			}
			break
		}
		m, err := pickMember(zr, p, []string{".xlsx"}, "is an .xlsx workbook", nil)
		if err != nil {
			return nil, name, source, err
		}
		name, source = p+":"+m.Name, source+":"+m.Name
		if m.UncompressedSize64 > maxWorkbook {
			return nil, name, source, errorf(name, 0, ErrMalformed, "the workbook is over %d MiB", maxWorkbook>>20)
		}
		if data, err = readAllMember(m, p); err != nil {
			return nil, name, source, err
		}
	default:
		return nil, name, source, errorf(p, 0, ErrMalformed, "not an xlsx workbook (no zip signature)")
	}
	if len(data) > maxWorkbook {
		return nil, name, source, errorf(name, 0, ErrMalformed, "the workbook is over %d MiB", maxWorkbook>>20)
	}
	if sniff(data) != zipped {
		return nil, name, source, errorf(name, 0, ErrMalformed, "not an xlsx workbook (no zip signature)")
	}
	return data, name, source, nil
}

// openExcel is excelize.OpenReader with its panics turned into errors.
func openExcel(data []byte) (wb *excelize.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			wb, err = nil, fmt.Errorf("%w: excelize: %v", ErrMalformed, r)
		}
	}()
	return excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: maxWorkbookXML})
}

// maxWorkbook caps an ePCN workbook's size (the national ones are about 0.6 MiB) and maxWorkbookXML
// what its parts may inflate to in all (the national ones: about 5 MiB; excelize's default is 16 GiB),
// so that reading a workbook holds at most that much XML in memory whichever reader reads it.
const (
	maxWorkbook    = 64 << 20
	maxWorkbookXML = 256 << 20
)

func isWorkbook(zr *zip.Reader) bool {
	for _, m := range zr.File {
		if m.Name == "[Content_Types].xml" {
			return true
		}
	}
	return false
}

// findSheet returns the sheet whose name, without spaces and case, is want; "" if none.
func findSheet(sheets []string, want string) string {
	for _, s := range sheets {
		if strings.ReplaceAll(strings.ToLower(s), " ", "") == want {
			return s
		}
	}
	return ""
}

// eachRow streams a sheet's rows (raw cell values, so dates stay numbers) to fn with their 1-based
// row number. A sheet whose rows stop before its recorded dimension is reported as truncated,
// because excelize ends the stream silently on broken XML.
func eachRow(wb *workbook, file, sheet string, fn func(row int, cells []string) error) error {
	if wb.fast != nil {
		n, dim, err := wb.fast.eachRow(sheet, fn)
		if err != nil {
			return err
		}
		return checkDimension(file, sheet, n, dim)
	}
	rows, err := wb.x.Rows(sheet)
	if err != nil {
		return &Error{File: file, Sheet: sheet, Msg: "xlsx: " + err.Error(), Err: err}
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return &Error{File: file, Sheet: sheet, Line: n, Msg: "xlsx: " + err.Error(), Err: err}
		}
		if err := fn(n, cells); err != nil {
			return err
		}
	}
	if err := rows.Error(); err != nil {
		return &Error{File: file, Sheet: sheet, Line: n + 1, Msg: "xlsx: " + err.Error(), Err: err}
	}
	dim, err := wb.x.GetSheetDimension(sheet)
	if err != nil {
		return nil
	}
	return checkDimension(file, sheet, n, dim)
}

// checkDimension reports a sheet whose n rows stop before its recorded dimension dim. A one-cell
// dimension ("A1") is what an empty sheet has, so only ranges are checked.
func checkDimension(file, sheet string, n int, dim string) error {
	if strings.Contains(dim, ":") {
		last := dim[strings.IndexByte(dim, ':')+1:]
		if _, maxRow, err := excelize.CellNameToCoordinates(last); err == nil && n < maxRow {
			return &Error{File: file, Sheet: sheet, Line: n, Err: ErrMalformed,
				Msg: fmt.Sprintf("sheet ends at row %d but its dimension %s says %d: truncated or corrupt", n, dim, maxRow)}
		}
	}
	return nil
}

// Column roles in the ePCN sheets.
type role uint8

const (
	roleNone role = iota
	rolePractice
	rolePracticeName
	rolePCN
	rolePCNName
	roleStart
	roleEnd
	roleClose
	nRoles
)

var roleNames = [nRoles]string{"", "practice code", "practice name", "PCN code", "PCN name",
	"relationship start date", "relationship end date", "PCN close date"}

// headerRole says what an ePCN header cell holds, from its words, so "Partner\nOrganisation\nCode"
// (2022) and "Partner Organisation Code" (2019) are both the practice code, while "Practice Parent
// CCG Code" and "PCN Parent CCG Code" are neither practice nor PCN.
func headerRole(h string) role {
	w := map[string]bool{}
	for _, f := range strings.FieldsFunc(strings.ToLower(h), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}) {
		w[f] = true
	}
	switch {
	case w["ccg"] || w["parent"] || w["icb"] || w["match"]:
		return roleNone
	case w["close"] || w["closed"]:
		return roleClose
	case w["start"]:
		return roleStart
	case w["end"]:
		return roleEnd
	case w["pcn"] && w["code"]:
		return rolePCN
	case w["pcn"] && w["name"]:
		return rolePCNName
	case (w["partner"] || w["practice"] || w["organisation"] || w["ods"]) && w["code"]:
		return rolePractice
	case (w["partner"] || w["practice"] || w["organisation"]) && w["name"]:
		return rolePracticeName
	}
	return roleNone
}

// headerRoles maps roles to column indexes (-1 when absent) and reports the required ones missing,
// or a role claimed by two columns.
func headerRoles(cells []string, required ...role) ([nRoles]int, error) {
	var idx [nRoles]int
	for i := range idx {
		idx[i] = -1
	}
	for i, c := range cells {
		r := headerRole(c)
		if r == roleNone {
			continue
		}
		if idx[r] >= 0 {
			return idx, fmt.Errorf("%w: columns %q and %q both look like the %s", ErrMalformed,
				cleanHeader(cells[idx[r]]), cleanHeader(c), roleNames[r])
		}
		idx[r] = i
	}
	for _, r := range required {
		if idx[r] < 0 {
			found := make([]string, len(cells))
			for i, c := range cells {
				found[i] = cleanHeader(c)
			}
			return idx, fmt.Errorf("%w: no %s column (columns found: %s)", ErrMissingColumn, roleNames[r],
				strings.Join(quoteAll(found), ", "))
		}
	}
	return idx, nil
}

// cleanHeader collapses the line breaks and spaces of a header cell, for messages.
func cleanHeader(s string) string { return strings.Join(strings.Fields(s), " ") }

// findHeader looks for the header row among the first rows of a sheet.
type findHeader struct {
	required []role
	idx      [nRoles]int
	found    bool
	firstErr error
	firstRow int
}

// try reports whether the header is known after this row; a non-nil error means it never will be.
func (h *findHeader) try(row int, cells []string) (bool, error) {
	if h.found {
		return true, nil
	}
	if blank(cells) {
		return false, nil
	}
	idx, err := headerRoles(cells, h.required...)
	if err == nil {
		h.idx, h.found = idx, true
		return false, nil // the header row itself holds no data
	}
	if h.firstErr == nil {
		h.firstErr, h.firstRow = err, row
	}
	if row >= headerSearchRows {
		return false, h.firstErr
	}
	return false, nil
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// cell returns cells[i] trimmed, or "" when the row is shorter or i < 0.
func cell(cells []string, i int) string {
	if i < 0 || i >= len(cells) {
		return ""
	}
	return strings.TrimSpace(cells[i])
}

func sheetError(file, sheet string, row int, err error) error {
	msg := err.Error()
	for _, s := range []error{ErrMalformed, ErrMissingColumn} {
		msg = strings.TrimPrefix(msg, s.Error()+": ")
	}
	return &Error{File: file, Sheet: sheet, Line: row, Msg: msg, Err: unwrapSentinel(err)}
}

// unwrapSentinel returns the sentinel inside err, for errors built with fmt.Errorf("%w: …").
func unwrapSentinel(err error) error {
	for _, s := range []error{ErrMalformed, ErrMissingColumn, ErrInvalidValue} {
		if errors.Is(err, s) {
			return s
		}
	}
	return err
}

func readPartners(wb *workbook, file, sheet string, m *Membership, names map[string]string) error {
	h := &findHeader{required: []role{rolePractice, rolePCN, roleStart, roleEnd}}
	err := eachRow(wb, file, sheet, func(row int, cells []string) error {
		ok, err := h.try(row, cells)
		if err != nil {
			return sheetError(file, sheet, h.firstRow, err)
		}
		if !ok || blank(cells) {
			return nil
		}
		bad := func(format string, args ...any) error {
			return &Error{File: file, Sheet: sheet, Line: row, Err: ErrInvalidValue, Msg: fmt.Sprintf(format, args...)}
		}
		p := Partner{
			Practice:     cell(cells, h.idx[rolePractice]),
			PracticeName: cell(cells, h.idx[rolePracticeName]),
			PCN:          cell(cells, h.idx[rolePCN]),
		}
		if p.Practice == "" {
			return bad("empty practice code")
		}
		if p.PCN == "" {
			return bad("practice %s: empty PCN code", p.Practice)
		}
		var ok1, ok2 bool
		if p.Start, ok1 = parseCellDate(cell(cells, h.idx[roleStart])); !ok1 {
			return bad("practice %s: start date %q is not a date", p.Practice, cell(cells, h.idx[roleStart]))
		}
		if p.End, ok2 = parseCellDate(cell(cells, h.idx[roleEnd])); !ok2 {
			return bad("practice %s: end date %q is not a date", p.Practice, cell(cells, h.idx[roleEnd]))
		}
		if !p.Start.IsZero() && !p.End.IsZero() && p.End.Before(p.Start) {
			return bad("practice %s: end date %s is before start date %s", p.Practice,
				p.End.Format(time.DateOnly), p.Start.Format(time.DateOnly))
		}
		m.Partners = append(m.Partners, p)
		if n := cell(cells, h.idx[rolePCNName]); n != "" || names[p.PCN] == "" {
			names[p.PCN] = n
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !h.found {
		if h.firstErr != nil {
			return sheetError(file, sheet, h.firstRow, h.firstErr)
		}
		return &Error{File: file, Sheet: sheet, Err: ErrMalformed, Msg: "sheet is empty"}
	}
	return nil
}

// readPCNDetails adds the PCN names of the "PCN Details" sheet, which win over the partner sheet's,
// and the close dates of the PCNs it says have closed (Membership.Closed).
func readPCNDetails(wb *workbook, file, sheet string, names map[string]string, m *Membership) error {
	h := &findHeader{required: []role{rolePCN, rolePCNName}}
	err := eachRow(wb, file, sheet, func(row int, cells []string) error {
		ok, err := h.try(row, cells)
		if err != nil {
			return sheetError(file, sheet, h.firstRow, err)
		}
		if !ok || blank(cells) {
			return nil
		}
		code := cell(cells, h.idx[rolePCN])
		if code == "" {
			return &Error{File: file, Sheet: sheet, Line: row, Err: ErrInvalidValue, Msg: "empty PCN code"}
		}
		if n := cell(cells, h.idx[rolePCNName]); n != "" || names[code] == "" {
			names[code] = n
		}
		if i := h.idx[roleClose]; i >= 0 {
			raw := cell(cells, i)
			d, ok := parseCellDate(raw)
			if !ok {
				return &Error{File: file, Sheet: sheet, Line: row, Err: ErrInvalidValue,
					Msg: fmt.Sprintf("PCN %s: close date %q is not a date", code, raw)}
			}
			if !d.IsZero() {
				if m.Closed == nil {
					m.Closed = map[string]time.Time{}
				}
				m.Closed[code] = d
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !h.found && h.firstErr != nil {
		return sheetError(file, sheet, h.firstRow, h.firstErr)
	}
	return nil
}

// excelEpoch is day 0 of Excel's 1900 date system (which counts a 29 February 1900 that never was,
// hence the 30th).
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// parseCellDate reads a workbook date: empty (zero, ok), text in any form parseDate knows, or an
// Excel serial day number (a fraction, the time of day, is dropped). YYYYMMDD numbers such as
// 20191001 are read as text: as serials they would be past the year 9999, so there is no ambiguity.
// Serials below 61 are rejected: Excel counts a 29 February 1900 that never was, so they are a day
// out, and no PCN relationship is that old anyway.
func parseCellDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, true
	}
	if t, ok := parseDate(s); ok {
		return t, true
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || v < 61 || v >= 109574 { // 61 = 1900-03-01, 109574 = 2200-01-01
		return time.Time{}, false
	}
	return excelEpoch.AddDate(0, 0, int(v)), true
}

// day returns d's calendar date at midnight UTC, so that comparisons ignore time of day and zone.
func day(d time.Time) time.Time {
	y, m, dd := d.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
}

// AsOf returns practice → PCN code for the relationships active on day d: Start ≤ d ≤ End, a zero
// Start or End being unbounded. A zero d asks for the current membership: the rows with no end date.
// A practice with two or more active rows keeps the one that started last (the newer decision; on a
// tie, an open end beats a closed one, then the later end, then the later row) and is listed among
// the conflicts, sorted by practice code. A PCN the workbook says closed before d (or, for the
// current membership, closed at all) has no members, whatever its partner rows say.
func (m *Membership) AsOf(d time.Time) (map[string]string, []Conflict) {
	current := d.IsZero()
	d = day(d)
	best := make(map[string]int, len(m.Partners))
	dropped := map[string][]int{}
	for i, p := range m.Partners {
		if c, ok := m.Closed[p.PCN]; ok && (current || d.After(c)) {
			continue
		}
		if current {
			if !p.End.IsZero() {
				continue
			}
		} else if !p.Start.IsZero() && d.Before(p.Start) || !p.End.IsZero() && d.After(p.End) {
			continue
		}
		j, seen := best[p.Practice]
		if !seen {
			best[p.Practice] = i
			continue
		}
		if newer(p, m.Partners[j]) {
			best[p.Practice] = i
			dropped[p.Practice] = append(dropped[p.Practice], j)
		} else {
			dropped[p.Practice] = append(dropped[p.Practice], i)
		}
	}
	out := make(map[string]string, len(best))
	for practice, i := range best {
		out[practice] = m.Partners[i].PCN
	}
	var conflicts []Conflict
	for practice, idx := range dropped {
		slices.Sort(idx)
		c := Conflict{Practice: practice, Chosen: m.Partners[best[practice]]}
		for _, i := range idx {
			c.Dropped = append(c.Dropped, m.Partners[i])
		}
		conflicts = append(conflicts, c)
	}
	slices.SortFunc(conflicts, func(a, b Conflict) int { return strings.Compare(a.Practice, b.Practice) })
	return out, conflicts
}

// newer reports whether a, a later row than b, should win over b.
func newer(a, b Partner) bool {
	if !a.Start.Equal(b.Start) {
		return a.Start.After(b.Start)
	}
	if a.End.IsZero() != b.End.IsZero() {
		return a.End.IsZero()
	}
	return !a.End.Before(b.End)
}
