package tiles

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb/maptile"
)

// PMTiles v3 (github.com/protomaps/PMTiles, spec/v3): one file of tiles that a browser reads with
// HTTP range requests, so a static host can serve a tile set. The header (127 bytes) and the root
// directory sit in the first 16 KiB; tiles are addressed by Hilbert tile ID; directories are gzipped.
// go-pmtiles is the reference implementation, but as one package it links cloud-storage SDKs
// (about 45 MB of binary and minutes of compiling), so the format is written here; the archives are
// checked with the JS reader (web/test) and with go-pmtiles (tools/pmtilescheck).

const (
	pmHeaderLen = 127
	pmRootMax   = 16384 - pmHeaderLen // header and root directory fit in one 16 KiB read
	pmGzip      = 2                   // compression: gzip
	pmMVT       = 1                   // tile type: Mapbox Vector Tile
)

// ErrPMTiles reports a file that is not a PMTiles v3 archive pcnmap can read.
var ErrPMTiles = errors.New("tiles: not a PMTiles v3 archive")

// TileID is the PMTiles ID of a tile: the tiles of lower zooms, then the position along the zoom's
// Hilbert curve.
func TileID(t maptile.Tile) uint64 {
	var id uint64
	for z := maptile.Zoom(0); z < t.Z; z++ {
		id += 1 << (2 * z)
	}
	n := uint32(1) << t.Z
	x, y := t.X, t.Y
	var d uint64
	for s := n / 2; s > 0; s /= 2 {
		var rx, ry uint32
		if x&s != 0 {
			rx = 1
		}
		if y&s != 0 {
			ry = 1
		}
		d += uint64(s) * uint64(s) * uint64((3*rx)^ry)
		if ry == 0 {
			if rx == 1 {
				x, y = s-1-x, s-1-y
			}
			x, y = y, x
		}
		x, y = x&(s-1), y&(s-1)
	}
	return id + d
}

// pmEntry is a directory entry: RunLength tiles from TileID share the bytes at Offset (relative to
// the tile data, or to the leaf directories for a leaf entry, whose RunLength is 0).
type pmEntry struct {
	TileID    uint64
	Offset    uint64
	Length    uint32
	RunLength uint32
}

func serializeEntries(es []pmEntry) []byte {
	b := binary.AppendUvarint(nil, uint64(len(es)))
	var last uint64
	for _, e := range es {
		b = binary.AppendUvarint(b, e.TileID-last)
		last = e.TileID
	}
	for _, e := range es {
		b = binary.AppendUvarint(b, uint64(e.RunLength))
	}
	for _, e := range es {
		b = binary.AppendUvarint(b, uint64(e.Length))
	}
	for i, e := range es {
		if i > 0 && e.Offset == es[i-1].Offset+uint64(es[i-1].Length) {
			b = binary.AppendUvarint(b, 0)
		} else {
			b = binary.AppendUvarint(b, e.Offset+1)
		}
	}
	return b
}

func deserializeEntries(b []byte) ([]pmEntry, error) {
	r := bytes.NewReader(b)
	n, err := binary.ReadUvarint(r)
	if err != nil || n > uint64(len(b)) {
		return nil, fmt.Errorf("%w: directory entry count", ErrPMTiles)
	}
	es := make([]pmEntry, n)
	var last uint64
	for i := range es {
		v, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, fmt.Errorf("%w: directory: %v", ErrPMTiles, err)
		}
		last += v
		es[i].TileID = last
	}
	for _, f := range []func(i int, v uint64){
		func(i int, v uint64) { es[i].RunLength = uint32(v) },
		func(i int, v uint64) { es[i].Length = uint32(v) },
		func(i int, v uint64) {
			if v == 0 && i > 0 {
				es[i].Offset = es[i-1].Offset + uint64(es[i-1].Length)
			} else {
				es[i].Offset = v - 1
			}
		},
	} {
		for i := range es {
			v, err := binary.ReadUvarint(r)
			if err != nil || v > math.MaxUint32 {
				return nil, fmt.Errorf("%w: directory: %v", ErrPMTiles, err)
			}
			f(i, v)
		}
	}
	return es, nil
}

func gzipBytesBest(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// buildDirectories makes the root directory and, when the entries do not fit in it, the leaf
// directories: leaves of leafSize entries, grown until the root fits (as go-pmtiles does).
func buildDirectories(es []pmEntry) (root, leaves []byte, err error) {
	root, err = gzipBytesBest(serializeEntries(es))
	if err != nil || len(root) <= pmRootMax {
		return root, nil, err
	}
	for leafSize := 4096; ; leafSize = leafSize * 6 / 5 {
		var rootEntries []pmEntry
		var buf []byte
		for i := 0; i < len(es); i += leafSize {
			chunk := es[i:min(len(es), i+leafSize)]
			leaf, err := gzipBytesBest(serializeEntries(chunk))
			if err != nil {
				return nil, nil, err
			}
			rootEntries = append(rootEntries, pmEntry{TileID: chunk[0].TileID, Offset: uint64(len(buf)), Length: uint32(len(leaf))})
			buf = append(buf, leaf...)
		}
		root, err = gzipBytesBest(serializeEntries(rootEntries))
		if err != nil {
			return nil, nil, err
		}
		if len(root) <= pmRootMax {
			return root, buf, nil
		}
	}
}

// PMTilesStats describes a written PMTiles archive.
type PMTilesStats struct {
	Tiles    int   // addressed tiles
	Entries  int   // directory entries (runs of the same tile are one)
	Contents int   // distinct tile contents stored
	Bytes    int64 // size of the file
}

// ConvertMBTiles writes the tiles and metadata of an MBTiles file (as WriteMBTiles writes it:
// gzipped MVT) to a PMTiles v3 archive at path: every tile the same bytes, identical tiles stored
// once. It holds the tiles in memory (England at z0-12 is tens of MB). The file is written under
// a temporary name and renamed.
func ConvertMBTiles(ctx context.Context, mb *MBTiles, path string) (PMTilesStats, error) {
	var st PMTilesStats
	rows, err := mb.db.QueryContext(ctx, "SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")
	if err != nil {
		return st, fmt.Errorf("tiles: pmtiles: %w", err)
	}
	type tile struct {
		id   uint64
		data []byte
	}
	var all []tile
	minZ, maxZ := maptile.Zoom(MaxZoom), maptile.Zoom(0)
	for rows.Next() {
		var z, x, row int64
		var data []byte
		if err := rows.Scan(&z, &x, &row, &data); err != nil {
			rows.Close()
			return st, fmt.Errorf("tiles: pmtiles: %w", err)
		}
		if z < 0 || z > 30 || x < 0 || x >= 1<<z || row < 0 || row >= 1<<z {
			rows.Close()
			return st, fmt.Errorf("tiles: pmtiles: tile %d/%d/%d (TMS) out of range", z, x, row)
		}
		if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
			rows.Close()
			return st, fmt.Errorf("tiles: pmtiles: tile %d/%d/%d (TMS) is not gzipped", z, x, row)
		}
		t := maptile.New(uint32(x), uint32((int64(1)<<z)-1-row), maptile.Zoom(z))
		all = append(all, tile{TileID(t), data})
		minZ, maxZ = min(minZ, t.Z), max(maxZ, t.Z)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("tiles: pmtiles: %w", err)
	}
	if len(all) == 0 {
		return st, fmt.Errorf("tiles: pmtiles: the MBTiles file has no tiles")
	}
	slices.SortFunc(all, func(a, b tile) int { return cmp.Compare(a.id, b.id) })

	// Tile data in tile ID order (a clustered archive), each distinct content once.
	var data bytes.Buffer
	offsets := map[[32]byte]uint64{}
	var es []pmEntry
	for _, t := range all {
		h := sha256.Sum256(t.data)
		off, seen := offsets[h]
		if !seen {
			off = uint64(data.Len())
			offsets[h] = off
			data.Write(t.data)
		}
		if n := len(es); n > 0 && es[n-1].Offset == off && es[n-1].TileID+uint64(es[n-1].RunLength) == t.id {
			es[n-1].RunLength++
			continue
		}
		es = append(es, pmEntry{TileID: t.id, Offset: off, Length: uint32(len(t.data)), RunLength: 1})
	}
	root, leaves, err := buildDirectories(es)
	if err != nil {
		return st, fmt.Errorf("tiles: pmtiles: %w", err)
	}
	md := mb.Metadata()
	meta, err := pmMetadata(md)
	if err != nil {
		return st, err
	}
	f := func(k string, n int) []float64 {
		parts := strings.Split(md[k], ",")
		if len(parts) != n {
			return nil
		}
		out := make([]float64, n)
		for i, p := range parts {
			if out[i], err = strconv.ParseFloat(strings.TrimSpace(p), 64); err != nil {
				return nil
			}
		}
		return out
	}
	h := pmHeader{
		RootOffset: pmHeaderLen, RootLength: uint64(len(root)),
		MetadataOffset: pmHeaderLen + uint64(len(root)), MetadataLength: uint64(len(meta)),
		Addressed: uint64(len(all)), Entries: uint64(len(es)), Contents: uint64(len(offsets)),
		Clustered: true, Internal: pmGzip, TileCompression: pmGzip, TileType: pmMVT,
		MinZoom: uint8(minZ), MaxZoom: uint8(maxZ),
		Bounds: [4]float64{-180, -85.0511287798066, 180, 85.0511287798066},
	}
	h.LeafOffset = h.MetadataOffset + h.MetadataLength
	h.LeafLength = uint64(len(leaves))
	h.DataOffset = h.LeafOffset + h.LeafLength
	h.DataLength = uint64(data.Len())
	if b := f("bounds", 4); b != nil {
		h.Bounds = [4]float64(b)
	}
	h.Center = [2]float64{(h.Bounds[0] + h.Bounds[2]) / 2, (h.Bounds[1] + h.Bounds[3]) / 2}
	h.CenterZoom = h.MinZoom
	if c := f("center", 3); c != nil {
		h.Center, h.CenterZoom = [2]float64{c[0], c[1]}, uint8(max(0, min(30, c[2])))
	}

	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	out, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return st, fmt.Errorf("tiles: pmtiles: %w", err)
	}
	defer os.Remove(out.Name())
	for _, part := range [][]byte{h.serialize(), root, meta, leaves, data.Bytes()} {
		if _, err := out.Write(part); err != nil {
			out.Close()
			return st, fmt.Errorf("tiles: pmtiles: %w", err)
		}
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return st, fmt.Errorf("tiles: pmtiles: %w", err)
	}
	if err := out.Close(); err != nil {
		return st, fmt.Errorf("tiles: pmtiles: %w", err)
	}
	if err := os.Chmod(out.Name(), 0o644); err != nil {
		return st, fmt.Errorf("tiles: pmtiles: %w", err)
	}
	if err := os.Rename(out.Name(), path); err != nil {
		return st, fmt.Errorf("tiles: pmtiles: %w", err)
	}
	return PMTilesStats{Tiles: len(all), Entries: len(es), Contents: len(offsets), Bytes: int64(h.DataOffset + h.DataLength)}, nil
}

// pmMetadata is the archive's JSON metadata (gzipped): the MBTiles metadata with vector_layers as
// JSON, as go-pmtiles' convert writes it.
func pmMetadata(md map[string]string) ([]byte, error) {
	m := map[string]any{}
	for k, v := range md {
		switch k {
		case "json":
			var js map[string]json.RawMessage
			if err := json.Unmarshal([]byte(v), &js); err != nil {
				return nil, fmt.Errorf("tiles: pmtiles: metadata json: %w", err)
			}
			for jk, jv := range js {
				m[jk] = jv
			}
		case "bounds", "center", "minzoom", "maxzoom", "scheme":
			// in the header
		default:
			m[k] = v
		}
	}
	b, err := json.Marshal(m) // keys sorted: the same metadata gives the same bytes
	if err != nil {
		return nil, fmt.Errorf("tiles: pmtiles: metadata: %w", err)
	}
	return gzipBytesBest(b)
}

// pmHeader is the fixed 127-byte header.
type pmHeader struct {
	RootOffset, RootLength         uint64
	MetadataOffset, MetadataLength uint64
	LeafOffset, LeafLength         uint64
	DataOffset, DataLength         uint64
	Addressed, Entries, Contents   uint64
	Clustered                      bool
	Internal, TileCompression      uint8
	TileType, MinZoom, MaxZoom     uint8
	Bounds                         [4]float64 // west, south, east, north
	CenterZoom                     uint8
	Center                         [2]float64
}

func e7(v float64) uint32 { return uint32(int32(math.Round(v * 1e7))) }

func (h pmHeader) serialize() []byte {
	b := make([]byte, pmHeaderLen)
	copy(b, "PMTiles")
	b[7] = 3
	le := binary.LittleEndian
	for i, v := range []uint64{h.RootOffset, h.RootLength, h.MetadataOffset, h.MetadataLength, h.LeafOffset, h.LeafLength,
		h.DataOffset, h.DataLength, h.Addressed, h.Entries, h.Contents} {
		le.PutUint64(b[8+8*i:], v)
	}
	if h.Clustered {
		b[96] = 1
	}
	b[97], b[98], b[99], b[100], b[101] = h.Internal, h.TileCompression, h.TileType, h.MinZoom, h.MaxZoom
	for i, v := range h.Bounds {
		le.PutUint32(b[102+4*i:], e7(v))
	}
	b[118] = h.CenterZoom
	le.PutUint32(b[119:], e7(h.Center[0]))
	le.PutUint32(b[123:], e7(h.Center[1]))
	return b
}

func parseHeader(b []byte) (pmHeader, error) {
	var h pmHeader
	if len(b) < pmHeaderLen || string(b[:7]) != "PMTiles" || b[7] != 3 {
		return h, ErrPMTiles
	}
	le := binary.LittleEndian
	u := func(i int) uint64 { return le.Uint64(b[8+8*i:]) }
	h.RootOffset, h.RootLength, h.MetadataOffset, h.MetadataLength = u(0), u(1), u(2), u(3)
	h.LeafOffset, h.LeafLength, h.DataOffset, h.DataLength = u(4), u(5), u(6), u(7)
	h.Addressed, h.Entries, h.Contents = u(8), u(9), u(10)
	h.Clustered = b[96] == 1
	h.Internal, h.TileCompression, h.TileType, h.MinZoom, h.MaxZoom = b[97], b[98], b[99], b[100], b[101]
	f := func(off int) float64 { return float64(int32(le.Uint32(b[off:]))) / 1e7 }
	h.Bounds = [4]float64{f(102), f(106), f(110), f(114)}
	h.CenterZoom = b[118]
	h.Center = [2]float64{f(119), f(123)}
	return h, nil
}

// PMTiles is a PMTiles v3 archive open for reading, with its root directory in memory. Safe for
// concurrent use.
type PMTiles struct {
	name string
	f    *os.File
	size uint64
	h    pmHeader
	root []pmEntry
	meta map[string]string
}

// maxDirectory bounds a directory read from a file, before and after gunzip.
const maxDirectory = 64 << 20

// OpenPMTiles opens an archive with gzip or uncompressed directories and reads its header, root
// directory and metadata.
func OpenPMTiles(path string) (*PMTiles, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tiles: open pmtiles: %w", err)
	}
	p := &PMTiles{name: filepath.Base(path), f: f}
	if fi, err := f.Stat(); err == nil {
		p.size = uint64(fi.Size())
	}
	if err := p.load(); err != nil {
		f.Close()
		return nil, fmt.Errorf("tiles: open pmtiles %s: %w", filepath.Base(path), err)
	}
	return p, nil
}

func (p *PMTiles) read(off, n uint64) ([]byte, error) {
	if n > maxDirectory || off > p.size || n > p.size-off {
		return nil, fmt.Errorf("%w: %d bytes at %d in a file of %d", ErrPMTiles, n, off, p.size)
	}
	b := make([]byte, n)
	if _, err := p.f.ReadAt(b, int64(off)); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPMTiles, err)
	}
	return b, nil
}

func (p *PMTiles) decompress(b []byte) ([]byte, error) {
	switch p.h.Internal {
	case 1:
		return b, nil
	case pmGzip:
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrPMTiles, err)
		}
		out, err := io.ReadAll(io.LimitReader(zr, maxDirectory+1))
		if err != nil || len(out) > maxDirectory {
			return nil, fmt.Errorf("%w: directory: %v", ErrPMTiles, err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: internal compression %d", ErrPMTiles, p.h.Internal)
}

func (p *PMTiles) directory(off, n uint64) ([]pmEntry, error) {
	b, err := p.read(off, n)
	if err != nil {
		return nil, err
	}
	if b, err = p.decompress(b); err != nil {
		return nil, err
	}
	return deserializeEntries(b)
}

func (p *PMTiles) load() error {
	b, err := p.read(0, pmHeaderLen)
	if err != nil {
		return err
	}
	if p.h, err = parseHeader(b); err != nil {
		return err
	}
	if p.h.TileType != pmMVT {
		return fmt.Errorf("%w: tile type %d is not MVT", ErrPMTiles, p.h.TileType)
	}
	if p.root, err = p.directory(p.h.RootOffset, p.h.RootLength); err != nil {
		return err
	}
	mb, err := p.read(p.h.MetadataOffset, p.h.MetadataLength)
	if err != nil {
		return err
	}
	if mb, err = p.decompress(mb); err != nil {
		return err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(mb, &raw); err != nil {
		return fmt.Errorf("%w: metadata: %v", ErrPMTiles, err)
	}
	// The metadata as MBTiles keeps it, so one source type serves both.
	p.meta = map[string]string{}
	for k, v := range raw {
		var s string
		if json.Unmarshal(v, &s) == nil {
			p.meta[k] = s
		}
	}
	if vl, ok := raw["vector_layers"]; ok {
		p.meta["json"] = `{"vector_layers":` + string(vl) + `}`
	}
	g := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	p.meta["minzoom"], p.meta["maxzoom"] = strconv.Itoa(int(p.h.MinZoom)), strconv.Itoa(int(p.h.MaxZoom))
	p.meta["bounds"] = g(p.h.Bounds[0]) + "," + g(p.h.Bounds[1]) + "," + g(p.h.Bounds[2]) + "," + g(p.h.Bounds[3])
	p.meta["center"] = g(p.h.Center[0]) + "," + g(p.h.Center[1]) + "," + strconv.Itoa(int(p.h.CenterZoom))
	return nil
}

// find is the entry holding id in a sorted directory, if any.
func find(es []pmEntry, id uint64) (pmEntry, bool) {
	i, ok := slices.BinarySearchFunc(es, id, func(e pmEntry, id uint64) int { return cmp.Compare(e.TileID, id) })
	if ok {
		return es[i], true
	}
	if i == 0 {
		return pmEntry{}, false
	}
	e := es[i-1]
	if e.RunLength == 0 || id < e.TileID+uint64(e.RunLength) {
		return e, true
	}
	return pmEntry{}, false
}

// Tile returns the stored bytes of tile t (gzipped MVT for archives pcnmap writes), or nil when the
// archive has no such tile.
func (p *PMTiles) Tile(ctx context.Context, t maptile.Tile) ([]byte, error) {
	if err := checkTile(t); err != nil {
		return nil, err
	}
	id := TileID(t)
	es := p.root
	for depth := 0; depth < 4; depth++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		e, ok := find(es, id)
		if !ok {
			return nil, nil
		}
		if e.RunLength > 0 {
			if uint64(e.Length) > maxDirectory {
				return nil, fmt.Errorf("tiles: pmtiles tile %d/%d/%d: %w: %d bytes", t.Z, t.X, t.Y, ErrPMTiles, e.Length)
			}
			b, err := p.read(p.h.DataOffset+e.Offset, uint64(e.Length))
			if err != nil {
				return nil, fmt.Errorf("tiles: pmtiles tile %d/%d/%d: %w", t.Z, t.X, t.Y, err)
			}
			return b, nil
		}
		// A leaf directory (read per request; the OS caches the file).
		var err error
		if es, err = p.directory(p.h.LeafOffset+e.Offset, uint64(e.Length)); err != nil {
			return nil, fmt.Errorf("tiles: pmtiles tile %d/%d/%d: %w", t.Z, t.X, t.Y, err)
		}
	}
	return nil, fmt.Errorf("tiles: pmtiles tile %d/%d/%d: %w: directories nested too deep", t.Z, t.X, t.Y, ErrPMTiles)
}

// Metadata returns the archive's metadata as MBTiles names it (json holds vector_layers; bounds,
// center, minzoom and maxzoom come from the header).
func (p *PMTiles) Metadata() map[string]string {
	out := make(map[string]string, len(p.meta))
	for k, v := range p.meta {
		out[k] = v
	}
	return out
}

// TileJSON describes the archive as a TileJSON 3.0.0 document without tile URLs (see
// MBTiles.TileJSON).
func (p *PMTiles) TileJSON() (TileJSONDoc, error) { return metadataTileJSON("pmtiles "+p.name, p.meta) }

// Close closes the file.
func (p *PMTiles) Close() error { return p.f.Close() }

// Archive is a pre-built tile set: an MBTiles file or a PMTiles archive.
type Archive interface {
	Tile(ctx context.Context, t maptile.Tile) ([]byte, error)
	Metadata() map[string]string
	TileJSON() (TileJSONDoc, error)
	Close() error
}

var (
	_ Archive = (*MBTiles)(nil)
	_ Archive = (*PMTiles)(nil)
)
