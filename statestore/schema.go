package statestore

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// SchemaJSON is the JSON Schema (draft 2020-12) of deployment-state.yaml,
// published for editors and tools; check.go is its checks, run on every
// load and by `k0flow state validate`.
//
//go:embed schema/deployment-state.schema.json
var SchemaJSON []byte

// SchemaURL is the schema's $id, named in the file's first line so that
// editors validate it.
const SchemaURL = "https://raw.githubusercontent.com/k0flow/k0flow/main/statestore/schema/deployment-state.schema.json"

// Violation is one way a state breaks the schema.
type Violation struct {
	Path    string `json:"path"` // YAML path: deployment_runs[0].phases.a.status
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

func (v Violation) String() string {
	at := v.Path
	if at == "" {
		at = "(top level)"
	}
	if v.Line > 0 {
		return fmt.Sprintf("line %d: %s: %s", v.Line, at, v.Message)
	}
	return at + ": " + v.Message
}

// SchemaError lists the violations of a state file.
type SchemaError struct{ Violations []Violation }

func (e *SchemaError) Error() string {
	parts := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		parts[i] = v.String()
	}
	return "schema violation: " + strings.Join(parts, "; ")
}

// checkSchema validates a document parsed by yaml.v3 against the schema.
func checkSchema(root *yaml.Node, data []byte) error {
	var doc any
	if err := root.Decode(&doc); err != nil {
		return err
	}
	top, ok := jsonCompatible(doc).(map[string]any)
	if !ok {
		return errors.New("the top level must be a mapping")
	}
	return validateDoc(top, data, root)
}

// validateDoc checks a decoded document against the schema. A state of
// the previous schema is checked as the one it migrates to. root is the
// parsed file when the caller has it; otherwise the file is parsed, by
// yaml.v3, only when the checks fail, to name the lines.
func validateDoc(top map[string]any, data []byte, root *yaml.Node) error {
	if versionOf(top["schema_version"]) == previousVersion {
		top["schema_version"] = json.Number(strconv.Itoa(SchemaVersion))
	}
	if found := checkStateDoc(top); len(found) > 0 {
		return violations(found, root, data)
	}
	return nil
}

// violations names each finding's YAML path and line, in root, or when
// root is nil in data parsed now.
func violations(found []located, root *yaml.Node, data []byte) *SchemaError {
	if root == nil {
		root = &yaml.Node{}
		_ = yaml.Unmarshal(data, root) // only to name the lines
	}
	out := make([]Violation, len(found))
	for i, f := range found {
		out[i] = Violation{Path: yamlPath(f.loc), Line: lineOf(root, f.loc), Message: f.msg}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return &SchemaError{Violations: out}
}

func yamlPath(loc []string) string {
	var b strings.Builder
	for _, seg := range loc {
		if _, err := strconv.Atoi(seg); err == nil {
			b.WriteString("[" + seg + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(seg)
	}
	return b.String()
}

// lineOf finds the line of the value at loc, or of its nearest parent.
func lineOf(n *yaml.Node, loc []string) int {
	if n == nil {
		return 0
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, seg := range loc {
		next := childNode(n, seg)
		if next == nil {
			break
		}
		n, line = next, next.Line
	}
	return line
}

func childNode(n *yaml.Node, seg string) *yaml.Node {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == seg {
				return n.Content[i+1]
			}
		}
	case yaml.SequenceNode:
		if i, err := strconv.Atoi(seg); err == nil && i >= 0 && i < len(n.Content) {
			return n.Content[i]
		}
	}
	return nil
}

// jsonCompatible turns YAML's decoded values into what a JSON validator
// expects: string keys, numbers, timestamps as text.
func jsonCompatible(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = jsonCompatible(e)
		}
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[fmt.Sprint(k)] = jsonCompatible(e)
		}
		return m
	case []any:
		for i, e := range t {
			t[i] = jsonCompatible(e)
		}
	case float64:
		return json.Number(strconv.FormatFloat(t, 'g', -1, 64))
	case time.Time:
		// An unquoted timestamp: validate it as the text it was.
		return t.Format(time.RFC3339Nano)
	}
	return v
}
