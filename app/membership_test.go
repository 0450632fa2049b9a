package app_test

import (
	"errors"
	"strings"
	"testing"

	"pcnmap/app"
	"pcnmap/overlap"
)

// TestWhatIfMembership moves Barrington Medical Centre (P91603) from South Trafford PCN to
// North Trafford PCN on the fixture. Its list, 7,053, is counted independently from
// the fixture registrations by app/testdata/practice_list.sh (every row of the practice, SEX ALL);
// South Trafford's 34,030 falls to 26,977, under the 30,000 flag.
func TestWhatIfMembership(t *testing.T) {
	ts, _ := workspace(t)
	ctx := t.Context()
	imp, err := ts.Import(ctx, app.ImportRequest{Name: "localities", Layer: localities(t)})
	if err != nil {
		t.Fatal(err)
	}
	d, base := ts.Dataset(), imp.Model
	before := base.Alignment(0.01).Score
	const list = 7053
	w, err := app.WhatIfMembership(d, base, []overlap.Membership{{Practice: " p91603", From: "u42898", To: "U66368 "}})
	if err != nil {
		t.Fatal(err)
	}
	c := w.Changes[0]
	if c.Practice != "P91603" || c.From != "U42898" || c.To != "U66368" || c.ListSize != list {
		t.Errorf("change %+v, want P91603 U42898 → U66368 with its list of %d", c, list)
	}
	if c.FromList[0]-c.FromList[1] != list || c.ToList[1]-c.ToList[0] != list || c.FromList != [2]int64{34030, 34030 - list} {
		t.Errorf("list sizes: from %v, to %v; want the practice's %d leaving 34030 and joining the other", c.FromList, c.ToList, list)
	}
	if !c.Small {
		t.Errorf("South Trafford left at %d is not flagged under 30,000", c.FromList[1])
	}
	if got := w.Model.Alignment(0.01).Score; got == before {
		t.Errorf("score after the practice move %v, unchanged", got)
	}
	if p, _ := d.PCN("U42898"); d.PCNs[p].ListSize != 34030 || base.Alignment(0.01).Score != before {
		t.Errorf("WhatIfMembership changed its release or its model: list %d, score %v", d.PCNs[p].ListSize, base.Alignment(0.01).Score)
	}

	// The same move after an area move: the area what-if and the practice what-if compose.
	moved, err := app.WhatIf(base, []app.Move{{Code: "E02001259", From: "North", To: "West"}})
	if err != nil {
		t.Fatal(err)
	}
	both, err := app.WhatIfMembership(d, moved, []overlap.Membership{{Practice: "P91603", From: "U42898", To: "U66368"}})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := both.Model.Alignment(0.01).Score, w.Model.Alignment(0.01).Score; a == b {
		t.Errorf("area + practice move scores %v, the practice move alone %v: the area move was lost", a, b)
	}

	// A Membership kept for the next request: the same model for the same moves, however spelt.
	moves := []overlap.Membership{{Practice: "P91603", From: "U42898", To: "U66368"}}
	if a, b := app.MembershipKey(moves), app.MembershipKey([]overlap.Membership{{Practice: " p91603", From: "u42898", To: "U66368 "}}); a != b {
		t.Errorf("MembershipKey: %q and %q for the same move", a, b)
	}
	ms, err := app.NewMembership(d, moves)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []*app.MembershipWhatIf{w, both} {
		base := base
		if m == both {
			base = moved
		}
		again, err := ms.Model(base)
		if err != nil {
			t.Fatal(err)
		}
		if a, b := again.Alignment(0.01).Score, m.Model.Alignment(0.01).Score; a != b {
			t.Errorf("a kept Membership scores %v, WhatIfMembership %v", a, b)
		}
	}

	ok := overlap.Membership{Practice: "P91603", From: "U42898", To: "U95344"}
	for _, tc := range []struct {
		name  string
		moves []overlap.Membership
		want  string
	}{
		{"none", nil, "no practice moves"},
		{"unknown practice", []overlap.Membership{{Practice: "X99999", From: "U42898", To: "U95344"}}, `practice move 1 (X99999:U42898:U95344): practice "X99999" is not in release`},
		{"unknown from", []overlap.Membership{{Practice: "P91603", From: "U00000", To: "U95344"}}, `practice move 1 (P91603:U00000:U95344): PCN "U00000" is not in release`},
		{"unknown to", []overlap.Membership{{Practice: "P91603", From: "U42898", To: "nope"}}, `practice move 1 (P91603:U42898:NOPE): PCN "NOPE" is not in release`},
		{"same PCN", []overlap.Membership{{Practice: "P91603", From: "U42898", To: "u42898"}}, "from and to are both U42898"},
		{"not in from", []overlap.Membership{{Practice: "P91603", From: "U95344", To: "U42898"}}, "practice P91603 is not in PCN U95344"},
		{"moved twice from the old PCN", []overlap.Membership{ok, ok}, "practice move 2 (P91603:U42898:U95344): practice P91603 is not in PCN U42898"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := app.WhatIfMembership(d, base, tc.moves)
			if !errors.Is(err, overlap.ErrMembership) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("WhatIfMembership = %v, want overlap.ErrMembership with %q", err, tc.want)
			}
		})
	}
	// Moving it on from the PCN it joined is allowed: each move assumes the ones before it.
	if _, err := app.WhatIfMembership(d, base, []overlap.Membership{ok, {Practice: "P91603", From: "U95344", To: "U79881"}}); err != nil {
		t.Errorf("a practice moved on from the PCN it joined: %v", err)
	}
	if _, err := app.ParsePracticeMove("P91603:U42898"); !errors.Is(err, overlap.ErrMembership) {
		t.Errorf("ParsePracticeMove(two parts) = %v, want overlap.ErrMembership", err)
	}
}
