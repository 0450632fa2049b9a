//go:build !unix

package geo

import (
	"io"
	"os"
)

// mapped is a file's bytes, read into memory where there is no mmap.
type mapped struct{ b []byte }

func mapFile(f *os.File) (mapped, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return mapped{}, err
	}
	b, err := io.ReadAll(f)
	return mapped{b: b}, err
}

func (m mapped) close() {}
