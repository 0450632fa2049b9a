package tiles

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb/maptile"
	"golang.org/x/sync/singleflight"

	"pcnmap/internal/gzpool"
)

// DefaultCacheBytes is the size of a Cache whose limit is zero.
const DefaultCacheBytes = 64 << 20

// Key identifies a rendered tile in a Cache.
type Key struct {
	Layer string
	// Variant is whatever else the tile depends on, such as a threshold or a PCN code.
	Variant string
	Tile    maptile.Tile
}

// Entry is a rendered tile as a Cache keeps it. Its bytes are shared: callers must not modify them.
type Entry struct {
	Gzip []byte // the tile, gzip-compressed; nil for an empty tile
	ETag string // a strong ETag (quoted) of the uncompressed tile; "" for an empty tile
	Size int    // the uncompressed size in bytes
}

// CacheStats are a Cache's counters.
type CacheStats struct {
	Hits      uint64 // answers from the cache
	Misses    uint64 // lookups not in the cache (including those that waited for another's render)
	Renders   uint64 // calls of a render function
	Evictions uint64
	Entries   int
	Bytes     int64
}

// Cache is a bounded LRU of rendered tiles, by bytes, with single-flight rendering: a tile asked for
// by many goroutines at once is rendered once and every waiter gets the answer, or the error. Errors
// are not cached. Safe for concurrent use; the zero value is a cache of DefaultCacheBytes.
type Cache struct {
	limit int64

	mu      sync.Mutex
	items   map[Key]*cacheNode
	lru     cacheNode // sentinel: lru.next is the most recently used
	bytes   int64
	flights singleflight.Group

	hits, misses, renders, evictions atomic.Uint64
}

type cacheNode struct {
	key        Key
	entry      Entry
	size       int64
	prev, next *cacheNode
}

// NewCache returns a cache holding at most maxBytes of compressed tiles (and their keys); zero means
// DefaultCacheBytes.
func NewCache(maxBytes int64) *Cache {
	return &Cache{limit: maxBytes}
}

// Tile returns the tile for k from the cache, or renders it with render, compresses it and keeps
// it. render gets a context that carries ctx's values but is not cancelled with it, because other
// callers may be waiting for the same render; a caller whose ctx ends stops waiting at once. A panic
// in render is returned as an error.
func (c *Cache) Tile(ctx context.Context, k Key, render func(context.Context) ([]byte, error)) (Entry, error) {
	if e, ok := c.get(k, true); ok {
		c.hits.Add(1)
		return e, nil
	}
	c.misses.Add(1)
	rctx := context.WithoutCancel(ctx)
	ch := c.flights.DoChan(k.flight(), func() (any, error) {
		if e, ok := c.get(k, false); ok {
			return e, nil // rendered by a flight that ended while we were getting here
		}
		c.renders.Add(1)
		data, err := safeRender(rctx, render)
		if err != nil {
			return nil, err
		}
		e, err := NewEntry(data)
		if err != nil {
			return nil, err
		}
		c.add(k, e)
		return e, nil
	})
	select {
	case <-ctx.Done():
		return Entry{}, ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			return Entry{}, r.Err
		}
		return r.Val.(Entry), nil
	}
}

// Cached returns the tile for k when the cache holds it, counting a hit, and never renders: a miss
// is not counted, because the caller goes on to Tile, which counts it.
func (c *Cache) Cached(k Key) (Entry, bool) {
	e, ok := c.get(k, true)
	if ok {
		c.hits.Add(1)
	}
	return e, ok
}

func safeRender(ctx context.Context, render func(context.Context) ([]byte, error)) (data []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			data, err = nil, fmt.Errorf("tiles: render panicked: %v", r)
		}
	}()
	return render(ctx)
}

// NewEntry compresses an uncompressed tile and computes its ETag; data nil (or empty) is an empty
// tile.
func NewEntry(data []byte) (Entry, error) {
	if len(data) == 0 {
		return Entry{}, nil
	}
	gz, err := gzipBytes(data)
	if err != nil {
		return Entry{}, err
	}
	return Entry{Gzip: gz, ETag: ETag(data), Size: len(data)}, nil
}

// ETag is a strong entity tag for b, quoted: the first 128 bits of its SHA-256, in hex.
func ETag(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// Stats returns the counters.
func (c *Cache) Stats() CacheStats {
	c.mu.Lock()
	n, b := len(c.items), c.bytes
	c.mu.Unlock()
	return CacheStats{
		Hits: c.hits.Load(), Misses: c.misses.Load(), Renders: c.renders.Load(), Evictions: c.evictions.Load(),
		Entries: n, Bytes: b,
	}
}

// Reset empties the cache (after the data behind the tiles has changed). Renders in flight may still
// store their tiles.
func (c *Cache) Reset() {
	c.mu.Lock()
	c.items = nil
	c.lru.next, c.lru.prev = nil, nil
	c.bytes = 0
	c.mu.Unlock()
}

func (c *Cache) get(k Key, touch bool) (Entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.items[k]
	if !ok {
		return Entry{}, false
	}
	if touch {
		n.unlink()
		c.pushFront(n)
	}
	return n.entry, true
}

func (c *Cache) add(k Key, e Entry) {
	size := int64(cap(e.Gzip)+len(e.ETag)+len(k.Layer)+len(k.Variant)) + 128
	limit := c.limit
	if limit <= 0 {
		limit = DefaultCacheBytes
	}
	if size > limit {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.items == nil {
		c.items = make(map[Key]*cacheNode)
		c.lru.next, c.lru.prev = &c.lru, &c.lru
	}
	if old, ok := c.items[k]; ok {
		old.unlink()
		c.bytes -= old.size
	}
	n := &cacheNode{key: k, entry: e, size: size}
	c.items[k] = n
	c.pushFront(n)
	c.bytes += size
	for c.bytes > limit && c.lru.prev != &c.lru {
		last := c.lru.prev
		last.unlink()
		delete(c.items, last.key)
		c.bytes -= last.size
		c.evictions.Add(1)
	}
}

func (c *Cache) pushFront(n *cacheNode) {
	n.prev, n.next = &c.lru, c.lru.next
	c.lru.next.prev = n
	c.lru.next = n
}

func (n *cacheNode) unlink() {
	n.prev.next, n.next.prev = n.next, n.prev
	n.prev, n.next = nil, nil
}

// flight is the key's singleflight key.
func (k Key) flight() string {
	b := make([]byte, 0, len(k.Layer)+len(k.Variant)+32)
	b = strconv.AppendInt(b, int64(len(k.Layer)), 10)
	b = append(b, ':')
	b = append(b, k.Layer...)
	b = strconv.AppendInt(b, int64(len(k.Variant)), 10)
	b = append(b, ':')
	b = append(b, k.Variant...)
	b = strconv.AppendUint(b, uint64(k.Tile.Z), 10)
	b = append(b, '/')
	b = strconv.AppendUint(b, uint64(k.Tile.X), 10)
	b = append(b, '/')
	b = strconv.AppendUint(b, uint64(k.Tile.Y), 10)
	return string(b)
}

// gzipBytes compresses data.
func gzipBytes(data []byte) ([]byte, error) {
	z, err := gzpool.Compress(data)
	if err != nil {
		return nil, fmt.Errorf("tiles: %w", err)
	}
	return z, nil
}
