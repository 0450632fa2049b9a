package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"pcnmap/app"
	"pcnmap/geo"
	"pcnmap/internal/scratch"
	"pcnmap/teams"
)

// uploadOverhead is what a form may add to its file: the other fields and the part headers.
const uploadOverhead = 64 << 10

// zipFactor is how many times its size a zipped shapefile upload may declare uncompressed: team
// footprints compress three to five times, and a bomb's inflation stops there.
const zipFactor = 4

// uploadKind is what an uploaded file holds.
type uploadKind uint8

const (
	kindUnknown uploadKind = iota
	kindGeoJSON
	kindCSV
	kindZip
	kindGeoPackage
)

var kindNames = [...]string{"unknown", "GeoJSON", "CSV", "zipped shapefile", "GeoPackage"}

func (k uploadKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("uploadKind(%d)", k)
}

// detectKind tells an upload's kind. Magic bytes win (a zip or an SQLite file is one whatever its
// name); then the extension; then the text itself: JSON starts with a brace, anything else that is
// text is taken for CSV. Compressed files are refused: a gzip bomb would be inflated in memory, and
// zip is the compressed form the format list offers.
func detectKind(name string, head []byte) (uploadKind, error) {
	lower := strings.ToLower(name)
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")) || bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return kindZip, nil
	case bytes.HasPrefix(head, []byte("SQLite format 3\x00")):
		return kindGeoPackage, nil
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b, strings.HasSuffix(lower, ".gz"):
		return kindUnknown, fmt.Errorf("%w: %s: compressed uploads are not accepted; send the .geojson, .csv or .gpkg itself, or a shapefile as .zip", errBadRequest, clip(name))
	case len(head) == 0:
		return kindUnknown, fmt.Errorf("%w: %s: the file is empty", errBadRequest, clip(name))
	}
	switch path.Ext(lower) {
	case ".zip":
		return kindUnknown, fmt.Errorf("%w: %s: not a zip archive", errBadRequest, clip(name))
	case ".gpkg":
		return kindUnknown, fmt.Errorf("%w: %s: not a GeoPackage (SQLite) file", errBadRequest, clip(name))
	case ".geojson", ".json":
		return kindGeoJSON, nil
	case ".csv":
		return kindCSV, nil
	}
	text := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	switch {
	case len(text) > 0 && text[0] == '{':
		return kindGeoJSON, nil
	case utf8.Valid(trimPartialRune(head)) && !bytes.ContainsRune(head, 0):
		return kindCSV, nil
	}
	return kindUnknown, fmt.Errorf("%w: %s: cannot tell what the file holds; upload GeoJSON (.geojson), a CSV (.csv), a zipped shapefile (.zip) or a GeoPackage (.gpkg)", errBadRequest, clip(name))
}

// trimPartialRune drops an incomplete UTF-8 sequence cut off at the end of a peeked head.
func trimPartialRune(b []byte) []byte {
	for i := 1; i <= utf8.UTFMax && i <= len(b); i++ {
		if utf8.RuneStart(b[len(b)-i]) {
			if !utf8.FullRune(b[len(b)-i:]) {
				return b[:len(b)-i]
			}
			break
		}
	}
	return b
}

// uploadForm is a parsed import form: its fields, and the file parsed as polygons or a table.
type uploadForm struct {
	Name      string
	Method    teams.Method // centroid or area; polygons only
	NameField string
	FileName  string
	Kind      uploadKind
	Layer     *geo.Layer
	Table     *teams.Table
}

// maxField bounds a form field; maxParts the parts of a form.
const (
	maxField = 1 << 10
	maxParts = 16
)

// recorder remembers the first read error other than EOF, so that an over-long body is reported as
// 413 even when a parser wraps the error as bad input.
type recorder struct {
	r   io.Reader
	err error
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && r.err == nil {
		r.err = err
	}
	return n, err
}

// readUpload reads a multipart/form-data import part by part: the fields name, method and
// name_field, then the file, which must come last (the fields say how to read it). GeoJSON and CSV
// are parsed straight from the stream; a zip or a GeoPackage, which need random access, is spooled
// to a temporary file that is removed before returning. check vets the fields before the file is
// read, so a bad name costs nothing. maxUncompressed caps what a zip may declare.
func readUpload(ctx context.Context, body io.Reader, boundary string, maxUncompressed int64, check func(*uploadForm) error) (*uploadForm, error) {
	rec := &recorder{r: body}
	f, err := readForm(ctx, multipart.NewReader(rec, boundary), maxUncompressed, check)
	var tooLarge *http.MaxBytesError
	if errors.As(rec.err, &tooLarge) {
		return nil, rec.err
	}
	return f, err
}

func readForm(ctx context.Context, mr *multipart.Reader, maxUncompressed int64, check func(*uploadForm) error) (*uploadForm, error) {
	f := &uploadForm{Method: teams.MethodCentroid}
	seen := map[string]bool{}
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: the body is not multipart/form-data: %v", errBadRequest, err)
		}
		field := p.FormName()
		switch {
		case n >= maxParts:
			return nil, fmt.Errorf("%w: more than %d form parts", errBadRequest, maxParts)
		case field == "":
			return nil, fmt.Errorf("%w: part %d has no form field name", errBadRequest, n+1)
		case seen[field]:
			return nil, fmt.Errorf("%w: form field %q given twice", errBadRequest, clip(field))
		case seen["file"]:
			return nil, fmt.Errorf("%w: form field %q comes after the file; send name, method and name_field first", errBadRequest, clip(field))
		}
		seen[field] = true
		if field == "file" {
			if err := readFile(ctx, p, f, maxUncompressed, check); err != nil {
				return nil, err
			}
			continue
		}
		b, err := io.ReadAll(io.LimitReader(p, maxField+1))
		if err != nil {
			return nil, fmt.Errorf("%w: form field %q: %v", errBadRequest, clip(field), err)
		}
		if len(b) > maxField || !utf8.Valid(b) {
			return nil, fmt.Errorf("%w: form field %q is over %d bytes or not UTF-8", errBadRequest, clip(field), maxField)
		}
		v := string(b)
		switch field {
		case "name":
			f.Name = v
		case "name_field":
			f.NameField = strings.TrimSpace(v)
		case "method":
			switch strings.TrimSpace(v) {
			case "", "centroid":
				f.Method = teams.MethodCentroid
			case "area":
				f.Method = teams.MethodArea
			default:
				return nil, fmt.Errorf("%w: method %q: centroid or area", errBadRequest, clip(v))
			}
		default:
			return nil, fmt.Errorf("%w: unknown form field %q (name, method, name_field, file)", errBadRequest, clip(field))
		}
	}
	if !seen["file"] {
		return nil, fmt.Errorf("%w: no file: send the footprints in the form field \"file\"", errBadRequest)
	}
	return f, nil
}

// readFile parses the file part into f.
func readFile(ctx context.Context, p *multipart.Part, f *uploadForm, maxUncompressed int64, check func(*uploadForm) error) error {
	f.FileName = path.Base(strings.ReplaceAll(p.FileName(), `\`, "/"))
	if f.FileName == "." || f.FileName == "/" || f.FileName == "" {
		f.FileName = "upload"
	}
	if check != nil {
		if err := check(f); err != nil {
			return err
		}
	}
	// A failing read of the part is a form cut short or malformed, whatever the parser makes of it.
	rec := &recorder{r: p}
	cut := func(err error) error {
		if errors.Is(err, errUploadStalled) || errors.Is(err, errUploadSlow) {
			return err
		}
		var ne net.Error
		if errors.As(err, &ne) { // its text names the sockets' addresses
			err = errors.New("the connection failed")
		}
		return fmt.Errorf("%w: %s: the form breaks off inside the file: %v", errBadRequest, f.FileName, err)
	}
	br := bufio.NewReaderSize(rec, 512)
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return cut(err)
	}
	if f.Kind, err = detectKind(f.FileName, head); err != nil {
		return err
	}
	opt := geo.ReadOptions{CodeField: f.NameField, MaxUncompressed: maxUncompressed}
	switch f.Kind {
	case kindCSV:
		f.Table, err = teams.ParseCSV(br, f.FileName)
	case kindGeoJSON:
		f.Layer, err = geo.ReadContext(ctx, br, f.FileName, opt)
	default:
		f.Layer, err = spool(ctx, br, f.FileName, opt)
	}
	if err != nil && rec.err != nil {
		return cut(rec.err)
	}
	if err != nil {
		return err
	}
	if f.Layer != nil && f.NameField != "" {
		f.Layer.NameField = "" // the named field is the team name, read as the code
	}
	return nil
}

// spool copies a zip or GeoPackage to a temporary file, reads it and removes it.
func spool(ctx context.Context, r io.Reader, name string, opt geo.ReadOptions) (*geo.Layer, error) {
	tmp, err := scratch.File("upload-*")
	if err != nil {
		return nil, fmt.Errorf("server: spool upload: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = io.Copy(tmp, r)
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("server: spool upload: %w", cerr)
	}
	if err != nil {
		return nil, err
	}
	return geo.ReadFileContext(ctx, tmp.Name(), name, opt)
}

func (s *Server) handleImport(c echo.Context) (err error) {
	r := c.Request()
	limit := s.cfg.MaxUpload + uploadOverhead
	if r.ContentLength > limit {
		return &http.MaxBytesError{Limit: limit}
	}
	select {
	case s.imports <- struct{}{}:
		defer func() { <-s.imports }()
	default:
		return fmt.Errorf("%w (%d imports at once)", errOverloaded, cap(s.imports))
	}
	// The work after the upload (cleaning, repairing and resolving the polygons, saving the set) has
	// ImportBudget from the end of the body; the upload itself is bounded by progress, not time.
	ctx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	var once sync.Once
	var deadline time.Time // the end of the budget, once the body has ended
	startBudget := func() {
		once.Do(func() {
			deadline = time.Now().Add(s.cfg.ImportBudget)
			time.AfterFunc(s.cfg.ImportBudget, func() { cancel(errBudget) }) // parsing while the body ends
		})
	}
	rc := http.NewResponseController(c.Response())
	body := &progress{r: r.Body, rc: rc, idle: s.cfg.UploadIdle, minRate: s.cfg.UploadMinRate, start: time.Now(), eof: startBudget}
	defer func() {
		if err != nil && context.Cause(ctx) == errBudget {
			err = errBudget
		}
		rc.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout)) // the upload may have taken longer
	}()
	mt, params, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return fmt.Errorf("%w: send a multipart/form-data form (fields name, method, name_field, then file)", errBadRequest)
	}
	sets, err := s.teams.list(ctx)
	if err != nil {
		return err
	}
	form, err := readUpload(ctx, http.MaxBytesReader(c.Response(), body, limit), params["boundary"], zipFactor*s.cfg.MaxUpload, func(f *uploadForm) error {
		if err := checkSetName(f.Name); err != nil {
			return err
		}
		for _, info := range sets {
			if info.Name == f.Name {
				return fmt.Errorf("%w: release %s already has a team set %q; delete or rename it first", errConflict, s.d.Release, f.Name)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	startBudget()
	// The rest runs under the deadline itself, which a context checks as it is asked, so the budget
	// holds even before the timer's goroutine has run.
	ctx, cancelWork := context.WithDeadlineCause(ctx, deadline, errBudget)
	defer cancelWork()
	res, err := s.importSet(ctx, form)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, location(form.Name))
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return s.writeJSONStatus(c, http.StatusCreated, res)
}

// errUploadStalled and errUploadSlow end an upload that stopped or crawls (408).
var (
	errUploadStalled = errors.New("the upload stalled")
	errUploadSlow    = errors.New("the upload is too slow")
)

// progress times an upload by its progress rather than its length: each read extends the connection's
// read deadline by idle, and after the first uploadGrace the average rate must stay at or above minRate
// bytes a second. eof is called when the body ends.
type progress struct {
	r       io.ReadCloser
	rc      *http.ResponseController
	idle    time.Duration
	minRate int64
	start   time.Time
	n       int64
	eof     func()
}

func (p *progress) Close() error { return p.r.Close() }

// uploadGrace is how long an upload may run below the minimum rate (a slow start, TCP ramping up).
const uploadGrace = 10 * time.Second

func (p *progress) Read(b []byte) (int, error) {
	p.rc.SetReadDeadline(time.Now().Add(p.idle)) // unsupported by test recorders: then no deadline
	n, err := p.r.Read(b)
	p.n += int64(n)
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF):
		p.eof()
	case errors.As(err, &ne) && ne.Timeout():
		return n, fmt.Errorf("%w: no data for %s", errUploadStalled, p.idle)
	case err == nil:
		if el := time.Since(p.start); el > uploadGrace && float64(p.n) < float64(p.minRate)*el.Seconds() {
			return n, fmt.Errorf("%w: %d bytes in %s, under %d KB/s", errUploadSlow, p.n, el.Round(time.Second), p.minRate>>10)
		}
	}
	return n, err
}

// importSet turns a parsed form into a set, checks that it resolves, and saves it in one transaction.
func (s *Server) importSet(ctx context.Context, f *uploadForm) (*ImportResult, error) {
	// Under the area method the LSOA polygons near the teams are read from the workspace; a release
	// ingested without them answers 400 (store.ErrNoLSOAPolygons) saying how to get them.
	imp, err := s.teams.app.Import(ctx, app.ImportRequest{Name: f.Name, Source: f.FileName, Table: f.Table, Layer: f.Layer, Method: f.Method})
	if err != nil {
		return nil, err
	}
	set := imp.Set
	res := &ImportResult{
		Set:       TeamSet{Name: set.Name, Source: set.Source, Method: set.Method.String(), ImportedAt: set.ImportedAt, Teams: len(set.Teams)},
		Uncovered: append([]string{}, imp.Uncovered...),
		Contested: make([]Claim, len(imp.Split)),
		Missing:   imp.NoPoint,
	}
	for i, cl := range imp.Split {
		res.Contested[i] = Claim{Code: cl.Code, Teams: cl.Teams, Shares: cl.Shares}
	}
	return res, nil
}
