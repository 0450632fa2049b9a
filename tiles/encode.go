package tiles

import (
	"encoding/binary"
	"math"
	"strings"
	"sync"
	"unicode/utf8"
)

// encoder writes the subset of the vector tile protobuf that Render needs: layers with their keys and
// deduplicated values, and features with ids, tags and polygon geometry. Its buffers are reused
// through encoders (a sync.Pool); an encoder that has grown past maxPooled is dropped instead.
type encoder struct {
	buf    []byte // the tile so far
	feats  []byte // the current layer's features, each as a complete field
	values []byte // the current layer's values, each as a complete field
	nvals  uint32
	vidx   map[valueKey]uint32

	geom []uint32 // the current feature's commands
	tags []uint32
	vals []Value
	ids  []int32
	ra   []ip
	rb   []ip

	ox, oy int64 // the tile's origin on the zoom's global grid
	shift  uint  // over-zoom: level coordinates are shifted left by this
	cx, cy int64 // the geometry cursor
}

const maxPooled = 4 << 20

// maxPooledValues is the most values a pooled encoder's value index keeps room for.
const maxPooledValues = 1024

var encoders = sync.Pool{New: func() any {
	return &encoder{vidx: make(map[valueKey]uint32)}
}}

func getEncoder() *encoder {
	e := encoders.Get().(*encoder)
	e.buf = e.buf[:0]
	return e
}

func putEncoder(e *encoder) {
	if cap(e.buf) > maxPooled || cap(e.feats) > maxPooled || cap(e.values) > maxPooled ||
		4*cap(e.geom) > maxPooled || 16*cap(e.ra) > maxPooled || 16*cap(e.rb) > maxPooled {
		return
	}
	clear(e.vals) // drop references to the caller's strings
	if len(e.vidx) > maxPooledValues {
		// Clearing costs what the map ever held: a big tile's map would slow every later small one.
		e.vidx = make(map[valueKey]uint32)
	} else {
		clear(e.vidx)
	}
	encoders.Put(e)
}

type valueKey struct {
	t FieldType
	s string
	u uint64
}

// Protobuf field keys (field number << 3 | wire type).
const (
	keyTileLayer     = 3<<3 | 2
	keyLayerVersion  = 15<<3 | 0
	keyLayerName     = 1<<3 | 2
	keyLayerFeature  = 2<<3 | 2
	keyLayerKey      = 3<<3 | 2
	keyLayerValue    = 4<<3 | 2
	keyLayerExtent   = 5<<3 | 0
	keyFeatureID     = 1<<3 | 0
	keyFeatureTags   = 2<<3 | 2
	keyFeatureType   = 3<<3 | 0
	keyFeatureGeom   = 4<<3 | 2
	keyValueString   = 1<<3 | 2
	keyValueDouble   = 3<<3 | 1
	keyValueUint     = 5<<3 | 0
	keyValueSint     = 6<<3 | 0
	keyValueBool     = 7<<3 | 0
	geomTypePolygon  = 3
	cmdMoveTo        = 1
	cmdLineTo        = 2
	cmdClosePath     = 7
	maxExactInFloat  = 1 << 53
	mvtLayerVersion  = 2
	closePathCommand = 1<<3 | cmdClosePath
)

func (e *encoder) startLayer() {
	e.feats = e.feats[:0]
	e.values = e.values[:0]
	e.nvals = 0
	clear(e.vidx)
}

// value returns the index of v in the current layer's values, adding it when new.
func (e *encoder) value(t FieldType, v *Value) uint32 {
	k := valueKey{t: t}
	switch t {
	case FieldString:
		k.s = v.Str
		if !utf8.ValidString(k.s) {
			k.s = strings.ToValidUTF8(k.s, "\uFFFD") // protobuf strings are UTF-8
		}
	case FieldNumber:
		f := v.Num
		if f == 0 {
			f = 0 // one zero, not two
		}
		k.u = math.Float64bits(f)
	case FieldBool:
		if v.Bool {
			k.u = 1
		}
	}
	if i, ok := e.vidx[k]; ok {
		return i
	}
	i := e.nvals
	e.nvals++
	e.vidx[k] = i
	b := e.values
	switch t {
	case FieldString:
		n := 1 + varintLen(uint64(len(k.s))) + len(k.s)
		b = append(b, keyLayerValue)
		b = binary.AppendUvarint(b, uint64(n))
		b = append(b, keyValueString)
		b = binary.AppendUvarint(b, uint64(len(k.s)))
		b = append(b, k.s...)
	case FieldNumber:
		f := math.Float64frombits(k.u)
		switch {
		case f == math.Trunc(f) && f >= 0 && f < maxExactInFloat:
			u := uint64(f)
			b = append(b, keyLayerValue, byte(1+varintLen(u)), keyValueUint)
			b = binary.AppendUvarint(b, u)
		case f == math.Trunc(f) && f < 0 && f > -maxExactInFloat:
			s := int64(f)
			u := uint64(s<<1) ^ uint64(s>>63)
			b = append(b, keyLayerValue, byte(1+varintLen(u)), keyValueSint)
			b = binary.AppendUvarint(b, u)
		default:
			b = append(b, keyLayerValue, 9, keyValueDouble)
			b = binary.LittleEndian.AppendUint64(b, k.u)
		}
	case FieldBool:
		b = append(b, keyLayerValue, 2, keyValueBool, byte(k.u))
	}
	e.values = b
	return i
}

// path appends a closed ring to the current feature's commands.
func (e *encoder) path(r []ip) {
	e.geom = append(e.geom, 1<<3|cmdMoveTo)
	e.point(r[0])
	e.geom = append(e.geom, uint32(len(r)-1)<<3|cmdLineTo)
	for _, p := range r[1:] {
		e.point(p)
	}
	e.geom = append(e.geom, closePathCommand)
}

func (e *encoder) point(p ip) {
	dx, dy := int32(p.x-e.cx), int32(p.y-e.cy)
	e.cx, e.cy = p.x, p.y
	e.geom = append(e.geom, uint32(dx<<1)^uint32(dx>>31), uint32(dy<<1)^uint32(dy>>31))
}

// feature appends the current feature (e.geom, e.tags) to the layer.
func (e *encoder) feature(id uint64) {
	glen := packedLen(e.geom)
	tlen := packedLen(e.tags)
	n := 1 + varintLen(id) + 2 + 1 + varintLen(uint64(glen)) + glen
	if len(e.tags) > 0 {
		n += 1 + varintLen(uint64(tlen)) + tlen
	}
	b := e.feats
	b = append(b, keyLayerFeature)
	b = binary.AppendUvarint(b, uint64(n))
	b = append(b, keyFeatureID)
	b = binary.AppendUvarint(b, id)
	if len(e.tags) > 0 {
		b = append(b, keyFeatureTags)
		b = binary.AppendUvarint(b, uint64(tlen))
		for _, v := range e.tags {
			b = binary.AppendUvarint(b, uint64(v))
		}
	}
	b = append(b, keyFeatureType, geomTypePolygon, keyFeatureGeom)
	b = binary.AppendUvarint(b, uint64(glen))
	for _, v := range e.geom {
		b = binary.AppendUvarint(b, uint64(v))
	}
	e.feats = b
}

// endLayer appends the current layer to the tile.
func (e *encoder) endLayer(l *Layer) {
	n := 2 + 1 + varintLen(uint64(len(l.Name))) + len(l.Name) + len(e.feats) + len(e.values) +
		1 + varintLen(Extent)
	for _, f := range l.Fields {
		n += 1 + varintLen(uint64(len(f.Name))) + len(f.Name)
	}
	b := e.buf
	b = append(b, keyTileLayer)
	b = binary.AppendUvarint(b, uint64(n))
	b = append(b, keyLayerVersion, mvtLayerVersion, keyLayerName)
	b = binary.AppendUvarint(b, uint64(len(l.Name)))
	b = append(b, l.Name...)
	b = append(b, e.feats...)
	for _, f := range l.Fields {
		b = append(b, keyLayerKey)
		b = binary.AppendUvarint(b, uint64(len(f.Name)))
		b = append(b, f.Name...)
	}
	b = append(b, e.values...)
	b = append(b, keyLayerExtent)
	b = binary.AppendUvarint(b, Extent)
	e.buf = b
}

func varintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

func packedLen(vs []uint32) int {
	n := 0
	for _, v := range vs {
		n += varintLen(uint64(v))
	}
	return n
}
