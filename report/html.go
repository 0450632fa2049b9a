package report

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"golang.org/x/sync/errgroup"

	"pcnmap/nhs"
	"pcnmap/overlap"
)

//go:embed templates/*.html
var templateFS embed.FS

// style is the documents' style sheet, inlined in each so that a document is one file.
//
//go:embed templates/style.css
var style string

// templates are parsed once, on first use (not at the start of every command); a failure here is a
// bug in the embedded files, caught by every test.
var templates = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("").Funcs(template.FuncMap{
		"css": func() template.CSS { return template.CSS(style) }, // trusted: our own style sheet
	}).ParseFS(templateFS, "templates/*.html"))
})

// indexRow is one unit in the index page.
type indexRow struct {
	Code, Name, Link                               string
	Areas, Registered, Based, MeanAny, MeanAt, Low string
}

type indexPage struct {
	Title, KindTitle string
	Release          releaseInfo
	Rows             []indexRow
	All              indexRow
	Low              string
	Attribution      string
}

// writeDocuments writes one document per scope (HTML, or PDF printed from it) and, for reports by
// unit, the index page.
// scopes are the documents (scopes), shapes d's areas' (prepareShapes).
func writeDocuments(ctx context.Context, dir string, d *overlap.Dataset, opt Options, scopes []scope, am []overlap.AreaMetrics, pm []overlap.PCNMetrics, shapes *mapShapes) error {
	r, err := newRun(ctx, d, opt, am, pm, shapes)
	if err != nil {
		return err
	}
	htmlDir := dir
	if opt.Format == FormatPDF {
		// The HTML is printed from a private directory and removed afterwards.
		htmlDir, err = os.MkdirTemp(dir, ".html-")
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		defer os.RemoveAll(htmlDir)
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	printers := make(chan struct{}, 2)
	rows := make([]indexRow, len(scopes))
	var (
		mu   sync.Mutex
		done int
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for i, sc := range scopes {
		g.Go(func() error {
			doc, f, err := r.document(gctx, sc)
			if err != nil {
				return err
			}
			name := sc.file()
			if err := writeFile(filepath.Join(htmlDir, name+".html"), func(w io.Writer) error {
				return templates().ExecuteTemplate(w, "unit.html", doc)
			}); err != nil {
				return err
			}
			if opt.Format == FormatPDF {
				select {
				case printers <- struct{}{}:
				case <-gctx.Done():
					return gctx.Err()
				}
				err := printPDF(gctx, opt.Browser, filepath.Join(htmlDir, name+".html"), filepath.Join(dir, name+".pdf"), d.ExtractDate)
				<-printers
				if err != nil {
					return err
				}
			}
			rows[i] = r.indexRow(sc, f, name+"."+r.ext())
			mu.Lock()
			done++
			if opt.Progress != nil {
				opt.Progress(done, len(scopes))
			}
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if opt.By == nhs.KindUnset {
		return nil
	}
	page := indexPage{
		Title:     "PCN overlap by " + kindTitle(opt.By) + ", release " + d.Release,
		KindTitle: kindTitle(opt.By), Release: r.releaseInfo(), Rows: rows,
		All: r.indexRow(scope{}, r.all, ""), Low: percent(LowCoverage), Attribution: Attribution,
	}
	return writeFile(filepath.Join(dir, "index.html"), func(w io.Writer) error {
		return templates().ExecuteTemplate(w, "index.html", page)
	})
}

func (r *run) indexRow(sc scope, f figures, link string) indexRow {
	low := 0
	for _, a := range sc.areas {
		if float64(r.d.Areas[a].Registered) < LowCoverage*f.MedianRegistered {
			low++
		}
	}
	return indexRow{
		Code: sc.code, Name: sc.name, Link: link,
		Areas: commas(int64(f.Areas)), Registered: commas(f.Registered), Based: commas(int64(f.Based)),
		MeanAny: fixed(f.Any.Mean, 2), MeanAt: fixed(f.At.Mean, 2) + " (" + fixed(f.At.SD, 2) + ")",
		Low: commas(int64(low)),
	}
}
