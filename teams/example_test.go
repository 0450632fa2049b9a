package teams_test

import (
	"fmt"
	"strings"

	"pcnmap/teams"
)

// ParseCSV reads a trust's team → MSOA list; FromTable then checks the codes against a release.
func ExampleParseCSV() {
	tab, err := teams.ParseCSV(strings.NewReader("Team Name,MSOA11CD,notes\nNorth,E02001259,\nNorth,E02001260,\nSouth,E02001261,new in 2023\n"), "patches.csv")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tab.Kind, len(tab.Rows), tab.Rows[2].Team, tab.Rows[2].Code)
	_, err = teams.ParseCSV(strings.NewReader("team,ward\nNorth,E05000819\n"), "wards.csv")
	fmt.Println(err)
	// Output:
	// msoa 3 South E02001261
	// teams: invalid input: wards.csv: line 1: no code column (want one of lsoa, LSOA11CD, msoa, MSOA11CD, practice, practice_code); header is "team,ward"
}
