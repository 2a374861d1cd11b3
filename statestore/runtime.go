package statestore

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Runtime values are addressed by dotted keys: "wireguard.connected" is
// runtime.wireguard.connected; a number indexes a list (controller_ips.0). Intermediate maps are created on set and
// pruned on unset, so unused keys do not accumulate.

// SplitKey splits a dotted key, rejecting empty segments.
func SplitKey(key string) ([]string, error) {
	if !utf8.ValidString(key) || strings.IndexFunc(key, unicode.IsControl) >= 0 {
		return nil, fmt.Errorf("key %q: keys are text without control characters (keys look like wireguard.connected)", key)
	}
	parts := strings.Split(key, ".")
	for _, p := range parts {
		if p == "" {
			return nil, fmt.Errorf("key %q: empty segment (keys look like wireguard.connected)", key)
		}
		if p == "<<" {
			return nil, fmt.Errorf("key %q: << is YAML's merge key and cannot name a value", key)
		}
		if n, long := tooLong(p); long {
			return nil, fmt.Errorf("key %.40q...: a segment of %d bytes as written is longer than YAML readers take (%d)", key, n, MaxKeyLen)
		}
	}
	return parts, nil
}

// GetPath looks up a dotted key in m.
func GetPath(m map[string]any, key string) (any, bool) {
	parts, err := SplitKey(key)
	if err != nil {
		return nil, false
	}
	var cur any = m
	for _, p := range parts {
		var ok bool
		if cur, ok = child(cur, p); !ok {
			return nil, false
		}
	}
	return cur, true
}

// child steps into a map by key or a list by index (controller_ips.0).
func child(v any, seg string) (any, bool) {
	if list, ok := v.([]any); ok {
		i, err := strconv.Atoi(seg)
		if err != nil || i < 0 || i >= len(list) {
			return nil, false
		}
		return list[i], true
	}
	m, ok := asMap(v)
	if !ok {
		return nil, false
	}
	c, ok := m[seg]
	return c, ok
}

// SetPath stores v at a dotted key in m, creating maps on the way.
func SetPath(m map[string]any, key string, v any) error {
	parts, err := SplitKey(key)
	if err != nil {
		return err
	}
	cur := m
	for i, p := range parts[:len(parts)-1] {
		next, ok := cur[p]
		if !ok || next == nil {
			nm := map[string]any{}
			cur[p] = nm
			cur = nm
			continue
		}
		nm, ok := asMap(next)
		if !ok {
			return fmt.Errorf("key %q: %s holds a %T, not a map", key, strings.Join(parts[:i+1], "."), next)
		}
		cur[p] = nm
		cur = nm
	}
	cur[parts[len(parts)-1]] = v
	return nil
}

// UnsetPath removes a dotted key and reports whether it was there. Maps left
// empty by the removal are removed too.
func UnsetPath(m map[string]any, key string) bool {
	parts, err := SplitKey(key)
	if err != nil {
		return false
	}
	return unset(m, parts)
}

func unset(m map[string]any, parts []string) bool {
	v, ok := m[parts[0]]
	if !ok {
		return false
	}
	if len(parts) == 1 {
		delete(m, parts[0])
		return true
	}
	child, ok := asMap(v)
	if !ok || !unset(child, parts[1:]) {
		return false
	}
	if len(child) == 0 {
		delete(m, parts[0])
	}
	return true
}

func asMap(v any) (map[string]any, bool) {
	switch t := v.(type) {
	case map[string]any:
		return t, true
	case map[any]any:
		out := make(map[string]any, len(t))
		for k, val := range t {
			out[fmt.Sprint(k)] = val
		}
		return out, true
	}
	return nil, false
}
