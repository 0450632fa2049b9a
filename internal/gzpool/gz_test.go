package gzpool

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	for name, in := range map[string][]byte{
		"empty": nil,
		"text":  []byte(strings.Repeat("E02001259,Trafford 001\n", 500)),
		"bytes": {0, 1, 2, 255, 254},
	} {
		z, err := Compress(in)
		if err != nil {
			t.Fatal(err)
		}
		// The standard reader reads what Compress wrote, and Decompress gives it back twice over
		// (the second time from a pooled reader).
		zr, err := gzip.NewReader(bytes.NewReader(z))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		std, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(std, in) {
			t.Errorf("%s: compress/gzip reads %d bytes, %v; want %d", name, len(std), err, len(in))
		}
		for range 2 {
			if out, err := Decompress(z); err != nil || !bytes.Equal(out, in) {
				t.Errorf("%s: Decompress = %d bytes, %v; want %d", name, len(out), err, len(in))
			}
		}
	}
	if _, err := Decompress([]byte("not gzip")); err == nil {
		t.Error("Decompress(not gzip) = nil error")
	}
}
