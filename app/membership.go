package app

import (
	"fmt"
	"strings"
	"sync"

	"pcnmap/neighbourhoods"
	"pcnmap/overlap"
	"pcnmap/teams"
)

// PracticeChange is the effect of one practice move of a membership what-if on the two PCNs it
// touches: their list sizes in the release (Before) and after all the what-if's practice moves (After),
// as [from, to].
type PracticeChange struct {
	overlap.Membership
	// Name is the practice's; ListSize its list, every registered patient wherever they live.
	Name     string
	ListSize int64
	// FromList and ToList are the list sizes of the PCN left and the PCN joined, [before, after].
	FromList, ToList [2]int64
	// Small flags the PCN left under neighbourhoods.SmallPCN (the PCN contract's 30,000) after the moves.
	Small bool
}

// MembershipWhatIf is a what-if with practice moves: the release as it would be (Dataset), the set's
// model on it, and one change per practice move, in order.
type MembershipWhatIf struct {
	Dataset *overlap.Dataset
	Model   *teams.Model
	Changes []PracticeChange
}

// WhatIfMembership moves practices between PCNs in a copy of d and resolves the set of m (with any
// area moves already applied, see WhatIf) against it; d and m are left as they were. Nothing is
// stored, and nothing can be: the workspace keeps the membership of the release's own ePCN file.
// See NewMembership for the checks.
func WhatIfMembership(d *overlap.Dataset, m *teams.Model, moves []overlap.Membership) (*MembershipWhatIf, error) {
	ms, err := NewMembership(d, moves)
	if err != nil {
		return nil, err
	}
	em, err := ms.Model(m)
	if err != nil {
		return nil, err
	}
	return &MembershipWhatIf{Dataset: ms.Dataset, Model: em, Changes: ms.Changes}, nil
}

// Membership is a release with practice moves applied, in memory: the copy (Dataset), one change
// per move, and what resolving a set against the copy needs, built once (a pass over every
// registration row: tens of milliseconds for England), so a server can keep it for the next
// request with the same practice moves. Read-only; safe for concurrent use.
type Membership struct {
	Dataset *overlap.Dataset
	Changes []PracticeChange
	index   func() *teams.Index
}

// MembershipKey names a list of practice moves as NewMembership reads them (codes trimmed and
// upper-cased, in order): two lists with the same key give the same Membership.
func MembershipKey(moves []overlap.Membership) string {
	var b strings.Builder
	for _, mv := range moves {
		fmt.Fprintf(&b, "%s:%s:%s,", canon(mv.Practice), canon(mv.From), canon(mv.To))
	}
	return b.String()
}

// NewMembership moves practices between PCNs in a copy of d (left as it was). Codes are trimmed and
// upper-cased here, for every front door; overlap.Dataset.WithMembership refuses a move that does not
// fit the release, naming it.
func NewMembership(d *overlap.Dataset, moves []overlap.Membership) (*Membership, error) {
	if len(moves) == 0 {
		return nil, fmt.Errorf("%w: no practice moves", overlap.ErrMembership)
	}
	mvs := make([]overlap.Membership, len(moves))
	for i, mv := range moves {
		mvs[i] = overlap.Membership{Practice: canon(mv.Practice), From: canon(mv.From), To: canon(mv.To)}
	}
	after, err := d.WithMembership(mvs)
	if err != nil {
		return nil, err
	}
	ms := &Membership{Dataset: after, Changes: make([]PracticeChange, len(mvs)),
		index: sync.OnceValue(func() *teams.Index { return teams.NewIndex(after) })}
	practice := make(map[string]int, len(d.Practices))
	for i, p := range d.Practices {
		practice[p.Code] = i
	}
	for i, mv := range mvs {
		p := d.Practices[practice[mv.Practice]]
		from, _ := d.PCN(mv.From)
		to, _ := d.PCN(mv.To)
		c := PracticeChange{Membership: mv, Name: p.Name, ListSize: p.ListSize,
			FromList: [2]int64{d.PCNs[from].ListSize, after.PCNs[from].ListSize},
			ToList:   [2]int64{d.PCNs[to].ListSize, after.PCNs[to].ListSize}}
		c.Small = c.FromList[1] < neighbourhoods.SmallPCN
		ms.Changes[i] = c
	}
	return ms, nil
}

// Model resolves the set of m (with its area moves, see WhatIf) against the edited release; m is
// left as it was.
func (ms *Membership) Model(m *teams.Model) (*teams.Model, error) { return ms.index().Model(m.Set()) }

// canon is a code as the release spells it: p81770 is P81770.
func canon(code string) string { return strings.ToUpper(strings.TrimSpace(code)) }

// ParsePracticeMove parses CODE:FROM_PCN:TO_PCN, the form of a practice move on the command line.
func ParsePracticeMove(s string) (overlap.Membership, error) {
	parts := strings.SplitN(s, ":", 3)
	if len(parts) != 3 {
		return overlap.Membership{}, fmt.Errorf("%w: practice move %q is not CODE:FROM_PCN:TO_PCN", overlap.ErrMembership, s)
	}
	return overlap.Membership{Practice: parts[0], From: parts[1], To: parts[2]}, nil
}
