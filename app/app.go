// Package app holds the use cases that both front doors offer, written once: choosing a release,
// importing a footprint set, what-if moves, looking up an area and its PCNs, and (package layers) the
// map layers and their export. cmd/pcnmap and server parse their input, call app and format the
// answer; app reads no flags, no environment and no HTTP request, and its errors are the domain
// packages' (teams.ErrInput, store.ErrNoTeamSet, geo.ErrNotFound…), so each front door maps them once.
package app

import (
	"context"

	"pcnmap/overlap"
	"pcnmap/store"
)

// Open opens the workspace at path and loads release ("" for the newest, as store.Workspace.Load
// chooses it). The caller closes the workspace; on error nothing is left open.
func Open(ctx context.Context, path, release string) (*store.Workspace, *overlap.Dataset, error) {
	w, err := store.Open(ctx, path, false)
	if err != nil {
		return nil, nil, err
	}
	d, err := w.Load(ctx, release)
	if err != nil {
		w.Close()
		return nil, nil, err
	}
	return w, d, nil
}

// Load reads one release of the workspace at path and closes it: for the commands that only read.
func Load(ctx context.Context, path, release string) (*overlap.Dataset, error) {
	w, d, err := Open(ctx, path, release)
	if err != nil {
		return nil, err
	}
	return d, w.Close()
}
