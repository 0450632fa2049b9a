package server

import (
	"container/list"
	"sync"
)

// memo is a small LRU of values derived from the dataset by key (per-threshold counts, summaries).
// Values must be immutable once computed. Two requests for the same missing key may both compute it;
// that costs a millisecond or two and keeps the memo simple. Safe for concurrent use.
type memo[K comparable, V any] struct {
	max   int
	mu    sync.Mutex
	items map[K]*list.Element
	order list.List // front: most recently used; values are memoItem
}

type memoItem[K comparable, V any] struct {
	key K
	val V
}

func newMemo[K comparable, V any](max int) *memo[K, V] {
	return &memo[K, V]{max: max, items: make(map[K]*list.Element, max)}
}

// get returns the value for k, computing it with fn when it isn't held. Errors are not kept.
func (m *memo[K, V]) get(k K, fn func() (V, error)) (V, error) {
	m.mu.Lock()
	if el, ok := m.items[k]; ok {
		m.order.MoveToFront(el)
		v := el.Value.(memoItem[K, V]).val
		m.mu.Unlock()
		return v, nil
	}
	m.mu.Unlock()
	v, err := fn()
	if err != nil {
		return v, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.items[k]; ok { // computed meanwhile by another request: keep one copy
		return el.Value.(memoItem[K, V]).val, nil
	}
	m.items[k] = m.order.PushFront(memoItem[K, V]{k, v})
	for m.order.Len() > m.max {
		last := m.order.Back()
		m.order.Remove(last)
		delete(m.items, last.Value.(memoItem[K, V]).key)
	}
	return v, nil
}
