package server

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

// openAPI documents every route; the tests check the answers against it.
//
//go:embed openapi.json
var openAPI []byte

// openAPIPayload is the document as served, checked to be JSON at start-up.
func openAPIPayload() (payload, error) {
	if !json.Valid(openAPI) {
		return payload{}, fmt.Errorf("server: the embedded openapi.json is not valid JSON")
	}
	return newPayload(openAPI, mimeJSON).compressed()
}
