package nhs

import (
	"io"
	"sync"
)

// aheadChunk is the size of the blocks an aheadReader reads in advance.
const aheadChunk = 256 << 10

// aheadReader runs a slow reader (gunzip, unzip: a third of the time for the registrations file)
// in its own goroutine, a few blocks ahead of the parser, so the two use both cores. Close stops the
// goroutine; it must be called.
type aheadReader struct {
	full  chan aheadBlock
	free  chan []byte
	done  chan struct{}
	wg    sync.WaitGroup
	cur   aheadBlock
	off   int
	err   error // sticky, once the producer has reported it
	close sync.Once
}

type aheadBlock struct {
	b   []byte
	err error
}

// readAhead starts reading r in the background. Only callers that read r to the end, or close the
// returned reader, may use it.
func readAhead(r io.Reader) *aheadReader {
	const n = 4
	a := &aheadReader{
		full: make(chan aheadBlock, n),
		free: make(chan []byte, n),
		done: make(chan struct{}),
	}
	for i := 0; i < n; i++ {
		a.free <- make([]byte, aheadChunk)
	}
	a.wg.Add(1)
	go a.produce(r)
	return a
}

func (a *aheadReader) produce(r io.Reader) {
	defer a.wg.Done()
	for {
		var buf []byte
		select {
		case buf = <-a.free:
		case <-a.done:
			return
		}
		// Not io.ReadAtLeast: it turns a short final read into io.ErrUnexpectedEOF, which would hide
		// the same error from a truncated gzip stream.
		n := 0
		var err error
		for n < len(buf) && err == nil {
			var k int
			k, err = r.Read(buf[n:])
			n += k
		}
		select {
		case a.full <- aheadBlock{b: buf[:n], err: err}:
		case <-a.done:
			return
		}
		if err != nil {
			return
		}
	}
}

func (a *aheadReader) Read(p []byte) (int, error) {
	for a.off == len(a.cur.b) {
		if a.err != nil {
			return 0, a.err
		}
		if a.cur.b != nil {
			a.free <- a.cur.b[:cap(a.cur.b)]
		}
		blk := <-a.full
		a.cur, a.off, a.err = blk, 0, blk.err
	}
	n := copy(p, a.cur.b[a.off:])
	a.off += n
	return n, nil
}

// Close stops the producer and waits for it, so no goroutine outlives the reader.
func (a *aheadReader) Close() error {
	a.close.Do(func() { close(a.done) })
	a.wg.Wait()
	return nil
}
