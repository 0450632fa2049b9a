package teams

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// MaxName is the longest team name accepted, in bytes.
const MaxName = 200

// CheckName refuses a team name that could not be shown safely: control characters (which would
// reach a terminal or a log as commands), the bidirectional overrides that make text read other than
// it is stored, and names over MaxName bytes. The error quotes the name with its characters escaped.
func CheckName(n string) error {
	if len(n) > MaxName {
		return fmt.Errorf("team name %s is over %d bytes", strconv.QuoteToASCII(n[:MaxName/2]+"…"), MaxName)
	}
	if strings.ContainsFunc(n, func(r rune) bool {
		return unicode.IsControl(r) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
	}) {
		return fmt.Errorf("team name %s holds a control character", strconv.QuoteToASCII(n))
	}
	return nil
}
