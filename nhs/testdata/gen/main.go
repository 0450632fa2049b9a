// Command gen writes the small real extracts in nhs/testdata from the national files:
// Trafford's GP practices, LSOAs and PCNs, plus a few practices whose PCN changed over time.
//
//	go run ./nhs/testdata/gen [-data ../shared/data] [-out nhs/testdata]
//
// CSV lines are copied byte for byte (byte-order mark, CRLF and quoting included); workbook cells
// keep their header text and their type (the 2019 release stores dates as numbers, 2022 as text).
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/xuri/excelize/v2"
)

var (
	dataDir = flag.String("data", "../shared/data", "directory holding the national files")
	outDir  = flag.String("out", "nhs/testdata", "directory to write the extracts to")
)

// Practices outside Trafford whose ePCN history has several rows: moves between PCNs, a practice
// that closed (C85628) and one that left and rejoined its PCN (C85024).
var historyPractices = []string{"F81031", "J83002", "J83633", "J83646", "J83645", "J83038", "C85628", "C85024"}

// unallocated practices of the January 2022 practice map (PCN_CODE "U").
var unallocatedPractices = []string{"A84035", "A84614", "B82622"}

func main() {
	flag.Parse()
	log.SetFlags(0)

	// Trafford's LSOAs (local authority E08000009) and, for the registrations extract, those of its
	// first six MSOAs.
	trafford := map[string]bool{}
	regLSOAs := map[string]bool{}
	must(eachLine("lsoa11-msoa11-lookup.csv", func(f []string) bool {
		if f[4] == "E08000009" {
			trafford[f[0]] = true
			if f[1] >= "E02001259" && f[1] <= "E02001264" {
				regLSOAs[f[0]] = true
			}
		}
		return false
	}))

	// Trafford's practices: NHS Trafford CCG (02A) in the practice map.
	practices := map[string]bool{}
	must(eachLine("gp-reg-pat-prac-map-2022-01.csv", func(f []string) bool {
		if f[8] == "02A" {
			practices[f[2]] = true
		}
		return false
	}))
	unalloc := set(unallocatedPractices)

	regRow := func(f []string) bool {
		return practices[f[2]] && (regLSOAs[f[4]] || !strings.HasPrefix(f[4], "E01"))
	}
	copyCSV("gp-reg-pat-prac-lsoa-all-2021-01.csv.gz", "gp-reg-2021-01-trafford.csv.gz", regRow)
	copyCSV("gp-reg-pat-prac-lsoa-all-2022-07.csv.gz", "gp-reg-2022-07-trafford.csv", regRow)
	copyCSV("gp-reg-pat-prac-map-2022-01.csv", "practice-map-2022-01-trafford.csv", func(f []string) bool {
		return practices[f[2]] || unalloc[f[2]]
	})

	welsh := map[string]bool{"W01000456": true, "W01000480": true, "W01000012": true}
	copyCSV("lsoa11-msoa11-lookup.csv", "lsoa11-msoa11-lookup-trafford.csv", func(f []string) bool {
		return trafford[f[0]] || welsh[f[0]]
	})
	copyCSV("lsoa11-population-weighted-centroids.csv", "lsoa11-centroids-trafford.csv", func(f []string) bool {
		return trafford[f[3]]
	})
	copyCSV("lsoa11-ccg20-lad20-lookup.csv", "lsoa11-ccg20-lad20-lookup-trafford.csv", func(f []string) bool {
		return trafford[f[1]]
	})
	copyCSV("lsoa11-sub-icb-2022-lookup.csv", "lsoa11-sub-icb-2022-lookup-trafford.csv", func(f []string) bool {
		return trafford[f[1]] || welsh[f[1]]
	})
	copyCSV("lsoa11-ruc11-england.csv", "lsoa11-ruc11-trafford.csv", func(f []string) bool {
		return trafford[f[0]]
	})
	copyCSV("sub-icb-icb-region-2022-lookup.csv", "sub-icb-icb-region-2022-lookup-gm.csv", func(f []string) bool {
		return f[3] == "E54000057" // Greater Manchester ICB
	})
	copyCSV("ccg20-stp20-lookup.csv", "ccg20-stp20-lookup-gm.csv", func(f []string) bool {
		return f[4] == "E54000007" // Greater Manchester Health and Social Care Partnership
	})

	history := set(historyPractices)
	copyWorkbook("ePCN-2019-12.xlsx", "epcn-2019-12-trafford.xlsx", practices, history)
	copyWorkbook("ePCN-2022-04.xlsx", "epcn-2022-04-trafford.xlsx", practices, history)
}

func set(s []string) map[string]bool {
	m := map[string]bool{}
	for _, v := range s {
		m[v] = true
	}
	return m
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

// open opens a national file, gunzipping it if its name ends in .gz.
func open(name string) (io.ReadCloser, error) {
	f, err := os.Open(filepath.Join(*dataDir, name))
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(name, ".gz") {
		return f, nil
	}
	z, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{z, f}, nil
}

// eachLine calls keep with the fields of each data line of a national CSV and returns the header
// and kept lines verbatim.
func eachLine(name string, keep func(fields []string) bool) error {
	_, err := filterLines(name, keep)
	return err
}

func filterLines(name string, keep func(fields []string) bool) ([]byte, error) {
	rc, err := open(name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	br := bufio.NewReader(rc)
	var out bytes.Buffer
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			if n == 1 {
				out.Write(line)
			} else {
				text := strings.TrimRight(string(line), "\r\n")
				f, perr := csv.NewReader(strings.NewReader(text)).Read()
				if perr != nil {
					return nil, fmt.Errorf("%s: line %d: %v", name, n, perr)
				}
				if keep(f) {
					out.Write(line)
				}
			}
		}
		if err == io.EOF {
			return out.Bytes(), nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// copyCSV writes the header and kept lines of a national CSV to testdata, gzipped if out ends in .gz.
func copyCSV(name, out string, keep func(fields []string) bool) {
	b, err := filterLines(name, keep)
	must(err)
	lines := bytes.Count(b, []byte("\n"))
	if strings.HasSuffix(out, ".gz") {
		var z bytes.Buffer
		w := gzip.NewWriter(&z) // no name or time in the header, so the output is reproducible
		_, err = w.Write(b)
		must(err)
		must(w.Close())
		b = z.Bytes()
	}
	must(os.WriteFile(filepath.Join(*outDir, out), b, 0o644))
	log.Printf("%s: %d lines", out, lines)
}

// copyWorkbook writes an ePCN extract: the partner rows of the given practices and the PCN Details
// rows of their PCNs, with the original sheet names, header cells and cell types.
func copyWorkbook(name, out string, practices, history map[string]bool) {
	src, err := excelize.OpenFile(filepath.Join(*dataDir, name))
	must(err)
	defer src.Close()
	dst := excelize.NewFile()
	defer dst.Close()

	sheets := src.GetSheetList()
	var partnerSheet, detailsSheet string
	for _, s := range sheets {
		switch strings.ReplaceAll(strings.ToLower(s), " ", "") {
		case "pcncorepartnerdetails":
			partnerSheet = s
		case "pcndetails":
			detailsSheet = s
		}
	}
	if partnerSheet == "" || detailsSheet == "" {
		log.Fatalf("%s: sheets %q", name, sheets)
	}
	// Same order as the original: details first.
	must(dst.SetSheetName("Sheet1", detailsSheet))
	_, err = dst.NewSheet(partnerSheet)
	must(err)

	pcns := map[string]bool{}
	n := copyRows(src, dst, partnerSheet, func(cells []string) bool {
		keep := len(cells) > 4 && (practices[cells[0]] || history[cells[0]])
		if keep {
			pcns[cells[4]] = true
		}
		return keep
	})
	m := copyRows(src, dst, detailsSheet, func(cells []string) bool {
		return len(cells) > 0 && pcns[cells[0]]
	})
	must(dst.SaveAs(filepath.Join(*outDir, out)))
	must(os.Chmod(filepath.Join(*outDir, out), 0o644)) // excelize creates files executable
	log.Printf("%s: %d partner rows, %d PCN rows", out, n, m)
}

// copyRows copies the header row and the rows keep accepts, preserving cell types.
func copyRows(src, dst *excelize.File, sheet string, keep func([]string) bool) int {
	rows, err := src.Rows(sheet)
	must(err)
	defer rows.Close()
	r, kept := 0, 0
	for rows.Next() {
		r++
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		must(err)
		if r > 1 && !keep(cells) {
			continue
		}
		kept++
		for c, v := range cells {
			from, _ := excelize.CoordinatesToCellName(c+1, r)
			to, _ := excelize.CoordinatesToCellName(c+1, kept)
			typ, err := src.GetCellType(sheet, from)
			must(err)
			switch {
			case v == "":
			case typ == excelize.CellTypeBool:
				must(dst.SetCellBool(sheet, to, v == "1" || strings.EqualFold(v, "true")))
			case typ == excelize.CellTypeNumber || typ == excelize.CellTypeUnset && isNumber(v):
				var f float64
				_, err := fmt.Sscan(v, &f)
				must(err)
				must(dst.SetCellFloat(sheet, to, f, -1, 64))
			default:
				must(dst.SetCellStr(sheet, to, v))
			}
		}
	}
	must(rows.Error())
	return kept - 1
}

func isNumber(s string) bool {
	for _, c := range s {
		if (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	return s != ""
}
