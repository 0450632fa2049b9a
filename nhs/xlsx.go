package nhs

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/klauspost/compress/flate"
)

// The ePCN workbook's sheets are read in one pass over their XML by the scanner below, which is
// about ten times cheaper than excelize and encoding/xml. It handles the plain SpreadsheetML that
// Excel writes (rows and cells with their references, shared, inline and formula strings, numbers
// and booleans) and gives each row exactly the cells excelize's Rows.Columns gives with
// RawCellValue. Anything else it meets (a prefixed element, CDATA, an entity it does not know,
// rows or cells out of order, a "_xHHHH_" escape, a part it cannot find) makes it give up with
// errFallback, and the workbook is read again through excelize from the start, so results never
// depend on which reader ran; a differential fuzz test holds the two to the same rows.

// errFallback says the streaming reader met something it leaves to excelize.
var errFallback = errors.New("nhs: xlsx: left to excelize")

// errInflated says the workbook's parts would inflate to more than maxWorkbookXML.
var errInflated = fmt.Errorf("%w: the workbook inflates to over %d MiB", ErrMalformed, maxWorkbookXML>>20)

// maxFastPart bounds one part the streaming reader inflates; larger parts go to excelize, which
// reads parts above its UnzipXMLSizeLimit (16 MiB by default) through temporary files.
const maxFastPart = 16 << 20

// maxSheetRow is the last row a worksheet can have (excelize.TotalRows).
const maxSheetRow = 1 << 20

// xlsxStream is an xlsx workbook opened for the streaming reader.
type xlsxStream struct {
	parts  map[string]*zip.File
	data   map[string][]byte // inflated parts
	sheets []string          // names, in workbook order
	paths  map[string]string // lower-cased name → part path
	sst    []string          // shared strings, read on first use
	sstOK  bool
}

// openXLSXStream reads the workbook's sheet list and where each sheet is.
func openXLSXStream(data []byte) (*xlsxStream, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, errFallback
	}
	zr.RegisterDecompressor(zip.Deflate, flate.NewReader)
	x := &xlsxStream{parts: make(map[string]*zip.File, len(zr.File)), paths: map[string]string{}}
	for _, f := range zr.File {
		if _, dup := x.parts[f.Name]; dup {
			return nil, errFallback
		}
		x.parts[f.Name] = f
	}
	if x.parts["[Content_Types].xml"] == nil {
		return nil, errFallback
	}
	// The parts' declared sizes bound what inflating them yields (archive/zip fails a part that
	// inflates past its declared size), so one sum refuses a zip bomb before anything is inflated;
	// excelize refuses the same workbooks through its UnzipSizeLimit.
	var total uint64
	for _, f := range zr.File {
		if total += f.UncompressedSize64; total > maxWorkbookXML {
			return nil, errInflated
		}
	}
	// excelize inflates every part on opening and decodes these three, refusing the workbook if one
	// is corrupt; so does this reader, so that both accept the same files.
	x.data = make(map[string][]byte, len(zr.File))
	for _, f := range zr.File {
		if strings.Contains(f.Name, `\`) {
			return nil, errFallback
		}
		if _, err := x.part(f.Name); err != nil {
			return nil, err
		}
	}
	for _, p := range []string{"xl/calcChain.xml", "xl/styles.xml", "xl/theme/theme1.xml"} {
		if b, ok := x.data[p]; ok && !wellFormed(b) {
			return nil, errFallback
		}
	}
	var rootRels relationships
	if err := x.unmarshal("_rels/.rels", &rootRels); err != nil {
		return nil, err
	}
	wbPath := ""
	for _, r := range rootRels.Rel {
		if r.Type == relOfficeDocument {
			wbPath = strings.TrimPrefix(r.Target, "/")
			break
		}
	}
	if wbPath != "xl/workbook.xml" {
		return nil, errFallback
	}
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			ID   string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := x.unmarshal(wbPath, &wb); err != nil {
		return nil, err
	}
	var rels relationships
	if err := x.unmarshal("xl/_rels/workbook.xml.rels", &rels); err != nil {
		return nil, err
	}
	for _, s := range wb.Sheets {
		key := strings.ToLower(s.Name)
		if _, dup := x.paths[key]; dup || s.Name == "" || strings.ContainsAny(s.Name, ":\\/?*[]'") {
			return nil, errFallback
		}
		for _, r := range rels.Rel {
			if r.ID != s.ID {
				continue
			}
			p := path.Clean("xl/" + r.Target)
			if strings.HasPrefix(r.Target, "/") {
				p = strings.TrimPrefix(path.Clean(r.Target), "/")
			}
			if strings.Contains(r.Target, `\`) || x.parts[p] == nil {
				return nil, errFallback
			}
			x.paths[key] = p
		}
		x.sheets = append(x.sheets, s.Name)
	}
	return x, nil
}

const relOfficeDocument = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"

type relationships struct {
	Rel []struct {
		ID     string `xml:"Id,attr"`
		Type   string `xml:"Type,attr"`
		Target string `xml:"Target,attr"`
	} `xml:"Relationship"`
}

// wellFormed reports whether b decodes as XML.
func wellFormed(b []byte) bool {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		if _, err := d.Token(); err != nil {
			return err == io.EOF
		}
	}
}

// part inflates one member of the workbook, once.
func (x *xlsxStream) part(name string) ([]byte, error) {
	if b, ok := x.data[name]; ok {
		return b, nil
	}
	f := x.parts[name]
	if f == nil || f.UncompressedSize64 > maxFastPart {
		return nil, errFallback
	}
	rc, err := f.Open()
	if err != nil {
		return nil, errFallback
	}
	defer rc.Close()
	b := make([]byte, 0, f.UncompressedSize64)
	buf := bytes.NewBuffer(b)
	if _, err := buf.ReadFrom(io.LimitReader(rc, maxFastPart+1)); err != nil || buf.Len() > maxFastPart {
		return nil, errFallback
	}
	x.data[name] = buf.Bytes()
	return buf.Bytes(), nil
}

// unmarshal decodes a small part (the workbook and its relationships) with encoding/xml.
func (x *xlsxStream) unmarshal(name string, v any) error {
	b, err := x.part(name)
	if err != nil {
		return err
	}
	if xml.Unmarshal(b, v) != nil {
		return errFallback
	}
	return nil
}

// sharedStrings reads xl/sharedStrings.xml (the path excelize reads it from) once.
func (x *xlsxStream) sharedStrings() ([]string, error) {
	if x.sstOK {
		return x.sst, nil
	}
	x.sstOK = true
	if x.parts["xl/sharedStrings.xml"] == nil {
		return nil, nil
	}
	b, err := x.part("xl/sharedStrings.xml")
	if err != nil {
		return nil, err
	}
	s := &xmlScanner{b: b}
	if !s.skipTo("sst") {
		return nil, errFallback
	}
	if s.selfClosed {
		return nil, nil
	}
	var text []byte
	for {
		name, end, ok := s.next()
		if !ok {
			return nil, errFallback
		}
		if end {
			if name != "sst" {
				return nil, errFallback
			}
			break
		}
		if name != "si" {
			return nil, errFallback
		}
		text = text[:0]
		if !s.selfClosed {
			if text, ok = s.richText("si", text); !ok {
				return nil, errFallback
			}
		}
		if bytes.Contains(text, []byte("_x")) {
			return nil, errFallback
		}
		x.sst = append(x.sst, string(text))
	}
	return x.sst, nil
}

// eachRow calls fn for every row of sheet, numbered from 1, with nil cells for the rows the sheet
// skips, as excelize's Rows does; dimension is the sheet's recorded range.
func (x *xlsxStream) eachRow(sheet string, fn func(row int, cells []string) error) (n int, dimension string, err error) {
	p, ok := x.paths[strings.ToLower(sheet)]
	if !ok {
		return 0, "", errFallback
	}
	b, err := x.part(p)
	if err != nil {
		return 0, "", err
	}
	s := &xmlScanner{b: b}
	// The dimension, if any, comes before sheetData.
	for {
		name, end, ok := s.next()
		if !ok {
			return 0, "", errFallback
		}
		if c := strings.LastIndexByte(name, ':'); c >= 0 && (name[c+1:] == "dimension" || name[c+1:] == "sheetData") {
			return 0, "", errFallback
		}
		if end {
			continue
		}
		if name == "dimension" && dimension == "" {
			dimension = s.attr("ref")
		}
		if name == "sheetData" {
			break
		}
		if s.failed {
			return 0, "", errFallback
		}
	}
	if s.selfClosed {
		return 0, dimension, nil
	}
	var cells []string
	var text []byte
	for {
		name, end, ok := s.next()
		if !ok {
			return 0, "", errFallback // broken XML: excelize stops silently there
		}
		if end {
			if name != "sheetData" {
				return 0, "", errFallback
			}
			return n, dimension, nil
		}
		if name != "row" {
			return 0, "", errFallback
		}
		r, err := strconv.Atoi(s.attr("r"))
		if err != nil || r <= n || r > maxSheetRow || s.failed {
			return 0, "", errFallback
		}
		for n+1 < r { // rows the sheet leaves out
			n++
			if err := fn(n, nil); err != nil {
				return n, dimension, err
			}
		}
		n = r
		cells = cells[:0]
		if !s.selfClosed {
			for {
				name, end, ok := s.next()
				if !ok {
					return 0, "", errFallback
				}
				if end {
					if name != "row" {
						return 0, "", errFallback
					}
					break
				}
				if name != "c" {
					return 0, "", errFallback
				}
				col, ok := columnOf(s.attr("r"))
				if !ok || col <= len(cells) {
					return 0, "", errFallback
				}
				typ := s.attr("t")
				if s.failed {
					return 0, "", errFallback
				}
				var val string
				var formula bool
				if !s.selfClosed {
					if val, formula, text, ok = x.cellValue(s, typ, text); !ok {
						return 0, "", errFallback
					}
				}
				if val != "" || formula {
					for len(cells) < col-1 {
						cells = append(cells, "")
					}
					cells = append(cells, val)
				}
			}
		}
		// fn gets a fresh slice: callers may keep it.
		if err := fn(n, append([]string(nil), cells...)); err != nil {
			return n, dimension, err
		}
	}
}

// cellValue reads a <c> element's children up to </c> and returns its raw value, as excelize's
// getValueFrom with raw values: the shared string for t="s", the inline string for t="inlineStr",
// else the text of <v>.
func (x *xlsxStream) cellValue(s *xmlScanner, typ string, text []byte) (val string, formula bool, buf []byte, ok bool) {
	var v, is []byte
	hasV, hasIS := false, false
	for {
		name, end, ok := s.next()
		if !ok {
			return "", false, text, false
		}
		if end {
			if name != "c" {
				return "", false, text, false
			}
			break
		}
		switch name {
		case "v":
			if hasV {
				return "", false, text, false
			}
			hasV = true
			if !s.selfClosed {
				if v, ok = s.text("v", nil); !ok {
					return "", false, text, false
				}
			}
		case "f":
			formula = true
			if !s.selfClosed {
				if _, ok = s.text("f", nil); !ok {
					return "", false, text, false
				}
			}
		case "is":
			if hasIS {
				return "", false, text, false
			}
			hasIS = true
			text = text[:0]
			if !s.selfClosed {
				if text, ok = s.richText("is", text); !ok {
					return "", false, text, false
				}
			}
			if bytes.Contains(text, []byte("_x")) {
				return "", false, text, false
			}
			is = text
		default:
			return "", false, text, false
		}
	}
	switch typ {
	case "s":
		if len(v) == 0 {
			return "", formula, text, true
		}
		sst, err := x.sharedStrings()
		if err != nil {
			return "", false, text, false
		}
		i, err := strconv.Atoi(strings.TrimSpace(string(v)))
		if err != nil || i < 0 || i >= len(sst) {
			return "", false, text, false
		}
		return sst[i], formula, text, true
	case "inlineStr":
		if hasIS {
			return string(is), formula, text, true
		}
	case "str", "b", "d", "n", "e", "":
	default:
		return "", false, text, false
	}
	return string(v), formula, text, true
}

// columnOf reads the 1-based column of a cell reference such as "AB12".
func columnOf(ref string) (int, bool) {
	col, i := 0, 0
	for ; i < len(ref) && ref[i] >= 'A' && ref[i] <= 'Z'; i++ {
		col = col*26 + int(ref[i]-'A'+1)
		if col > 16384 {
			return 0, false
		}
	}
	if i == 0 || i == len(ref) || ref[i] == '0' {
		return 0, false
	}
	for j := i; j < len(ref); j++ {
		if ref[j] < '0' || ref[j] > '9' {
			return 0, false
		}
	}
	if r, err := strconv.Atoi(ref[i:]); err != nil || r > maxSheetRow {
		return 0, false
	}
	return col, true
}

// xmlScanner walks the elements of a SpreadsheetML part. It knows just enough XML for what Excel
// writes; on anything else it reports failure and the caller falls back.
type xmlScanner struct {
	b          []byte
	i          int
	attrs      []byte   // the current start tag's attributes
	selfClosed bool     // the current start tag ends in "/>"
	open       []string // the elements open, outermost first
	failed     bool     // an attribute could not be decoded
}

// next moves to the next start or end tag, skipping the text, comments and the XML declaration
// between elements; it fails on CDATA, DOCTYPE, other processing instructions, an end tag that does
// not close the open element, malformed attributes or text that encoding/xml would refuse (where
// excelize's reading stops). Names keep their prefix, so a prefixed element never matches the plain
// names the readers expect.
func (s *xmlScanner) next() (name string, end, ok bool) {
	for {
		j := bytes.IndexByte(s.b[s.i:], '<')
		if j < 0 {
			return "", false, false
		}
		if !validText(s.b[s.i : s.i+j]) {
			return "", false, false
		}
		s.i += j
		rest := s.b[s.i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<?")):
			k := bytes.Index(rest, []byte("?>"))
			if k < 0 || !plainDeclaration(rest[:k+2]) {
				return "", false, false
			}
			s.i += k + 2
			continue
		case bytes.HasPrefix(rest, []byte("<!--")):
			k := bytes.Index(rest[4:], []byte("--"))
			if k < 0 || !bytes.HasPrefix(rest[4+k:], []byte("-->")) {
				return "", false, false // "--" inside a comment is an error to encoding/xml
			}
			s.i += 4 + k + 3
			continue
		case bytes.HasPrefix(rest, []byte("<!")):
			return "", false, false
		}
		k := tagEnd(rest)
		if k < 0 {
			return "", false, false
		}
		tag := rest[1:k]
		s.i += k + 1
		if len(tag) > 0 && tag[0] == '/' {
			n := trimSpaceRight(tag[1:])
			if !xmlName(n) || len(s.open) == 0 || s.open[len(s.open)-1] != string(n) {
				return "", false, false
			}
			name = s.open[len(s.open)-1]
			s.open = s.open[:len(s.open)-1]
			return name, true, true
		}
		s.selfClosed = len(tag) > 0 && tag[len(tag)-1] == '/'
		if s.selfClosed {
			tag = tag[:len(tag)-1]
		}
		e := 0
		for e < len(tag) && !isSpace(tag[e]) {
			e++
		}
		if !xmlName(tag[:e]) || !validAttrs(tag[e:]) {
			return "", false, false
		}
		s.attrs, s.failed = tag[e:], false
		name = intern(tag[:e])
		if !s.selfClosed {
			s.open = append(s.open, name)
		}
		return name, false, true
	}
}

// validText reports whether character data between tags is text encoding/xml accepts.
func validText(raw []byte) bool {
	for _, c := range raw {
		if c == '&' || c >= utf8.RuneSelf || c < 0x20 {
			_, ok := unescape(nil, raw, false)
			return ok
		}
	}
	return true
}

// plainDeclaration: the XML declaration, in UTF-8 (or naming no encoding), as encoding/xml reads it
// (its version, its parameters' quoting); any other processing instruction, another encoding, or a
// declaration encoding/xml refuses (where excelize's reading stops) is left to excelize.
func plainDeclaration(pi []byte) bool {
	if !bytes.HasPrefix(pi, []byte("<?xml ")) {
		return false
	}
	if _, err := xml.NewDecoder(bytes.NewReader(pi)).Token(); err != nil {
		return false
	}
	l := bytes.ToLower(pi)
	i := bytes.Index(l, []byte("encoding="))
	if i < 0 {
		return true
	}
	v := l[i+len("encoding="):]
	return bytes.HasPrefix(v, []byte(`"utf-8"`)) || bytes.HasPrefix(v, []byte(`'utf-8'`))
}

// validAttrs reports whether a start tag's attribute list is well formed: name="value" pairs
// separated by white space, values holding text encoding/xml accepts.
func validAttrs(a []byte) bool {
	for {
		if len(a) == 0 {
			return true
		}
		if !isSpace(a[0]) {
			return false
		}
		a = trimSpace(a)
		if len(a) == 0 {
			return true
		}
		eq := bytes.IndexByte(a, '=')
		if eq <= 0 || !xmlName(trimSpaceRight(a[:eq])) {
			return false
		}
		a = trimSpace(a[eq+1:])
		if len(a) == 0 || a[0] != '"' && a[0] != '\'' {
			return false
		}
		q := bytes.IndexByte(a[1:], a[0])
		if q < 0 || bytes.IndexByte(a[1:1+q], '<') >= 0 || !validText(a[1:1+q]) {
			return false
		}
		a = a[2+q:]
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	return b
}

func trimSpaceRight(b []byte) []byte {
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// tagEnd returns the index of the '>' closing the tag that starts b, skipping quoted attribute
// values (which may hold '>'), or -1.
func tagEnd(b []byte) int {
	var quote byte
	for i := 1; i < len(b); i++ {
		switch c := b[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i
		case c == '<':
			return -1
		}
	}
	return -1
}

// intern returns the names the readers compare without allocating a string for each tag.
func intern(n []byte) string {
	switch string(n) {
	case "c":
		return "c"
	case "v":
		return "v"
	case "f":
		return "f"
	case "t":
		return "t"
	case "r":
		return "r"
	case "row":
		return "row"
	case "si":
		return "si"
	case "is":
		return "is"
	case "rPr":
		return "rPr"
	}
	return string(n)
}

// xmlName: an element name, possibly prefixed, of the characters SpreadsheetML uses.
func xmlName(n []byte) bool {
	if len(n) == 0 {
		return false
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == ':' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// attr returns the decoded value of the current start tag's attribute name, "" if it has none. A
// malformed attribute list, the name given twice or with a prefix (excelize matches local names)
// sets failed.
func (s *xmlScanner) attr(name string) string {
	a := s.attrs
	var out []byte
	found := false
	for {
		a = trimSpace(a)
		if len(a) == 0 {
			return string(out)
		}
		eq := bytes.IndexByte(a, '=')
		if eq <= 0 {
			s.failed = true
			return ""
		}
		key := trimSpaceRight(a[:eq])
		a = trimSpace(a[eq+1:])
		if len(a) == 0 || a[0] != '"' && a[0] != '\'' {
			s.failed = true
			return ""
		}
		q := bytes.IndexByte(a[1:], a[0])
		if q < 0 {
			s.failed = true
			return ""
		}
		val := a[1 : 1+q]
		a = a[2+q:]
		local := key
		if c := bytes.LastIndexByte(key, ':'); c >= 0 {
			local = key[c+1:]
		}
		if string(local) != name {
			continue
		}
		if found || len(local) != len(key) {
			s.failed = true
			return ""
		}
		found = true
		if bytes.IndexByte(val, '&') < 0 && xmlText(val) && !bytes.ContainsAny(val, "\t\n\r<") {
			out = val
			continue
		}
		var ok bool
		if out, ok = unescape(nil, val, true); !ok {
			s.failed = true
			return ""
		}
	}
}

// text appends the character data up to the end tag of elem, which must hold nothing else.
func (s *xmlScanner) text(elem string, dst []byte) ([]byte, bool) {
	j := bytes.IndexByte(s.b[s.i:], '<')
	if j < 0 || !bytes.HasPrefix(s.b[s.i+j:], []byte("</")) {
		return dst, false
	}
	raw := s.b[s.i : s.i+j]
	s.i += j
	name, end, ok := s.next()
	if !ok || !end || name != elem {
		return dst, false
	}
	return unescape(dst, raw, false)
}

// richText appends the text of a string item (<si> or <is>): its <t>, then the <t> of each run
// <r>, as excelize's xlsxSI.String, ignoring run properties and phonetic runs.
func (s *xmlScanner) richText(elem string, dst []byte) ([]byte, bool) {
	var t, runs []byte
	sawT := false
	for {
		name, end, ok := s.next()
		if !ok {
			return dst, false
		}
		if end {
			return append(append(dst, t...), runs...), name == elem
		}
		switch name {
		case "t":
			if sawT {
				return dst, false
			}
			sawT = true
			if !s.selfClosed {
				if t, ok = s.text("t", nil); !ok {
					return dst, false
				}
			}
		case "r":
			if s.selfClosed {
				continue
			}
			sawRunT := false
			for {
				name, end, ok := s.next()
				if !ok {
					return dst, false
				}
				if end {
					if name != "r" {
						return dst, false
					}
					break
				}
				switch name {
				case "t":
					if sawRunT {
						return dst, false
					}
					sawRunT = true
					if !s.selfClosed {
						if runs, ok = s.text("t", runs); !ok {
							return dst, false
						}
					}
				case "rPr":
					if !s.selfClosed && !s.skip("rPr") {
						return dst, false
					}
				default:
					return dst, false
				}
			}
		case "rPh", "phoneticPr":
			if !s.selfClosed && !s.skip(name) {
				return dst, false
			}
		default:
			return dst, false
		}
	}
}

// skip moves past the end tag of elem, whose content is not needed (nested elements of other
// names are allowed).
func (s *xmlScanner) skip(elem string) bool {
	depth := 0
	for {
		name, end, ok := s.next()
		if !ok {
			return false
		}
		switch {
		case end && depth == 0:
			return name == elem
		case end:
			depth--
		case !s.selfClosed:
			depth++
		}
	}
}

// skipTo moves to the start tag of elem.
func (s *xmlScanner) skipTo(elem string) bool {
	for {
		name, end, ok := s.next()
		if !ok {
			return false
		}
		if !end && name == elem {
			return true
		}
	}
}

// unescape appends raw with its character references and the five predefined entities decoded,
// and its line ends normalised as encoding/xml does ("\r\n" and a lone "\r" become "\n"); other
// entities or text that is not XML fail. Attribute values with tabs or newlines fail too.
func unescape(dst, raw []byte, attr bool) ([]byte, bool) {
	if !xmlText(raw) {
		return dst, false
	}
	if attr && bytes.ContainsAny(raw, "\t\n\r<") {
		return dst, false
	}
	for {
		j := bytes.IndexAny(raw, "&\r")
		if j < 0 {
			return append(dst, raw...), true
		}
		dst = append(dst, raw[:j]...)
		if raw[j] == '\r' {
			dst = append(dst, '\n')
			raw = raw[j+1:]
			if len(raw) > 0 && raw[0] == '\n' {
				raw = raw[1:]
			}
			continue
		}
		raw = raw[j+1:]
		k := bytes.IndexByte(raw, ';')
		if k <= 0 {
			return dst, false
		}
		ent := string(raw[:k])
		raw = raw[k+1:]
		switch ent {
		case "amp":
			dst = append(dst, '&')
		case "lt":
			dst = append(dst, '<')
		case "gt":
			dst = append(dst, '>')
		case "quot":
			dst = append(dst, '"')
		case "apos":
			dst = append(dst, '\'')
		default:
			if len(ent) < 2 || ent[0] != '#' {
				return dst, false
			}
			var n uint64
			var err error
			if ent[1] == 'x' {
				n, err = strconv.ParseUint(ent[2:], 16, 32)
			} else {
				n, err = strconv.ParseUint(ent[1:], 10, 32)
			}
			r := rune(n)
			if err != nil || !isXMLChar(r) {
				return dst, false
			}
			dst = utf8.AppendRune(dst, r)
		}
	}
}

// xmlText reports whether raw is UTF-8 made of XML characters.
func xmlText(raw []byte) bool {
	for i := 0; i < len(raw); {
		c := raw[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(raw[i:])
		if r == utf8.RuneError && n == 1 || !isXMLChar(r) {
			return false
		}
		i += n
	}
	return true
}

// isXMLChar is the XML 1.0 Char production, which encoding/xml enforces on character references.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}
