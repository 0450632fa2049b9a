// Package gzpool compresses and decompresses whole byte slices with gzip, reusing the coders' state
// (a writer holds about 800 KB) through sync.Pools: the tile cache compresses every tile it renders,
// the server every large answer and decompresses tiles for clients that don't accept gzip.
package gzpool

import (
	"bytes"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// Level is the compression: klauspost/compress at level 6 writes the national tiles 0.7% larger
// than compress/gzip's default level, in a half to a third of the time (over the 5,571 tiles of
// z0–12: 14.1 MB in 0.8–0.9 s, against 14.0 MB in 1.7–2.7 s; its level 2: 15.9 MB in 0.35 s).
const Level = 6

var (
	writers = sync.Pool{New: func() any {
		w, _ := gzip.NewWriterLevel(nil, Level) // a valid level: no error
		return w
	}}
	readers sync.Pool
)

// Compress returns b gzip-compressed at Level.
func Compress(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(b)/2 + 64)
	w := writers.Get().(*gzip.Writer)
	w.Reset(&buf)
	if _, err := w.Write(b); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	w.Reset(nil)
	writers.Put(w)
	return buf.Bytes(), nil
}

// DecompressTo writes gz decompressed to w.
func DecompressTo(w io.Writer, gz []byte) error {
	zr, _ := readers.Get().(*gzip.Reader)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(bytes.NewReader(gz))
	} else {
		err = zr.Reset(bytes.NewReader(gz))
	}
	if err != nil {
		return fmt.Errorf("gunzip: %w", err)
	}
	if _, err := io.Copy(w, zr); err != nil {
		return fmt.Errorf("gunzip: %w", err)
	}
	readers.Put(zr)
	return nil
}

// Decompress returns gz decompressed.
func Decompress(gz []byte) ([]byte, error) {
	var buf bytes.Buffer
	if err := DecompressTo(&buf, gz); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
