// Package gzpool compresses and decompresses whole byte slices with gzip, reusing the coders' state
// (a writer holds about 800 KB) through sync.Pools: the tile cache compresses every tile it renders,
// the server every large answer and decompresses tiles for clients that don't accept gzip.
package gzpool

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"sync"
)

var (
	writers = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}
	readers sync.Pool
)

// Compress returns b gzip-compressed at the default level.
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
