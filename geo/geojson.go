package geo

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"
	"github.com/paulmach/orb"
)

// ReadGeoJSON reads a GeoJSON FeatureCollection of Polygons and MultiPolygons from r, gzipped or not.
// name names the source in errors. The "crs" member may declare WGS84 (the default, RFC 7946) or
// EPSG:27700; features come back in WGS84.
//
// It is a streaming tokenizer of its own rather than encoding/json, which takes over a second on the
// national MSOA file; a gzipped source is inflated by a second goroutine while it parses.
func ReadGeoJSON(r io.Reader, name string, opt ReadOptions) (*Layer, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fileErr(name, err)
	}
	return readGeoJSONBytes(name, data, opt)
}

func readGeoJSONBytes(name string, data []byte, opt ReadOptions) (*Layer, error) {
	if !isGzip(data) {
		return parseGeoJSON(name, scanner{b: data, n: len(data)}, opt)
	}
	if size, ok := gzipSize(data); ok {
		inf := startInflate(data, size)
		l, err := parseGeoJSON(name, scanner{b: inf.buf, src: inf}, opt)
		inf.stop()
		if !errors.Is(err, errGrow) {
			return l, err
		}
	}
	// The trailer's size was implausible or wrong (several gzip members): inflate first, then parse.
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fileErr(name, archiveErr("gzip", err))
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		return nil, fileErr(name, archiveErr("gzip", err))
	}
	return parseGeoJSON(name, scanner{b: plain, n: len(plain)}, opt)
}

func parseGeoJSON(name string, s scanner, opt ReadOptions) (*Layer, error) {
	p := &gjParser{s: s, name: name, opt: opt}
	err := p.parse()
	if p.out != nil {
		defer p.out.wait()
	}
	if err != nil {
		return nil, fileErr(name, err)
	}
	crs := CRSWGS84
	if p.crsSeen {
		crs = p.crs
	}
	if p.out.crs != crs {
		// A crs member after the features, which were cleaned as WGS84 meanwhile: parse them again.
		p.out.wait()
		if s.stream != nil {
			return nil, errReparse
		}
		q := &gjParser{s: scanner{b: p.s.b[:p.s.n], n: p.s.n}, name: name, opt: opt, forceCRS: crs}
		err := q.parse()
		if q.out != nil {
			defer q.out.wait()
		}
		if err != nil {
			return nil, fileErr(name, err)
		}
		p = q
	}
	return p.out.layer(name, p.codeField, p.nameField, nil)
}

// gjParser reads a FeatureCollection. Rings are carved from arenas, so the features share a few big blocks.
type gjParser struct {
	s    scanner
	name string
	opt  ReadOptions

	pts      pointArena
	rings    sliceArena[orb.Ring]
	polys    sliceArena[orb.Polygon]
	curRings []orb.Ring
	curPolys []orb.Polygon

	// out cleans features while parsing goes on, in the CRS declared before the features, else WGS84
	// (the default, unless a crs member comes after them, and then they are parsed again).
	out                  *sink
	nfeat                int
	forceCRS             CRS
	fieldsKnown          bool
	codeField, nameField string
	code                 string // of the feature being read, for errors

	crs     CRS
	crsSeen bool
	crsText string
}

const maxDepth = 256

func (p *gjParser) parse() error {
	s := &p.s
	if s.avail(2) && s.b[0] == 0xef && s.b[1] == 0xbb && s.b[2] == 0xbf {
		s.i = 3
	}
	c, ok := s.ws()
	if !ok {
		return p.syntax("a JSON object")
	}
	if c == '[' {
		return fmt.Errorf("%w: the top level is an array", ErrNotFeatureCollection)
	}
	if c != '{' {
		return p.syntax("a JSON object")
	}
	s.i++
	var typeSeen, featuresSeen bool
	err := p.members(func(key []byte) error {
		switch string(key) {
		case "type":
			t, err := p.stringValue()
			if err != nil {
				return err
			}
			if t != "FeatureCollection" {
				return fmt.Errorf("%w: type %q", ErrNotFeatureCollection, t)
			}
			typeSeen = true
		case "features":
			if featuresSeen {
				return fmt.Errorf("%w: two features members", ErrMalformed)
			}
			featuresSeen = true
			crs := p.forceCRS
			if crs == CRSUnknown {
				crs = CRSWGS84
				if p.crsSeen {
					crs = p.crs
				}
			}
			p.out = newSink(crs, p.opt)
			return p.features()
		case "crs":
			return p.crsMember()
		default:
			return p.skip(1)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if _, ok := s.ws(); ok {
		return p.syntax("the end of the data")
	}
	if s.err != nil {
		return archiveErr("gzip", s.err)
	}
	if !typeSeen {
		return fmt.Errorf("%w: no type member", ErrNotFeatureCollection)
	}
	if !featuresSeen {
		return fmt.Errorf("%w: no features member", ErrNotFeatureCollection)
	}
	return nil
}

// members reads the members of an object whose '{' has been consumed, up to and including its '}',
// calling fn after each key with the scanner at the value.
func (p *gjParser) members(fn func(key []byte) error) error {
	s := &p.s
	c, ok := s.ws()
	if !ok {
		return p.syntax("a key or '}'")
	}
	if c == '}' {
		s.i++
		return nil
	}
	for {
		key, err := p.key()
		if err != nil {
			return err
		}
		if err := fn(key); err != nil {
			return err
		}
		c, ok := s.ws()
		if !ok {
			return p.syntax("',' or '}'")
		}
		s.i++
		switch c {
		case ',':
		case '}':
			return nil
		default:
			s.i--
			return p.syntax("',' or '}'")
		}
	}
}

// key reads an object key and the ':' after it.
func (p *gjParser) key() ([]byte, error) {
	s := &p.s
	if c, ok := s.ws(); !ok || c != '"' {
		return nil, p.syntax("a string key")
	}
	raw, esc, err := p.str()
	if err != nil {
		return nil, err
	}
	if esc {
		raw = []byte(p.unquote(raw, esc))
	}
	if err := p.expect(':'); err != nil {
		return nil, err
	}
	return raw, nil
}

func (p *gjParser) features() error {
	s := &p.s
	if err := p.expect('['); err != nil {
		return err
	}
	c, ok := s.ws()
	if !ok {
		return p.syntax("a feature or ']'")
	}
	if c == ']' {
		s.i++
		return nil
	}
	for {
		idx := p.nfeat
		p.code = ""
		s.compact()
		if err := p.feature(); err != nil {
			return featureErr(p.name, idx, p.code, err)
		}
		c, ok := s.ws()
		if !ok {
			return featureErr(p.name, idx, p.code, p.syntax("',' or ']'"))
		}
		s.i++
		switch c {
		case ',':
		case ']':
			return nil
		default:
			s.i--
			return featureErr(p.name, idx, p.code, p.syntax("',' or ']'"))
		}
	}
}

func (p *gjParser) feature() error {
	if err := p.expect('{'); err != nil {
		return err
	}
	var (
		typ, gtype, name   string
		mp                 orb.MultiPolygon
		geomSeen, geomNull bool
		propsSeen          bool
	)
	err := p.members(func(key []byte) error {
		var err error
		switch string(key) {
		case "type":
			typ, err = p.stringValue()
		case "properties":
			propsSeen = true
			p.code, name, err = p.properties()
		case "geometry":
			geomSeen = true
			mp, gtype, geomNull, err = p.geometry()
		default:
			err = p.skip(1)
		}
		return err
	})
	if err != nil {
		return err
	}
	if typ != "Feature" {
		return fmt.Errorf("%w: type %q in the features array, want \"Feature\"", ErrMalformed, typ)
	}
	if !propsSeen && !p.fieldsKnown {
		if _, _, err := p.detect(nil); err != nil {
			return err
		}
	}
	if !geomSeen || geomNull {
		return fmt.Errorf("%w: no geometry", ErrEmptyGeometry)
	}
	if gtype != "Polygon" && gtype != "MultiPolygon" {
		return fmt.Errorf("%w: %s", ErrGeometryType, gtype)
	}
	if err := p.out.add(Feature{Code: p.code, Name: name, Geom: mp}); err != nil {
		return err
	}
	p.nfeat++
	return nil
}

// detect picks the code and name fields from the first feature's property keys.
func (p *gjParser) detect(keys []string) (string, string, error) {
	code, name, err := detectFields(keys, p.opt)
	if err != nil {
		return "", "", err
	}
	p.codeField, p.nameField, p.fieldsKnown = code, name, true
	return code, name, nil
}

// properties reads a properties object (or null) and returns the code and name.
func (p *gjParser) properties() (code, name string, err error) {
	s := &p.s
	c, ok := s.ws()
	if !ok {
		return "", "", p.syntax("an object or null")
	}
	if c == 'n' {
		if err := p.literal("null"); err != nil {
			return "", "", err
		}
		if !p.fieldsKnown {
			_, _, err = p.detect(nil)
		}
		return "", "", err
	}
	if err := p.expect('{'); err != nil {
		return "", "", err
	}
	if !p.fieldsKnown {
		var keys, vals []string
		err := p.members(func(key []byte) error {
			v, err := p.scalar()
			keys, vals = append(keys, string(key)), append(vals, v)
			return err
		})
		if err != nil {
			return "", "", err
		}
		cf, nf, err := p.detect(keys)
		if err != nil {
			return "", "", err
		}
		for i, k := range keys {
			if k == cf {
				code = vals[i]
			}
			if k == nf {
				name = vals[i]
			}
		}
		return strings.TrimSpace(code), strings.TrimSpace(name), nil
	}
	err = p.members(func(key []byte) error {
		var err error
		switch {
		case string(key) == p.codeField:
			code, err = p.scalar()
		case p.nameField != "" && string(key) == p.nameField:
			name, err = p.scalar()
		default:
			err = p.skip(1)
		}
		return err
	})
	return strings.TrimSpace(code), strings.TrimSpace(name), err
}

// scalar reads any value as text: strings unquoted, numbers and booleans as written, null, objects
// and arrays as "".
func (p *gjParser) scalar() (string, error) {
	s := &p.s
	c, ok := s.ws()
	if !ok {
		return "", p.syntax("a value")
	}
	switch {
	case c == '"':
		raw, esc, err := p.str()
		if err != nil {
			return "", err
		}
		return p.unquote(raw, esc), nil
	case c == '-' || (c >= '0' && c <= '9'):
		start := s.i
		if err := p.numberEnd(); err != nil {
			return "", err
		}
		return string(s.b[start:s.i]), nil
	case c == 't':
		return "true", p.literal("true")
	case c == 'f':
		return "false", p.literal("false")
	}
	return "", p.skip(1)
}

// geometry reads a geometry object (or null), its type and, for polygons, its rings.
func (p *gjParser) geometry() (mp orb.MultiPolygon, typ string, null bool, err error) {
	s := &p.s
	c, ok := s.ws()
	if !ok {
		return nil, "", false, p.syntax("an object or null")
	}
	if c == 'n' {
		return nil, "", true, p.literal("null")
	}
	if err := p.expect('{'); err != nil {
		return nil, "", false, err
	}
	p.curPolys = p.curPolys[:0]
	parsed := false
	rawStart, rawEnd := -1, -1
	err = p.members(func(key []byte) error {
		var err error
		switch string(key) {
		case "type":
			typ, err = p.stringValue()
		case "coordinates":
			if parsed || rawStart >= 0 {
				return fmt.Errorf("%w: two coordinates members", ErrMalformed)
			}
			switch typ {
			case "Polygon":
				parsed = true
				err = p.polygon()
			case "MultiPolygon":
				parsed = true
				err = p.multiPolygon()
			default: // the type comes later, or is not ours: keep the bytes for later
				s.ws()
				rawStart = s.i
				err = p.skip(1)
				rawEnd = s.i
			}
		default:
			err = p.skip(1)
		}
		return err
	})
	if err != nil {
		return nil, "", false, err
	}
	switch typ {
	case "Polygon", "MultiPolygon":
	case "":
		return nil, "", false, fmt.Errorf("%w: geometry without a type", ErrMalformed)
	default:
		return nil, typ, false, nil
	}
	if !parsed {
		if rawStart < 0 {
			return nil, "", false, fmt.Errorf("%w: %s without coordinates", ErrMalformed, typ)
		}
		// Parse the saved coordinates now that the type is known; the buffer never moves.
		saved := p.s
		p.s = scanner{b: saved.b[:rawEnd], n: rawEnd, i: rawStart}
		if typ == "Polygon" {
			err = p.polygon()
		} else {
			err = p.multiPolygon()
		}
		p.s = saved
		if err != nil {
			return nil, "", false, err
		}
	}
	return orb.MultiPolygon(p.polys.take(p.curPolys)), typ, false, nil
}

func (p *gjParser) multiPolygon() error {
	return p.array(func() error { return p.polygon() })
}

// polygon reads the rings of one polygon and adds it to curPolys.
func (p *gjParser) polygon() error {
	p.curRings = p.curRings[:0]
	if err := p.array(func() error { return p.ring() }); err != nil {
		return err
	}
	p.curPolys = append(p.curPolys, orb.Polygon(p.rings.take(p.curRings)))
	return nil
}

// ring reads the positions of a ring into the point arena and adds the ring to curRings.
func (p *gjParser) ring() error {
	err := p.array(func() error {
		pt, err := p.position()
		if err != nil {
			return err
		}
		p.pts.add(pt)
		return nil
	})
	if err != nil {
		p.pts.drop()
		return err
	}
	p.curRings = append(p.curRings, p.pts.ring())
	return nil
}

// array reads '[' elem (',' elem)* ']' or '[]'.
func (p *gjParser) array(elem func() error) error {
	s := &p.s
	if err := p.expect('['); err != nil {
		return err
	}
	c, ok := s.ws()
	if !ok {
		return p.syntax("a value or ']'")
	}
	if c == ']' {
		s.i++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		c, ok := s.ws()
		if !ok {
			return p.syntax("',' or ']'")
		}
		s.i++
		switch c {
		case ',':
		case ']':
			return nil
		default:
			s.i--
			return p.syntax("',' or ']'")
		}
	}
}

// position reads [x, y] or [x, y, z…], keeping x and y.
func (p *gjParser) position() (orb.Point, error) {
	s := &p.s
	if err := p.expect('['); err != nil {
		return orb.Point{}, err
	}
	x, err := p.number()
	if err != nil {
		return orb.Point{}, err
	}
	if err := p.expect(','); err != nil {
		return orb.Point{}, err
	}
	y, err := p.number()
	if err != nil {
		return orb.Point{}, err
	}
	for {
		c, ok := s.ws()
		if !ok {
			return orb.Point{}, p.syntax("',' or ']'")
		}
		s.i++
		switch c {
		case ']':
			return orb.Point{x, y}, nil
		case ',':
			if _, err := p.number(); err != nil {
				return orb.Point{}, err
			}
		default:
			s.i--
			return orb.Point{}, p.syntax("',' or ']' in a position")
		}
	}
}

var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// number reads a JSON number. When the number may run on into bytes still being inflated it waits for
// them and scans again.
func (p *gjParser) number() (float64, error) {
	s := &p.s
	if _, ok := s.ws(); !ok {
		return 0, p.syntax("a number")
	}
	for {
		n, f, msg := scanNumber(s.b[s.i:s.n])
		if n == s.n-s.i && s.avail(s.n) {
			continue // it ran to the end of what had arrived, and more has come
		}
		if msg != "" {
			s.i += n
			if msg == errRange {
				return 0, fmt.Errorf("%w: number at byte %d is out of range", ErrMalformed, s.pos())
			}
			return 0, p.syntax(msg)
		}
		s.i += n
		return f, nil
	}
}

const errRange = "range"

// scanNumber reads the JSON number at the start of b and returns its length and value, or what was
// expected where it went wrong. Up to 19 significant digits and a small exponent it computes the value
// exactly from an integer mantissa (Clinger's fast path, which is what coordinates need); otherwise it
// leaves it to strconv.
func scanNumber(b []byte) (n int, f float64, want string) {
	i := 0
	neg := false
	if i < len(b) && b[i] == '-' {
		neg = true
		i++
	}
	if i >= len(b) {
		return i, 0, "a digit"
	}
	var mant uint64
	nd, exp := 0, 0
	exact := true
	switch c := b[i]; {
	case c == '0':
		i++
	case c >= '1' && c <= '9':
		for ; i < len(b); i++ {
			c := b[i]
			if c < '0' || c > '9' {
				break
			}
			if nd < 19 {
				mant = mant*10 + uint64(c-'0')
				nd++
			} else {
				exact = false
				exp++
			}
		}
	default:
		return i, 0, "a digit"
	}
	if i < len(b) && b[i] == '.' {
		i++
		first := i
		for ; i < len(b); i++ {
			c := b[i]
			if c < '0' || c > '9' {
				break
			}
			if nd < 19 {
				mant = mant*10 + uint64(c-'0')
				if mant != 0 {
					nd++
				}
				exp--
			} else if c != '0' {
				exact = false
			}
		}
		if i == first {
			return i, 0, "a digit after '.'"
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			eneg = b[i] == '-'
			i++
		}
		first := i
		e := 0
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			if e < 100000 {
				e = e*10 + int(b[i]-'0')
			}
		}
		if i == first {
			return i, 0, "a digit in the exponent"
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	if exact && mant <= 1<<53 && exp >= -22 && exp <= 22 {
		f = float64(mant)
		if exp < 0 {
			f /= pow10[-exp]
		} else {
			f *= pow10[exp]
		}
		if neg {
			f = -f
		}
		return i, f, ""
	}
	f, err := strconv.ParseFloat(string(b[:i]), 64)
	if err != nil || math.IsInf(f, 0) {
		return i, 0, errRange
	}
	return i, f, ""
}

// numberEnd checks the grammar of a number and moves past it.
func (p *gjParser) numberEnd() error {
	_, err := p.number()
	return err
}

// str reads a string at s.i (at its '"') and returns its raw bytes, without the quotes, and whether
// they hold escapes. Escapes and control characters are checked.
func (p *gjParser) str() ([]byte, bool, error) {
	s := &p.s
	s.i++ // the opening quote
	start := s.i
	esc := false
	for {
		if !s.avail(s.i) {
			return nil, false, p.syntax("the end of a string")
		}
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return s.b[start : s.i-1], esc, nil
		case c == '\\':
			esc = true
			if !s.avail(s.i + 1) {
				return nil, false, p.syntax("an escape")
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if !s.avail(s.i + 5) {
					return nil, false, p.syntax("four hex digits")
				}
				for _, h := range s.b[s.i+2 : s.i+6] {
					if !isHex(h) {
						s.i += 2
						return nil, false, p.syntax("four hex digits")
					}
				}
				s.i += 6
			default:
				s.i++
				return nil, false, p.syntax("an escape")
			}
		case c < 0x20:
			return nil, false, fmt.Errorf("%w: JSON syntax: control character %q in a string at byte %d", ErrMalformed, c, s.pos())
		default:
			s.i++
		}
	}
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// unquote turns the raw bytes of a string into text, replacing invalid UTF-8 as encoding/json does.
func (p *gjParser) unquote(raw []byte, esc bool) string {
	if !esc {
		if utf8.Valid(raw) {
			return string(raw)
		}
		return strings.ToValidUTF8(string(raw), "\uFFFD")
	}
	quoted := make([]byte, 0, len(raw)+2)
	quoted = append(append(append(quoted, '"'), raw...), '"')
	var out string
	if err := json.Unmarshal(quoted, &out); err != nil {
		// str has checked the escapes, so this cannot happen; keep the raw text rather than lose it.
		return strings.ToValidUTF8(string(raw), "\uFFFD")
	}
	return out
}

func (p *gjParser) stringValue() (string, error) {
	if c, ok := p.s.ws(); !ok || c != '"' {
		return "", p.syntax("a string")
	}
	raw, esc, err := p.str()
	if err != nil {
		return "", err
	}
	return p.unquote(raw, esc), nil
}

func (p *gjParser) literal(word string) error {
	s := &p.s
	for i := 0; i < len(word); i++ {
		if !s.avail(s.i) || s.b[s.i] != word[i] {
			return p.syntax(strconv.Quote(word))
		}
		s.i++
	}
	return nil
}

// skip checks and passes over any value.
func (p *gjParser) skip(depth int) error {
	s := &p.s
	if depth > maxDepth {
		return fmt.Errorf("%w: JSON nested over %d deep at byte %d", ErrMalformed, maxDepth, s.pos())
	}
	c, ok := s.ws()
	if !ok {
		return p.syntax("a value")
	}
	switch {
	case c == '{':
		s.i++
		return p.members(func([]byte) error { return p.skip(depth + 1) })
	case c == '[':
		return p.array(func() error { return p.skip(depth + 1) })
	case c == '"':
		_, _, err := p.str()
		return err
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return p.numberEnd()
	}
	return p.syntax("a value")
}

// crsMember reads the GeoJSON 2008 "crs" member: {"type":"name","properties":{"name":"EPSG:27700"}}
// (or the older {"type":"EPSG","properties":{"code":27700}}); null means the default.
func (p *gjParser) crsMember() error {
	s := &p.s
	s.ws()
	start := s.i
	if err := p.skip(1); err != nil {
		return err
	}
	raw := s.b[start:s.i]
	var c struct {
		Type       string `json:"type"`
		Properties struct {
			Name string          `json:"name"`
			Code json.RawMessage `json:"code"`
			Href string          `json:"href"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return fmt.Errorf("%w: crs member: %v", ErrMalformed, err)
	}
	p.crsSeen, p.crsText = true, string(raw)
	switch {
	case string(raw) == "null":
		p.crs = CRSWGS84
	case strings.EqualFold(c.Type, "name"):
		p.crs, p.crsText = crsFromName(c.Properties.Name), strconv.Quote(c.Properties.Name)
	case strings.EqualFold(c.Type, "EPSG"):
		code, err := strconv.Atoi(strings.Trim(string(c.Properties.Code), `"`))
		p.crs = CRSUnknown
		if err == nil {
			p.crs = crsFromEPSG(code)
		}
	default:
		p.crs = CRSUnknown
	}
	if p.crs == CRSUnknown {
		return fmt.Errorf("%w: crs %s", ErrCRS, p.crsText)
	}
	return nil
}

func (p *gjParser) expect(c byte) error {
	got, ok := p.s.ws()
	if !ok || got != c {
		return p.syntax(strconv.QuoteRune(rune(c)))
	}
	p.s.i++
	return nil
}

// syntax describes what was found where want was expected.
func (p *gjParser) syntax(want string) error {
	s := &p.s
	if s.err != nil {
		return archiveErr("gzip", s.err)
	}
	if !s.avail(s.i) {
		return fmt.Errorf("%w: the JSON ends at byte %d where %s was expected (truncated?)", ErrMalformed, s.pos(), want)
	}
	r, _ := utf8.DecodeRune(s.b[s.i:s.n])
	return fmt.Errorf("%w: JSON syntax: %s expected at byte %d, found %q", ErrMalformed, want, s.pos(), r)
}

// scanner walks bytes b[:n]. When src is set the bytes arrive while it works: another goroutine inflates
// a gzip stream into b, which never moves, so slices of it stay valid, and avail waits for more.
// When stream is set instead, the bytes arrive in chunks appended to b (slices of it stay valid, as
// the old array is kept while they are held), and compact drops those already read between
// features, so that b holds a window of the text rather than all of it; base is how many bytes it
// has dropped.
type scanner struct {
	b      []byte
	n      int
	i      int
	src    *inflater
	stream *stream
	base   int
	done   bool
	err    error // the source's error once it has ended
}

// avail reports whether b[j] can be read, waiting for the source if need be.
func (s *scanner) avail(j int) bool {
	for j >= s.n {
		if s.done {
			return false
		}
		switch {
		case s.stream != nil:
			s.fill()
		case s.src != nil:
			s.n, s.done, s.err = s.src.wait(s.n)
		default:
			return false
		}
	}
	return true
}

// pos is the offset of b[i] in the whole text, for messages.
func (s *scanner) pos() int { return s.base + s.i }

// fill appends the stream's next chunk to b, or marks the end.
func (s *scanner) fill() {
	chunk, ok := <-s.stream.ch
	if !ok {
		s.done, s.err = true, s.stream.err
		return
	}
	s.b = append(s.b[:s.n], chunk...)
	s.n = len(s.b)
	select {
	case s.stream.free <- chunk[:cap(chunk)]:
	default:
	}
}

// compact drops the bytes before b[i] once they are over a chunk, when reading a stream. The
// parser calls it between features, where nothing it holds points before i.
func (s *scanner) compact() {
	if s.stream == nil || s.i < s.stream.chunk {
		return
	}
	k := copy(s.b, s.b[s.i:s.n])
	s.base += s.i
	s.b, s.n, s.i = s.b[:k], k, 0
}

// streamChunk is how many bytes of text a stream hands the parser at a time, and streamAhead how
// many chunks its reading goroutine may be ahead of the parser.
const (
	streamChunk = 1 << 20
	streamAhead = 4
)

// stream reads a source (inflating it if gzipped) on its own goroutine, in chunks.
type stream struct {
	chunk  int // bytes a chunk
	ch     chan []byte
	free   chan []byte // chunks the parser has copied, for reuse
	stop   chan struct{}
	exited chan struct{}
	err    error // the source's error, set before ch is closed
}

func startStream(r io.Reader, chunk int) *stream {
	st := &stream{chunk: chunk, ch: make(chan []byte, streamAhead), free: make(chan []byte, streamAhead+2),
		stop: make(chan struct{}), exited: make(chan struct{})}
	go st.run(r)
	return st
}

func (st *stream) run(r io.Reader) {
	defer close(st.exited)
	defer close(st.ch)
	for {
		var buf []byte
		select {
		case buf = <-st.free:
		default:
			buf = make([]byte, st.chunk)
		}
		// Not io.ReadFull, which reports a short last chunk as io.ErrUnexpectedEOF: a truncated gzip
		// stream says that too, and must not pass for the end.
		n := 0
		var err error
		for n < len(buf) && err == nil {
			var k int
			k, err = r.Read(buf[n:])
			n += k
		}
		if n > 0 {
			select {
			case st.ch <- buf[:n]:
			case <-st.stop:
				return
			}
		}
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			st.err = err
			return
		}
	}
}

// close ends the reading goroutine, when the parser has finished or given up, and returns the
// error the source had met by then.
func (st *stream) close() error {
	close(st.stop)
	<-st.exited
	return st.err
}

// errReparse says a streamed GeoJSON declared its CRS after its features: they must be read again
// from the start, which a stream no longer holds.
var errReparse = errors.New("geo: crs member after the features")

// readGeoJSONStream parses the GeoJSON text r gives, read in chunks of chunk bytes; errReparse
// when its crs member comes after its features.
func readGeoJSONStream(r io.Reader, name string, opt ReadOptions, chunk int) (*Layer, error) {
	st := startStream(r, chunk)
	l, err := parseGeoJSON(name, scanner{stream: st}, opt)
	if serr := st.close(); serr != nil && err != nil {
		// A broken gzip stream is the file's fault, not the feature's it was cut in.
		return nil, fileErr(name, archiveErr("gzip", serr))
	}
	return l, err
}

// readGeoJSONFile reads the GeoJSON (plain or gzipped) at path as a stream, holding a window of its
// text rather than all of it: what ReadGeoJSON returns, with a fraction of its memory for a big
// file (the national LSOA polygons are 78 MB of text). A crs member after the features makes it
// read the file again whole.
func readGeoJSONFile(path, name string, gzipped bool, opt ReadOptions) (*Layer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileErr(name, err)
	}
	defer f.Close()
	var r io.Reader = bufio.NewReaderSize(f, 256<<10)
	if gzipped {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fileErr(name, archiveErr("gzip", err))
		}
		r = zr
	}
	l, err := readGeoJSONStream(r, name, opt, streamChunk)
	if !errors.Is(err, errReparse) {
		return l, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fileErr(name, err)
	}
	return readGeoJSONBytes(name, data, opt)
}

// ws skips white space and returns the next byte, unconsumed; false at the end of the data.
func (s *scanner) ws() (byte, bool) {
	for {
		for s.i < s.n {
			c := s.b[s.i]
			if c != ' ' && c != '\n' && c != '\r' && c != '\t' {
				return c, true
			}
			s.i++
		}
		if !s.avail(s.i) {
			return 0, false
		}
	}
}

// errGrow says the inflated data did not fit in the buffer sized from the gzip trailer.
var errGrow = errors.New("geo: gzip data larger than its trailer says")

// gzipSize reads the uncompressed size from the gzip trailer, when it is plausible: deflate cannot
// expand more than 1032 times, and above 1 GiB the buffer is not worth risking on a trailer.
func gzipSize(data []byte) (int, bool) {
	if len(data) < 18 {
		return 0, false
	}
	n := int(binary.LittleEndian.Uint32(data[len(data)-4:]))
	if n == 0 || n > 1032*len(data) || n > 1<<30 {
		return 0, false
	}
	return n, true
}

// gzipHead returns the first bytes of the inflated data, to sniff what it is.
func gzipHead(data []byte) []byte {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil
	}
	head := make([]byte, 16)
	n, _ := io.ReadFull(zr, head)
	return head[:n]
}

// inflater inflates gzip data into buf on its own goroutine, publishing how much is ready.
type inflater struct {
	buf     []byte
	mu      sync.Mutex
	cond    sync.Cond
	n       int
	done    bool
	err     error
	stopped atomic.Bool
}

func startInflate(data []byte, size int) *inflater {
	f := &inflater{buf: make([]byte, size)}
	f.cond.L = &f.mu
	go f.run(data)
	return f
}

func (f *inflater) run(data []byte) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		f.finish(0, err)
		return
	}
	const chunk = 256 << 10
	n := 0
	for !f.stopped.Load() {
		if n == len(f.buf) {
			var one [1]byte
			k, err := io.ReadFull(zr, one[:])
			switch {
			case k > 0:
				f.finish(n, errGrow)
			case errors.Is(err, io.EOF):
				f.finish(n, nil)
			default:
				f.finish(n, err)
			}
			return
		}
		k, err := zr.Read(f.buf[n:min(n+chunk, len(f.buf))])
		n += k
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			f.finish(n, err)
			return
		}
		f.mu.Lock()
		f.n = n
		f.mu.Unlock()
		f.cond.Broadcast()
	}
	f.finish(n, errors.New("stopped"))
}

func (f *inflater) finish(n int, err error) {
	f.mu.Lock()
	f.n, f.done, f.err = n, true, err
	f.mu.Unlock()
	f.cond.Broadcast()
}

// wait blocks until more than have bytes are ready or the stream has ended.
func (f *inflater) wait(have int) (n int, done bool, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for f.n <= have && !f.done {
		f.cond.Wait()
	}
	return f.n, f.done, f.err
}

// stop ends the inflating goroutine early, when the parser has given up.
func (f *inflater) stop() { f.stopped.Store(true) }
