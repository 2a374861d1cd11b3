package statestore

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestSchemaIsDocumented fails when docs/state-schema.md does not name a
// property of the JSON Schema, so the two cannot drift apart.
func TestSchemaIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/state-schema.md")
	if err != nil {
		t.Fatal(err)
	}
	var schema any
	if err := json.Unmarshal(SchemaJSON, &schema); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	collectProperties(schema, names)
	if len(names) < 30 {
		t.Fatalf("found only %d properties: the walk is broken", len(names))
	}
	for name := range names {
		if !strings.Contains(string(doc), "`"+name+"`") {
			t.Errorf("docs/state-schema.md does not document the property %q", name)
		}
	}
}

func collectProperties(node any, names map[string]bool) {
	switch n := node.(type) {
	case map[string]any:
		if props, ok := n["properties"].(map[string]any); ok {
			for name := range props {
				names[name] = true
			}
		}
		for _, v := range n {
			collectProperties(v, names)
		}
	case []any:
		for _, v := range n {
			collectProperties(v, names)
		}
	}
}
