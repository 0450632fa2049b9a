package app

import (
	"context"

	"pcnmap/nhs"
	"pcnmap/overlap"
	"pcnmap/store"
)

// LoadUnit reads, of the workspace at path, what the document of one unit takes (the unit of kind
// with the given code; with kind nhs.KindUnset, a unit of any kind with that code): the release's
// rows and totals in full, so every figure is the one a whole load gives, and the geometry of the
// unit's areas and their surroundings only (store.Workspace.LoadAround). A code that no area lies
// mostly in is for the report to turn down, as it does after a whole load. It also says how the
// release was chosen (Choice), from the same opening of the workspace (each costs ~1 ms).
func LoadUnit(ctx context.Context, path, release string, kind nhs.Kind, code string) (_ *overlap.Dataset, choice string, err error) {
	w, err := store.Open(ctx, path, false)
	if err != nil {
		return nil, "", err
	}
	d, err := w.LoadAround(ctx, release, func(a *overlap.Area) bool {
		if kind != nhs.KindUnset {
			return a.Units[kind] == code
		}
		for _, u := range a.Units {
			if u == code {
				return true
			}
		}
		return false
	})
	if err == nil {
		choice, err = Choice(ctx, w, release, d.Release)
	}
	if err != nil {
		w.Close()
		return nil, "", err
	}
	return d, choice, w.Close()
}
