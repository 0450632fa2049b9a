package nhs

import (
	"archive/zip"
	"bufio"
	"bytes"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/klauspost/compress/gzip"
)

// input is an opened data file: the decompressed stream and the names to report it by.
type input struct {
	r       io.Reader
	name    string // for errors: the path as given, plus ":member" inside a zip
	source  string // for Source fields: the base name, plus ":member"
	closers []io.Closer
	// rows estimates the number of lines, for sizing maps: rehashing them as they grow is most of
	// the time a lookup file takes.
	rows int
}

// Bounds of input.rows: lines are at least ~60 bytes in the files read here, gzip shrinks them
// about tenfold, and a large unrelated file must not make a reader allocate much ahead.
const (
	bytesPerLine = 64
	gzipRatio    = 10
	maxRowsHint  = 1 << 18
)

func rowsHint(size int64) int {
	return int(min(max(size/bytesPerLine, 0), maxRowsHint))
}

func (in *input) Close() error {
	var first error
	for i := len(in.closers) - 1; i >= 0; i-- {
		if err := in.closers[i].Close(); err != nil && first == nil {
			first = err
		}
	}
	in.closers = nil
	return first
}

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zipMagic  = []byte("PK\x03\x04")
	zipEmpty  = []byte("PK\x05\x06")
)

// kind of container, sniffed from the first bytes rather than trusted from the file name, so that a
// gzipped file without ".gz" (as browsers sometimes save them) still reads.
type container uint8

const (
	plain container = iota
	gzipped
	zipped
)

func sniff(b []byte) container {
	switch {
	case bytes.HasPrefix(b, gzipMagic):
		return gzipped
	case bytes.HasPrefix(b, zipMagic), bytes.HasPrefix(b, zipEmpty):
		return zipped
	}
	return plain
}

// openCSV opens a plain, gzipped or zipped CSV file. In a zip, the one CSV member is used; when there
// are several, accept (given each member's header) picks the one the caller expects.
func openCSV(p string, accept func(header []string) bool) (*input, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fileError(p, "", err)
	}
	in := &input{name: p, source: filepath.Base(p), closers: []io.Closer{f}}
	if st, err := f.Stat(); err == nil {
		in.rows = rowsHint(st.Size())
	}
	br := bufio.NewReaderSize(f, 64<<10)
	magic, _ := br.Peek(4) // a short file is plain; its read error surfaces later
	switch sniff(magic) {
	case gzipped:
		zr, err := gzip.NewReader(br)
		if err != nil {
			in.Close()
			return nil, fileError(p, "gzip", err)
		}
		in.closers = append(in.closers, zr)
		in.r = zr
		in.rows = min(in.rows*gzipRatio, maxRowsHint)
	case zipped:
		zf, err := openZipMember(f, p, []string{".csv", ".txt"}, "has the expected header", func(m *zip.File) bool {
			return acceptCSVMember(m, p, accept)
		})
		if err != nil {
			in.Close()
			return nil, err
		}
		rc, err := zf.Open()
		if err != nil {
			in.Close()
			return nil, fileError(p+":"+zf.Name, "zip", err)
		}
		in.closers = append(in.closers, rc)
		in.r = rc
		in.rows = rowsHint(int64(min(zf.UncompressedSize64, 1<<40)))
		in.name = p + ":" + zf.Name
		in.source = filepath.Base(p) + ":" + zf.Name
	default:
		in.r = br
	}
	return in, nil
}

// acceptCSVMember reads a zip member's header line and asks accept about it.
func acceptCSVMember(m *zip.File, p string, accept func([]string) bool) bool {
	rc, err := m.Open()
	if err != nil {
		return false
	}
	defer rc.Close()
	h, err := newCSVReader(io.LimitReader(rc, maxLine), p+":"+m.Name).header()
	return err == nil && accept(h)
}

// openZipMember opens the zip in f and returns the member to read: the only one whose name ends in
// one of exts, else the only one (of those, or of all files if none has such a name) that accept
// likes; a nil accept does not look inside. Anything else is ErrArchive listing the members; want
// says what is looked for, for that message.
func openZipMember(f *os.File, p string, exts []string, want string, accept func(*zip.File) bool) (*zip.File, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, fileError(p, "", err)
	}
	zr, err := zip.NewReader(f, st.Size())
	if err != nil {
		return nil, fileError(p, "zip", err)
	}
	return pickMember(zr, p, exts, want, accept)
}

func pickMember(zr *zip.Reader, p string, exts []string, want string, accept func(*zip.File) bool) (*zip.File, error) {
	var files, matching []*zip.File
	for _, m := range zr.File {
		base := path.Base(m.Name)
		if m.FileInfo().IsDir() || strings.HasPrefix(m.Name, "__MACOSX/") || strings.HasPrefix(base, "._") {
			continue
		}
		files = append(files, m)
		for _, e := range exts {
			if strings.HasSuffix(strings.ToLower(m.Name), e) {
				matching = append(matching, m)
				break
			}
		}
	}
	if len(matching) == 0 && accept != nil {
		matching = files
	}
	if len(matching) == 1 {
		return matching[0], nil
	}
	chosen := matching
	if accept != nil {
		chosen = nil
		for _, m := range matching {
			if accept(m) {
				chosen = append(chosen, m)
			}
		}
		if len(chosen) == 1 {
			return chosen[0], nil
		}
	}
	names := make([]string, len(files))
	for i, m := range files {
		names[i] = m.Name
	}
	sort.Strings(names)
	list := strings.Join(quoteAll(names), ", ")
	switch {
	case len(files) == 0:
		return nil, errorf(p, 0, ErrArchive, "zip holds no files")
	case len(chosen) == 0:
		return nil, errorf(p, 0, ErrArchive, "no member of the zip %s (members: %s)", want, list)
	}
	return nil, errorf(p, 0, ErrArchive, "%d members of the zip qualify, cannot choose (members: %s)",
		len(chosen), list)
}

// readAllMember reads a whole zip member, turning checksum and format errors into *Error.
func readAllMember(m *zip.File, p string) ([]byte, error) {
	rc, err := m.Open()
	if err != nil {
		return nil, fileError(p+":"+m.Name, "zip", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, ioError(p+":"+m.Name, 0, err)
	}
	return b, nil
}

// readFile is the one body of the ReadX(path) functions: it opens the CSV at path (openCSV; in a zip,
// the member whose header header accepts), reads it with read, and stamps the result's source (the
// file's base name) through source.
func readFile[T any](path string, header func(*columns) error, read func(*input) (*T, error), source func(*T) *string) (*T, error) {
	in, err := openCSV(path, func(h []string) bool { return header(newColumns("", h)) == nil })
	if err != nil {
		return nil, err
	}
	defer in.Close()
	v, err := read(in)
	if err != nil {
		return nil, err
	}
	*source(v) = in.source
	return v, nil
}

// Header reads the header row of a CSV file (plain, gzipped, or the one CSV in a zip), so that a
// caller can tell what a file is when it was given in the wrong place.
func Header(p string) ([]string, error) {
	in, err := openCSV(p, func([]string) bool { return true })
	if err != nil {
		return nil, err
	}
	defer in.Close()
	return newCSVReader(io.LimitReader(in.r, maxLine), in.name).header()
}
