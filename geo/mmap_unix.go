//go:build unix

package geo

import (
	"os"
	"syscall"
)

// mapped is a file's bytes mapped read-only.
type mapped struct{ b []byte }

// mapFile maps f read-only; an empty file maps to an empty slice. The mapping outlives f's descriptor.
func mapFile(f *os.File) (mapped, error) {
	fi, err := f.Stat()
	if err != nil {
		return mapped{}, err
	}
	if fi.Size() == 0 {
		return mapped{b: []byte{}}, nil
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(fi.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return mapped{}, err
	}
	return mapped{b: b}, nil
}

func (m mapped) close() {
	if len(m.b) > 0 {
		syscall.Munmap(m.b)
	}
}
