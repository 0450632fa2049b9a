// Package app holds the use cases that both front doors offer, written once: choosing a release,
// importing a footprint set, what-if moves, looking up an area and its PCNs, and (package layers) the
// map layers and their export. cmd/pcnmap and server parse their input, call app and format the
// answer; app reads no flags, no environment and no HTTP request, and its errors are the domain
// packages' (teams.ErrInput, store.ErrNoTeamSet, geo.ErrNotFound…), so each front door maps them once.
package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"pcnmap/layers"
	"pcnmap/overlap"
	"pcnmap/store"
	"pcnmap/tiles"
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

// LoadTiles is Load for the tile export: it prepares the areas' tile geometry (layers.PrepareAreas)
// as soon as they are read, on the other core while the rest of the release loads, and returns it
// for layers.ExportOptions.Areas.
func LoadTiles(ctx context.Context, path, release string) (*overlap.Dataset, *tiles.Shapes, error) {
	w, err := store.Open(ctx, path, false)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type prepared struct {
		shapes *tiles.Shapes
		err    error
	}
	var done chan prepared
	d, err := w.LoadAreasFirst(ctx, release, func(areas []overlap.Area) {
		done = make(chan prepared, 1)
		go func() {
			sh, err := layers.PrepareAreas(ctx, areas)
			done <- prepared{sh, err}
		}()
	})
	if err != nil {
		if done != nil {
			cancel()
			<-done
		}
		w.Close()
		return nil, nil, err
	}
	cerr := w.Close()
	if done == nil { // the areas were never handed over: prepare them now
		sh, err := layers.PrepareAreas(ctx, d.Areas)
		return d, sh, errors.Join(err, cerr)
	}
	p := <-done
	if p.err != nil {
		return nil, nil, p.err
	}
	return d, p.shapes, cerr
}

// Choice says which release a command uses and why, for the command to print: the one named, the
// workspace's default (pcnmap releases --default), or the newest extract.
func Choice(ctx context.Context, w *store.Workspace, requested, used string) (string, error) {
	if requested != "" {
		return "release " + used + " (named)", nil
	}
	def, explicit, err := w.Default(ctx)
	if err != nil {
		return "", err
	}
	if explicit && def == used {
		return "release " + used + " (the workspace's default; pcnmap releases --default sets another)", nil
	}
	return "release " + used + " (the newest extract; --release or pcnmap releases --default NAME chooses another)", nil
}

// ChoiceAt is Choice for the workspace at path.
func ChoiceAt(ctx context.Context, path, requested, used string) (string, error) {
	w, err := store.Open(ctx, path, false)
	if err != nil {
		return "", err
	}
	defer w.Close()
	return Choice(ctx, w, requested, used)
}

// Replacing says, before an ingest saves d into the workspace at path, whether it replaces a
// release of the same name and what the old one had that d lacks (inputs by role, context files,
// its region): "" when the name is new or the workspace does not exist yet.
func Replacing(ctx context.Context, path string, d *overlap.Dataset) string {
	if _, err := os.Stat(path); err != nil {
		return ""
	}
	w, err := store.Open(ctx, path, false)
	if err != nil {
		return ""
	}
	defer w.Close()
	rs, err := w.Releases(ctx)
	if err != nil {
		return ""
	}
	for _, r := range rs {
		if r.Name != d.Release {
			continue
		}
		have := map[string]bool{}
		for _, s := range d.Sources {
			have[s.Role+"\x00"+s.Name] = true
			have[s.Role] = true
		}
		var lost []string
		for _, s := range r.Sources {
			switch {
			case s.Role == "context" && !have[s.Role+"\x00"+s.Name]:
				lost = append(lost, "context "+s.Name)
			case s.Role != "context" && !have[s.Role]:
				lost = append(lost, "--"+s.Role+" "+s.Name)
			}
		}
		if r.Region == "" && d.Coverage.Region != "" {
			lost = append(lost, "all the areas (the new one is within "+d.Coverage.Region+")")
		}
		msg := fmt.Sprintf("replaces release %s (ingested %s)", r.Name, r.IngestedAt.Format("2006-01-02 15:04"))
		if len(lost) > 0 {
			msg += "; the old one had what the new one lacks: " + strings.Join(lost, ", ")
		}
		return msg
	}
	return ""
}

// Elsewhere says which other releases of the workspace at path have what release lacks (units of
// a kind, or with kind "" LSOA points), for the error a command gives: "; release 2022-07 has them
// (--release 2022-07)", or "" when none does.
func Elsewhere(ctx context.Context, path, release, kind string) string {
	w, err := store.Open(ctx, path, false)
	if err != nil {
		return ""
	}
	defer w.Close()
	var rs []string
	if kind == "" {
		rs, err = w.ReleasesWithPoints(ctx)
	} else {
		rs, err = w.ReleasesWithUnits(ctx, kind)
	}
	if err != nil {
		return ""
	}
	for _, r := range rs {
		if r != release {
			return fmt.Sprintf("; release %s has them (--release %s)", r, r)
		}
	}
	return ""
}
