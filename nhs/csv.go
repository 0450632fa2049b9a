package nhs

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode"
)

// maxLine bounds one CSV line so that a file without newlines cannot make a reader hold it all.
const maxLine = 1 << 20

// csvReader splits RFC 4180 CSV one line at a time. It is faster than encoding/csv on the 62 MB
// registrations file because a line without a quote is split in place, with no copy; lines with
// quotes get the full quoting rules. A quoted field may not span lines: none of the NHS or ONS
// files does that, so a quote left open is reported as an error at its line rather than swallowing
// the rest of the file into one field.
type csvReader struct {
	br     *bufio.Reader
	name   string
	line   int // 1-based number of the line last returned
	fields [][]byte
	long   []byte // a line longer than br's buffer
	quoted []byte // unescaped fields of a line with quotes
	offs   []int
}

func newCSVReader(r io.Reader, name string) *csvReader {
	return &csvReader{br: bufio.NewReaderSize(r, 64<<10), name: name, fields: make([][]byte, 0, 16)}
}

// next returns the fields of the next non-blank line, valid until the following call, or io.EOF
// after the last line. Any other error is an *Error naming the line.
func (r *csvReader) next() ([][]byte, error) {
	for {
		line, err := r.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			line, err = r.readLong(line)
		}
		if err != nil && err != io.EOF {
			if errors.Is(err, ErrMalformed) {
				return nil, err
			}
			return nil, ioError(r.name, r.line+1, err)
		}
		if len(line) == 0 && err == io.EOF {
			return nil, io.EOF
		}
		r.line++
		if n := len(line); n > 0 && line[n-1] == '\n' {
			line = line[:n-1]
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if r.line == 1 {
			line = bytes.TrimPrefix(line, bom)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if bytes.IndexByte(line, '"') < 0 {
			r.fields = r.fields[:0]
			for {
				i := bytes.IndexByte(line, ',')
				if i < 0 {
					r.fields = append(r.fields, line)
					break
				}
				r.fields = append(r.fields, line[:i])
				line = line[i+1:]
			}
			return r.fields, nil
		}
		return r.splitQuoted(line)
	}
}

var bom = []byte("\xef\xbb\xbf")

// readLong gathers a line that overflowed br's buffer, up to maxLine bytes.
func (r *csvReader) readLong(first []byte) ([]byte, error) {
	r.long = append(r.long[:0], first...)
	for {
		more, err := r.br.ReadSlice('\n')
		r.long = append(r.long, more...)
		if len(r.long) > maxLine {
			return nil, errorf(r.name, r.line+1, ErrMalformed, "line longer than %d bytes", maxLine)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return r.long, err
	}
}

// splitQuoted splits a line that contains a quote, following RFC 4180 within the line.
func (r *csvReader) splitQuoted(line []byte) ([][]byte, error) {
	r.quoted = r.quoted[:0]
	r.offs = r.offs[:0]
	i := 0
	for {
		start := len(r.quoted)
		if i < len(line) && line[i] == '"' {
			i++
			for {
				j := bytes.IndexByte(line[i:], '"')
				if j < 0 {
					return nil, errorf(r.name, r.line, ErrMalformed,
						"quoted field not closed on its line (a quoted field broken across lines is not accepted)")
				}
				r.quoted = append(r.quoted, line[i:i+j]...)
				i += j + 1
				if i < len(line) && line[i] == '"' {
					r.quoted = append(r.quoted, '"')
					i++
					continue
				}
				break
			}
			r.offs = append(r.offs, start, len(r.quoted))
			if i == len(line) {
				break
			}
			if line[i] != ',' {
				return nil, errorf(r.name, r.line, ErrMalformed,
					"field %d: unexpected %q after a closing quote", len(r.offs)/2, line[i])
			}
			i++
			continue
		}
		j := bytes.IndexByte(line[i:], ',')
		f := line[i:]
		if j >= 0 {
			f = line[i : i+j]
		}
		if bytes.IndexByte(f, '"') >= 0 {
			return nil, errorf(r.name, r.line, ErrMalformed,
				"field %d: quote inside an unquoted field", len(r.offs)/2+1)
		}
		r.quoted = append(r.quoted, f...)
		r.offs = append(r.offs, start, len(r.quoted))
		if j < 0 {
			break
		}
		i += j + 1
	}
	r.fields = r.fields[:0]
	for k := 0; k < len(r.offs); k += 2 {
		r.fields = append(r.fields, r.quoted[r.offs[k]:r.offs[k+1]:r.offs[k+1]])
	}
	return r.fields, nil
}

// header reads the first non-blank line as column names. An empty input is ErrMalformed.
func (r *csvReader) header() ([]string, error) {
	f, err := r.next()
	if err == io.EOF {
		return nil, errorf(r.name, 0, ErrMalformed, "empty file: no header line")
	}
	if err != nil {
		return nil, err
	}
	h := make([]string, len(f))
	for i, b := range f {
		h[i] = strings.TrimSpace(string(b))
	}
	return h, nil
}

// row returns the fields of the next line, which must have the header's want fields, or io.EOF
// after the last line.
func (r *csvReader) row(want int) ([][]byte, error) {
	f, err := r.next()
	if err != nil {
		return nil, err
	}
	return f, r.checkFields(f, want)
}

// checkFields reports a line whose field count differs from the header's.
func (r *csvReader) checkFields(f [][]byte, want int) error {
	if len(f) != want {
		return errorf(r.name, r.line, ErrMalformed, "%d fields, want %d as in the header", len(f), want)
	}
	return nil
}

// normColumn makes column names comparable: lower case, trimmed, and with runs of spaces, line
// breaks, underscores, hyphens and byte-order marks as one underscore, so "Number of Patients" =
// "NUMBER_OF_PATIENTS".
func normColumn(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	sep := false
	for _, c := range strings.ToLower(s) {
		if unicode.IsSpace(c) || c == '_' || c == '-' || c == '\ufeff' {
			sep = true
			continue
		}
		if sep && b.Len() > 0 {
			b.WriteByte('_')
		}
		sep = false
		b.WriteRune(c)
	}
	return b.String()
}

// columns indexes a header by normalised name.
type columns struct {
	name   string
	header []string
	norm   []string
}

func newColumns(name string, header []string) *columns {
	c := &columns{name: name, header: header, norm: make([]string, len(header))}
	for i, h := range header {
		c.norm[i] = normColumn(h)
	}
	return c
}

// find returns the index of the one column named like any of names (in order of preference), -1 if
// there is none, and ErrMalformed if the preferred name appears twice.
func (c *columns) find(names ...string) (int, error) {
	for _, n := range names {
		n = normColumn(n)
		idx := -1
		for i, h := range c.norm {
			if h != n || h == "" {
				continue
			}
			if idx >= 0 {
				return -1, errorf(c.name, 1, ErrMalformed, "column %q appears twice (fields %d and %d)",
					c.header[i], idx+1, i+1)
			}
			idx = i
		}
		if idx >= 0 {
			return idx, nil
		}
	}
	return -1, nil
}

// need is find for a required column: a missing one is ErrMissingColumn listing what was found.
func (c *columns) need(names ...string) (int, error) {
	i, err := c.find(names...)
	if err != nil || i >= 0 {
		return i, err
	}
	want := strings.Join(quoteAll(names), " or ")
	return -1, errorf(c.name, 1, ErrMissingColumn, "missing column %s (columns found: %s)",
		want, strings.Join(quoteAll(c.header), ", "))
}

// like returns the index of the column matching pattern, where '#' stands for one digit
// ("ccg##cd" matches CCG20CD and CCG22CD); -1 if none. The first match wins.
func (c *columns) like(pattern string) int {
	for i, h := range c.norm {
		if matchDigits(pattern, h) {
			return i
		}
	}
	return -1
}

func matchDigits(pattern, s string) bool {
	if len(pattern) != len(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		p := pattern[i]
		if p == '#' {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		} else if p != s[i] {
			return false
		}
	}
	return true
}

func quoteAll(s []string) []string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = strconv.Quote(v)
	}
	return q
}

// field returns fields[i] trimmed of spaces, as a string.
func field(f [][]byte, i int) string {
	return string(bytes.TrimSpace(f[i]))
}
