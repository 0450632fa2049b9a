package tiles

import (
	"fmt"

	"github.com/paulmach/orb/maptile"
)

// ParseZXY parses the z, x and y of a tile path. Each must be a canonical decimal number (digits
// only, no sign, no leading zero); z must be within 0..OverZoom and x and y within 0..2^z−1. Zooms
// above MaxZoom are accepted for clients that over-zoom with requests (Render draws them from the
// MaxZoom geometry). Every error wraps ErrOutOfRange; syntax errors also wrap ErrSyntax.
func ParseZXY(z, x, y string) (maptile.Tile, error) {
	zv, err := parseCoord("z", z)
	if err != nil {
		return maptile.Tile{}, err
	}
	if zv > OverZoom {
		return maptile.Tile{}, fmt.Errorf("%w: zoom %d above %d", ErrOutOfRange, zv, OverZoom)
	}
	xv, err := parseCoord("x", x)
	if err != nil {
		return maptile.Tile{}, err
	}
	yv, err := parseCoord("y", y)
	if err != nil {
		return maptile.Tile{}, err
	}
	if n := uint64(1) << zv; xv >= n || yv >= n {
		return maptile.Tile{}, fmt.Errorf("%w: %d/%d/%d", ErrOutOfRange, zv, xv, yv)
	}
	return maptile.New(uint32(xv), uint32(yv), maptile.Zoom(zv)), nil
}

// parseCoord parses one canonical decimal coordinate. Numbers too long to be a tile coordinate are
// out of range rather than syntax errors.
func parseCoord(name, s string) (uint64, error) {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("%w: %s=%q", ErrSyntax, name, clip(s))
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: %s=%q", ErrSyntax, name, clip(s))
		}
		if i >= 10 {
			continue // keep checking the syntax; the value is out of range anyway
		}
		v = v*10 + uint64(c-'0')
	}
	if len(s) > 10 {
		return 0, fmt.Errorf("%w: %s=%q", ErrOutOfRange, name, clip(s))
	}
	return v, nil
}

// clip shortens user input quoted in errors.
func clip(s string) string {
	if len(s) > 24 {
		return s[:24] + "…"
	}
	return s
}
