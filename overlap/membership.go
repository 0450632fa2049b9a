package overlap

import (
	"errors"
	"fmt"
	"slices"
)

// ErrMembership: a practice → PCN move that does not fit the release (unknown codes, a practice not
// in the PCN it is said to leave).
var ErrMembership = errors.New("overlap: invalid membership change")

// Membership is one practice leaving one PCN for another.
type Membership struct {
	Practice, From, To string // codes
}

// WithMembership returns a copy of d in which each practice of moves belongs to its To PCN, with
// every total derived again (the rows are shared, read-only). d is not changed: a membership
// what-if is kept in memory, and the workspace holds only the membership of the release's own date.
// A PCN left with no practices keeps its entry with a list size of zero. A move naming an unknown
// practice or PCN, a practice not in its From PCN (after the moves before it), or the same PCN twice
// is refused with ErrMembership, naming the move by its place and codes.
func (d *Dataset) WithMembership(moves []Membership) (*Dataset, error) {
	c := *d
	c.Areas = slices.Clone(d.Areas)
	c.LSOAs = slices.Clone(d.LSOAs)
	c.PCNs = slices.Clone(d.PCNs)
	c.Practices = slices.Clone(d.Practices)
	c.Cells = nil
	practice := make(map[string]int, len(d.Practices))
	for i, p := range d.Practices {
		practice[p.Code] = i
	}
	for n, m := range moves {
		fail := func(format string, a ...any) error {
			return fmt.Errorf("%w: practice move %d (%s:%s:%s): %s", ErrMembership, n+1, m.Practice, m.From, m.To, fmt.Sprintf(format, a...))
		}
		i, ok := practice[m.Practice]
		if !ok {
			return nil, fail("practice %q is not in release %s", m.Practice, d.Release)
		}
		from, ok := d.PCN(m.From)
		if !ok {
			return nil, fail("PCN %q is not in release %s", m.From, d.Release)
		}
		to, ok := d.PCN(m.To)
		if !ok {
			return nil, fail("PCN %q is not in release %s", m.To, d.Release)
		}
		if from == to {
			return nil, fail("from and to are both %s", m.From)
		}
		if c.Practices[i].PCN != int32(from) {
			return nil, fail("practice %s is not in PCN %s", m.Practice, m.From)
		}
		c.Practices[i].PCN = int32(to)
	}
	if err := c.Aggregate(); err != nil {
		return nil, err
	}
	return &c, nil
}
