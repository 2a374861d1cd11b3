package statestore

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// MaxValueDepth is how deeply a value given as JSON may nest: deeper ones
// are refused rather than stored in a state that YAML could not load.
const MaxValueDepth = 64

// ParseValue types a value given on the command line (state set): with
// asString the text as it is; with asJSON the JSON value (numbers as ints
// or floats, nesting at most MaxValueDepth); otherwise true and false are
// booleans, {} an empty map, a whole number that prints back the same an
// integer, anything else the text.
func ParseValue(raw string, asJSON, asString bool) (any, error) {
	switch {
	case asString:
		return raw, nil
	case asJSON:
		if depth := jsonDepth(raw); depth > MaxValueDepth {
			return nil, fmt.Errorf("--json: VALUE nests %d levels deep; at most %d are kept", depth, MaxValueDepth)
		}
		var v any
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("--json: VALUE is not valid JSON: %v", err)
		}
		return FromJSON(v), nil
	case raw == "true" || raw == "false":
		return raw == "true", nil
	case raw == "{}":
		return map[string]any{}, nil // as the v1 update_state did
	}
	if i, err := strconv.ParseInt(raw, 10, 64); err == nil && strconv.FormatInt(i, 10) == raw {
		return int(i), nil
	}
	return raw, nil
}

// jsonDepth is the deepest nesting of brackets outside strings.
func jsonDepth(s string) int {
	depth, max, inString, escaped := 0, 0, false, false
	for _, c := range s {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '[' || c == '{':
			depth++
			if depth > max {
				max = depth
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return max
}

// FromJSON turns json.Number into ints or floats so YAML writes them plainly.
func FromJSON(v any) any {
	switch t := v.(type) {
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return int(i)
		}
		f, _ := t.Float64()
		return f
	case map[string]any:
		for k, e := range t {
			t[k] = FromJSON(e)
		}
	case []any:
		for i, e := range t {
			t[i] = FromJSON(e)
		}
	}
	return v
}
