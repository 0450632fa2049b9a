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
// A PCN left with no practices keeps its entry with a list size of zero.
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
	for _, m := range moves {
		i, ok := practice[m.Practice]
		if !ok {
			return nil, fmt.Errorf("%w: practice %s is not in release %s", ErrMembership, m.Practice, d.Release)
		}
		from, ok := d.PCN(m.From)
		if !ok {
			return nil, fmt.Errorf("%w: PCN %s is not in release %s", ErrMembership, m.From, d.Release)
		}
		to, ok := d.PCN(m.To)
		if !ok {
			return nil, fmt.Errorf("%w: PCN %s is not in release %s", ErrMembership, m.To, d.Release)
		}
		if c.Practices[i].PCN != int32(from) {
			return nil, fmt.Errorf("%w: practice %s is not in PCN %s", ErrMembership, m.Practice, m.From)
		}
		c.Practices[i].PCN = int32(to)
	}
	if err := c.Aggregate(); err != nil {
		return nil, err
	}
	return &c, nil
}
