package teams

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"pcnmap/csvsafe"
	"pcnmap/overlap"
)

// WriteTeams writes teams.csv: one row per team.
func WriteTeams(w io.Writer, d *overlap.Dataset, a *Alignment) error {
	cw := csvsafe.NewWriter(w)
	cw.Write([]string{"team", "registered", "in_pcn", "pcns", "pcn_shares", "dominant_pcn", "dominant_pcn_name", "dominant_share", "hhi", "effective_pcns"})
	for _, t := range a.Teams {
		var shares []string
		for _, s := range t.PCNs {
			shares = append(shares, d.PCNs[s.PCN].Code+":"+num(s.Share, 4))
		}
		code, name := "", ""
		if t.Dominant >= 0 {
			code, name = d.PCNs[t.Dominant].Code, d.PCNs[t.Dominant].Name
		}
		cw.Write([]string{t.Name, num(t.Registered, 1), num(t.InPCN, 1), strconv.Itoa(len(t.PCNs)), strings.Join(shares, ";"),
			code, name, num(t.DominantShare, 4), num(t.HHI, 4), num(t.EffectivePCNs, 3)})
	}
	cw.Flush()
	return cw.Error()
}

// WriteMatrix writes team_pcn_matrix.csv: patients(T,p), one row per team and one column per PCN
// with patients in some team, then no_pcn.
func WriteMatrix(w io.Writer, d *overlap.Dataset, a *Alignment) error {
	cw := csvsafe.NewWriter(w)
	head := []string{"team"}
	for _, p := range a.PCNs {
		head = append(head, d.PCNs[p.PCN].Code)
	}
	cw.Write(append(head, "no_pcn"))
	for i, t := range a.Teams {
		rec := []string{t.Name}
		for _, p := range a.PCNs {
			rec = append(rec, num(a.Matrix[i][p.PCN], 1))
		}
		cw.Write(append(rec, num(a.Matrix[i][len(d.PCNs)], 1)))
	}
	cw.Flush()
	return cw.Error()
}

// WritePCNs writes pcn_teams.csv: each PCN touching the teams, the share of its resident patients in
// each team and outside all of them, and the number of teams it deals with at the threshold.
func WritePCNs(w io.Writer, d *overlap.Dataset, a *Alignment) error {
	cw := csvsafe.NewWriter(w)
	head := []string{"pcn", "pcn_name", "resident", "teams", "dominant_team", "outside"}
	for _, t := range a.Teams {
		head = append(head, "in:"+t.Name)
	}
	cw.Write(head)
	for _, p := range a.PCNs {
		dom := ""
		if p.DominantTeam >= 0 {
			dom = a.Teams[p.DominantTeam].Name
		}
		rec := []string{d.PCNs[p.PCN].Code, d.PCNs[p.PCN].Name, strconv.FormatInt(p.Resident, 10), strconv.Itoa(p.Teams), dom, num(p.Outside, 4)}
		for _, v := range p.InTeam {
			rec = append(rec, num(v, 4))
		}
		cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}

// Summary writes the score line and the coverage, as the CLI prints them.
func Summary(w io.Writer, name string, a *Alignment) error {
	_, err := fmt.Fprintf(w, "set %s: %d teams, %d PCNs, threshold %s\nalignment score: %.4f (share of PCN patients in teams living in their PCN's dominant team)\ncoverage of the set's PCNs: %.4f (of the patients of the %d PCNs holding ≥ %s of some team, the share living in a team)\n",
		name, len(a.Teams), len(a.PCNs), overlap.FormatThreshold(a.Threshold), a.Score, a.Coverage, a.CoveragePCNs, overlap.FormatThreshold(a.Threshold))
	return err
}

func num(v float64, prec int) string {
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}
