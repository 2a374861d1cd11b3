package statestore

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// A small YAML emitter for runs, the bulk of a long history. yaml.v3's
// emitter spends ~5µs per scalar, which made every save of a deployment
// with a hundred runs cost tens of milliseconds. The output reads back
// through yaml.v3 to the same values (emit_test.go proves it for awkward
// strings and values, and FuzzQuote for any string).

type emitter struct{ b *bytes.Buffer }

func (e emitter) line(indent int, key string) {
	e.b.WriteString(strings.Repeat(" ", indent))
	e.b.WriteString(key)
	e.b.WriteByte(':')
}

func (e emitter) str(indent int, key, v string) {
	e.line(indent, key)
	e.b.WriteByte(' ')
	e.b.WriteString(quote(v, indent+2))
	e.b.WriteByte('\n')
}

func (e emitter) optStr(indent int, key, v string) {
	if v != "" {
		e.str(indent, key, v)
	}
}

func (e emitter) raw(indent int, key, v string) {
	e.line(indent, key)
	e.b.WriteByte(' ')
	e.b.WriteString(v)
	e.b.WriteByte('\n')
}

func (e emitter) time(indent int, key string, t *time.Time) {
	if t != nil {
		e.raw(indent, key, t.Format(time.RFC3339Nano))
	}
}

func (e emitter) float(indent int, key string, f *float64) {
	if f != nil {
		e.raw(indent, key, strconv.FormatFloat(*f, 'f', -1, 64))
	}
}

// value writes any decoded YAML value under key.
func (e emitter) value(indent int, key string, v any) {
	e.line(indent, key)
	e.node(indent, v)
}

// node writes a value after its key or dash: scalars on the same line,
// collections on the lines below, indented by two more.
func (e emitter) node(indent int, v any) {
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 0 {
			e.b.WriteString(" {}\n")
			return
		}
		e.b.WriteByte('\n')
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			e.value(indent+2, quoteKey(k), t[k])
		}
	case []any:
		if len(t) == 0 {
			e.b.WriteString(" []\n")
			return
		}
		e.b.WriteByte('\n')
		for _, item := range t {
			e.b.WriteString(strings.Repeat(" ", indent+2))
			e.b.WriteByte('-')
			e.node(indent+2, item)
		}
	default:
		e.b.WriteByte(' ')
		e.b.WriteString(scalar(t, indent+2))
		e.b.WriteByte('\n')
	}
}

func scalar(v any, indent int) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		return quote(t, indent)
	case bool:
		return strconv.FormatBool(t)
	case int:
		return strconv.Itoa(t)
	case int64:
		return strconv.FormatInt(t, 10)
	case uint64:
		return strconv.FormatUint(t, 10)
	case float64:
		return yamlFloat(t)
	case time.Time:
		return t.Format(time.RFC3339Nano)
	}
	return quote(fmt.Sprint(v), indent)
}

func (e emitter) mapping(indent int, key string, m map[string]any) { e.value(indent, key, m) }

func yamlFloat(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eIN") {
		s += ".0" // stays a float when read back
	}
	return s
}

// plainSafe says what may stand unquoted in block context: it starts with
// a letter, _ or /, continues with word characters, and a colon or a space
// only ever between two of them, so there is no ": ", " #", trailing blank
// or trailing colon (run ids, which start with a digit, are quoted). It is
// the regexp plainPattern of emit_test.go, hand-run for speed.
func plainSafe(s string) bool {
	if s == "" || !(isAlpha(s[0]) || s[0] == '_' || s[0] == '/') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if plainChar(c) {
			continue
		}
		if (c != ':' && c != ' ') || i+1 == len(s) || !plainChar(s[i+1]) {
			return false
		}
		i++
	}
	return true
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func plainChar(c byte) bool {
	return isAlpha(c) || c >= '0' && c <= '9' || strings.IndexByte("_./@+()=%,-", c) >= 0
}

var (
	reserved = map[string]bool{"true": true, "false": true, "yes": true, "no": true, "on": true, "off": true,
		"y": true, "n": true, "null": true, "nan": true, "inf": true}
)

// quote writes a string as a plain scalar when that cannot be misread, as
// a literal block when it spans lines, and double-quoted otherwise.
func quote(s string, indent int) string {
	if plainSafe(s) && !reserved[strings.ToLower(s)] {
		return s
	}
	if !utf8.ValidString(s) {
		// YAML text is UTF-8; other bytes (a log tail can hold any) travel
		// as !!binary, which reads back into a string, as yaml.v3 does.
		return "!!binary " + base64.StdEncoding.EncodeToString([]byte(s))
	}
	if literalSafe(s) {
		return literal(s, indent)
	}
	return strconv.Quote(s) // Go's escapes are all valid in YAML double quotes
}

// quoteKey is quote for mapping keys, which cannot be block scalars.
func quoteKey(s string) string {
	if plainSafe(s) && !reserved[strings.ToLower(s)] || !utf8.ValidString(s) {
		return quote(s, 0)
	}
	return strconv.Quote(s)
}

func literalSafe(s string) bool {
	// yaml.v3 refuses a tab at the start of a block line ("found a tab
	// character where an indentation space is expected"), so a string
	// with a tab is double-quoted, where \t is an escape.
	if !strings.Contains(s, "\n") || strings.HasPrefix(s, " ") || strings.HasPrefix(s, "\n") || strings.Contains(s, "\t") {
		return false
	}
	for _, r := range s {
		if r != '\n' && r != '\t' && !unicode.IsPrint(r) {
			return false
		}
	}
	for _, l := range strings.Split(s, "\n") {
		if strings.HasSuffix(l, " ") || strings.HasSuffix(l, "\t") {
			return false // trailing blanks are kept by literals but easily lost by editors
		}
	}
	return true
}

func literal(s string, indent int) string {
	chomp := "|-"
	body := s
	switch {
	case strings.HasSuffix(s, "\n\n"):
		return strconv.Quote(s)
	case strings.HasSuffix(s, "\n"):
		chomp, body = "|", strings.TrimSuffix(s, "\n")
	}
	pad := strings.Repeat(" ", indent)
	var b strings.Builder
	b.WriteString(chomp)
	for _, l := range strings.Split(body, "\n") {
		b.WriteByte('\n')
		if l != "" {
			b.WriteString(pad)
			b.WriteString(l)
		}
	}
	return b.String()
}

// writeRun writes one run as an item of deployment_runs.
func writeRun(b *bytes.Buffer, r *Run) {
	e := emitter{b}
	b.WriteString("  - ")
	e.str(0, "run_id", r.RunID)
	e.str(4, "kind", r.Kind)
	e.time(4, "started_at", &r.StartedAt)
	e.time(4, "ended_at", r.EndedAt)
	e.float(4, "duration_seconds", r.DurationSeconds)
	e.str(4, "outcome", r.Outcome)
	e.optStr(4, "resumed_from", r.ResumedFrom)
	if o := r.Owner; o != nil {
		e.line(4, "owner")
		b.WriteByte('\n')
		e.raw(6, "pid", strconv.Itoa(o.PID))
		e.str(6, "host", o.Host)
		e.optStr(6, "driver", o.Driver)
	}
	if c := r.ConfigSnapshot; c != nil {
		writeSnapshot(e, c)
	}
	if t := r.Terraform; t != nil {
		writeTerraform(e, t)
	}
	writePhases(e, r.Phases)
	if r.Error == nil {
		e.raw(4, "error", "null")
		return
	}
	e.line(4, "error")
	b.WriteByte('\n')
	e.optStr(6, "phase", r.Error.Phase)
	e.str(6, "message", r.Error.Message)
	e.optStr(6, "log_tail", r.Error.LogTail)
}

func writeSnapshot(e emitter, c *ConfigSnapshot) {
	e.line(4, "config_snapshot")
	e.b.WriteByte('\n')
	e.value(6, "variables", mapOrNil(c.Variables))
	e.value(6, "flags", mapOrNil(c.Flags))
	if len(c.Applicable) > 0 {
		m := make(map[string]any, len(c.Applicable))
		for k, v := range c.Applicable {
			m[k] = v
		}
		e.mapping(6, "applicable", m)
	}
	if len(c.SensitiveDigests) > 0 {
		m := make(map[string]any, len(c.SensitiveDigests))
		for k, v := range c.SensitiveDigests {
			m[k] = v
		}
		e.mapping(6, "sensitive_digests", m)
	}
	e.optStr(6, "selection", c.Selection)
	e.optStr(6, "workflow_file", c.WorkflowFile)
	e.optStr(6, "workflow_checksum", c.WorkflowChecksum)
	e.optStr(6, "k0flow_version", c.K0flowVersion)
}

func mapOrNil(m map[string]any) any {
	if m == nil {
		return nil
	}
	return m
}

func writePhases(e emitter, l PhaseList) {
	if len(l) == 0 {
		e.raw(4, "phases", "{}")
		return
	}
	e.line(4, "phases")
	e.b.WriteByte('\n')
	for _, p := range l {
		e.line(6, quoteKey(p.Name))
		e.b.WriteByte('\n')
		e.str(8, "status", p.Status)
		e.optStr(8, "reason", p.Reason)
		e.optStr(8, "reused_from", p.ReusedFrom)
		e.time(8, "started_at", p.StartedAt)
		e.time(8, "ended_at", p.EndedAt)
		e.float(8, "duration_seconds", p.DurationSeconds)
		if p.ExitCode != nil {
			e.raw(8, "exit_code", strconv.Itoa(*p.ExitCode))
		}
		e.optStr(8, "log", p.Log)
		e.optStr(8, "definition_checksum", p.DefinitionChecksum)
		e.optStr(8, "message", p.Message)
		e.time(8, "infra_cache_timestamp", p.InfraCacheTimestamp)
		if len(p.DestroyCommand) > 0 {
			argv := make([]any, len(p.DestroyCommand))
			for i, a := range p.DestroyCommand {
				argv[i] = a
			}
			e.value(8, "destroy_command", argv)
		}
		e.optStr(8, "destroy_dir", p.DestroyDir)
		if p.PGID != 0 {
			e.raw(8, "pgid", strconv.Itoa(p.PGID))
		}
		if len(p.Attempts) > 0 {
			e.line(8, "attempts")
			e.b.WriteByte('\n')
			for _, a := range p.Attempts {
				e.b.WriteString("          - ")
				e.raw(0, "attempt", strconv.Itoa(a.Attempt))
				e.time(12, "started_at", a.StartedAt)
				e.float(12, "duration_seconds", a.DurationSeconds)
				e.raw(12, "exit_code", strconv.Itoa(a.ExitCode))
				e.str(12, "log", a.Log)
			}
		}
		if len(p.DefinitionParts) > 0 {
			parts := make(map[string]any, len(p.DefinitionParts))
			for k, v := range p.DefinitionParts {
				parts[k] = v
			}
			e.value(8, "definition_parts", parts)
		}
	}
}

func writeTerraform(e emitter, t *TerraformRef) {
	e.line(4, "terraform")
	e.b.WriteByte('\n')
	e.str(6, "state_path", t.StatePath)
	e.line(6, "backend")
	e.b.WriteByte('\n')
	e.str(8, "type", t.Backend.Type)
	e.value(8, "config", mapOrNil(t.Backend.Config))
	e.optStr(6, "version", t.Version)
	e.time(6, "last_apply_at", t.LastApplyAt)
	e.time(6, "last_refresh_at", t.LastRefreshAt)
	if len(t.Migrations) == 0 {
		return
	}
	e.line(6, "migrations")
	e.b.WriteByte('\n')
	for _, m := range t.Migrations {
		e.b.WriteString("        - ")
		e.str(0, "from", m.From)
		e.str(10, "to", m.To)
		e.time(10, "migration_timestamp", &m.MigrationTimestamp)
	}
}
