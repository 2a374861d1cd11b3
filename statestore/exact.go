package statestore

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// exactString is a string yaml.v3 must write double-quoted: it holds a
// line break, tab or carriage return, which a literal block would lose or
// could not hold. Double-quoted, every character is escaped as needed and
// reads back byte for byte.
type exactString string

func (s exactString) MarshalYAML() (any, error) {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: string(s), Style: yaml.DoubleQuotedStyle}, nil
}

// exactValues copies a map of stored values, wrapping the strings that
// need it (exactString); the rest is left to yaml.v3 as it is.
func exactValues(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = exactValue(v)
	}
	return out
}

func exactValue(v any) any {
	switch t := v.(type) {
	case string:
		if strings.ContainsAny(t, "\n\t\r") {
			return exactString(t)
		}
	case map[string]any:
		return exactValues(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = exactValue(e)
		}
		return out
	}
	return v
}
