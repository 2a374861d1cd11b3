package statestore

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The checks below are schema/deployment-state.schema.json written as Go:
// every load runs them, and `state validate` reports what they find. The
// JSON Schema stays the published contract (editors validate the file
// against it); TestCheckAgreesWithSchema and FuzzCheckAgreesWithSchema
// hold the two to the same verdicts with a JSON Schema validator as the
// oracle. The validator is not used here because it compiles every
// draft's metaschema when its package initialises, 2.6–3.4 ms on every
// k0flow process, more than a whole hello-world Go process takes.
//
// Messages use the wording of that validator (santhosh-tekuri/jsonschema),
// which `state validate` printed before.

// checker gathers violations at instance locations, as a validator does.
type checker struct{ out []located }

type located struct {
	loc []string
	msg string
}

func (c *checker) fail(loc []string, format string, args ...any) {
	c.out = append(c.out, located{loc: append([]string(nil), loc...), msg: fmt.Sprintf(format, args...)})
}

func at(loc []string, seg string) []string {
	return append(loc[:len(loc):len(loc)], seg)
}

// checkStateDoc checks a decoded state document against the schema.
func checkStateDoc(top map[string]any) []located {
	c := &checker{}
	c.state(nil, top)
	return c.out
}

// checkRunDoc checks a decoded run record against the schema's run.
func checkRunDoc(doc any) []located {
	c := &checker{}
	c.run(nil, doc)
	return c.out
}

// field is one property of an object: its check, nil for any value.
type field = func(c *checker, loc []string, v any)

// object checks a value is an object with the required properties, checks
// each known property, and refuses others when closed. It returns the
// object, or nil when the value is not one.
func (c *checker) object(loc []string, v any, required []string, fields map[string]field, closed bool) map[string]any {
	m, ok := v.(map[string]any)
	if !ok {
		c.fail(loc, "got %s, want object", jsonTypeOf(v))
		return nil
	}
	var missing []string
	for _, r := range required {
		if _, ok := m[r]; !ok {
			missing = append(missing, r)
		}
	}
	switch len(missing) {
	case 0:
	case 1:
		c.fail(loc, "missing property %s", quoted(missing[0]))
	default:
		c.fail(loc, "missing properties %s", joinQuoted(missing))
	}
	var extra []string
	for _, k := range sortedKeys(m) {
		f, known := fields[k]
		switch {
		case known && f != nil:
			f(c, at(loc, k), m[k])
		case !known && closed:
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		c.fail(loc, "additional properties %s not allowed", joinQuoted(extra))
	}
	return m
}

// each checks every value of an object with f.
func (c *checker) each(loc []string, v any, f field) {
	if m := c.object(loc, v, nil, nil, false); m != nil {
		for _, k := range sortedKeys(m) {
			f(c, at(loc, k), m[k])
		}
	}
}

// list checks a value is an array and each item with f.
func (c *checker) list(loc []string, v any, minItems int, f field) {
	a, ok := v.([]any)
	if !ok {
		c.fail(loc, "got %s, want array", jsonTypeOf(v))
		return
	}
	if len(a) < minItems {
		c.fail(loc, "minItems: got %d, want %d", len(a), minItems)
	}
	for i, e := range a {
		f(c, at(loc, strconv.Itoa(i)), e)
	}
}

// nullOr is the schema's oneOf of null and a definition: a value that is
// neither is reported against both, as a validator reports a oneOf.
func nullOr(want string, f field) field {
	return func(c *checker, loc []string, v any) {
		switch v.(type) {
		case nil:
		case map[string]any:
			f(c, loc, v)
		default:
			c.fail(loc, "got %s, want null", jsonTypeOf(v))
			c.fail(loc, "got %s, want %s", jsonTypeOf(v), want)
		}
	}
}

func isType(c *checker, loc []string, v any, want ...string) bool {
	got := jsonTypeOf(v)
	for _, w := range want {
		if w == got || (w == "integer" && got == "number" && isInteger(v)) {
			return true
		}
	}
	c.fail(loc, "got %s, want %s", got, strings.Join(want, " or "))
	return false
}

func aString(c *checker, loc []string, v any) { isType(c, loc, v, "string") }
func boolean(c *checker, loc []string, v any) { isType(c, loc, v, "boolean") }
func integer(c *checker, loc []string, v any) { isType(c, loc, v, "integer") }
func object(c *checker, loc []string, v any)  { isType(c, loc, v, "object") }

func objectOrNull(c *checker, loc []string, v any) { isType(c, loc, v, "object", "null") }

func stringList(c *checker, loc []string, v any) { c.list(loc, v, 0, aString) }

func stringValues(c *checker, loc []string, v any) { c.each(loc, v, aString) }

func nonEmpty(c *checker, loc []string, v any) {
	if s, ok := v.(string); ok {
		if n := len([]rune(s)); n < 1 {
			c.fail(loc, "minLength: got %d, want %d", n, 1)
		}
		return
	}
	aString(c, loc, v)
}

// atLeast is an integer (or, for a duration, a number) with a minimum.
func atLeast(kind string, min int64) field {
	return func(c *checker, loc []string, v any) {
		if !isType(c, loc, v, kind) {
			return
		}
		if i, ok := intOf(v); ok {
			if i < min {
				c.fail(loc, "minimum: got %v, want %v", float64(i), float64(min))
			}
			return
		}
		if r := ratOf(v); r != nil && r.Cmp(big.NewRat(min, 1)) < 0 {
			f, _ := r.Float64()
			c.fail(loc, "minimum: got %v, want %v", f, float64(min))
		}
	}
}

var duration = atLeast("number", 0)

// timestamp is the schema's date-time, checked as both it and the decoder
// read one: RFC 3339's grammar, and a time Go can hold. (The schema's
// validator also takes a leap second, a lowercase t or z, or an hour of
// +0, which no state field can hold; refusing them here names the field
// instead of failing in the decoder.)
func timestamp(c *checker, loc []string, v any) {
	s, ok := v.(string)
	if !ok {
		aString(c, loc, v)
		return
	}
	var t time.Time
	if !rfc3339(s) || t.UnmarshalText([]byte(s)) != nil {
		c.fail(loc, "%s is not valid date-time", quoted(s))
	}
}

// rfc3339 checks RFC 3339's date-time grammar, which Go's parser relaxes
// (it takes a one-digit hour).
func rfc3339(s string) bool {
	const shape = "dddd-dd-ddTdd:dd:dd"
	if len(s) < len(shape) {
		return false
	}
	digits := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(shape); i++ {
		if (shape[i] == 'd' && !digits(s[i:i+1])) || (shape[i] != 'd' && s[i] != shape[i]) {
			return false
		}
	}
	rest := s[len(shape):]
	if frac, ok := strings.CutPrefix(rest, "."); ok {
		n := 0
		for n < len(frac) && digits(frac[n:n+1]) {
			n++
		}
		if n == 0 {
			return false
		}
		rest = frac[n:]
	}
	if rest == "Z" {
		return true
	}
	return len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && digits(rest[1:3]) && rest[3] == ':' && digits(rest[4:6])
}

func oneOf(values ...string) field {
	return func(c *checker, loc []string, v any) {
		if s, ok := v.(string); ok {
			for _, w := range values {
				if s == w {
					return
				}
			}
		}
		if len(values) == 1 {
			c.fail(loc, "value must be %s", quoted(values[0]))
			return
		}
		c.fail(loc, "value must be one of %s", joinQuoted(values))
	}
}

var runIDPattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z-[0-9a-z]+$`)
})

func runID(c *checker, loc []string, v any) {
	s, ok := v.(string)
	if !ok {
		aString(c, loc, v)
		return
	}
	if p := runIDPattern(); !p.MatchString(s) {
		c.fail(loc, "%s does not match pattern %s", quoted(s), quoted(p.String()))
	}
}

func (c *checker) state(loc []string, v any) {
	c.object(loc, v,
		[]string{"schema_version", "deployment_id", "created_at", "last_updated", "deployment_flags", "runtime", "deployment_runs"},
		map[string]field{
			"schema_version":       schemaVersion,
			"deployment_id":        nonEmpty,
			"deployer":             aString,
			"created_at":           timestamp,
			"last_updated":         timestamp,
			"deployment_flags":     object,
			"current_run_id":       aString,
			"terraform":            nullOr("object", (*checker).terraform),
			"infrastructure_facts": (*checker).infraFacts,
			"runtime":              object,
			"sensitive_keys":       stringList,
			"vm_runtime_status":    func(c *checker, loc []string, v any) { c.each(loc, v, (*checker).vmStatus) },
			"deployment_runs":      func(c *checker, loc []string, v any) { c.list(loc, v, 0, (*checker).run) },
		}, true)
}

func schemaVersion(c *checker, loc []string, v any) {
	if r := ratOf(v); r == nil || r.Cmp(big.NewRat(SchemaVersion, 1)) != 0 {
		c.fail(loc, "value must be %d", SchemaVersion)
	}
}

func (c *checker) terraform(loc []string, v any) {
	c.object(loc, v, nil, map[string]field{
		"state_path": aString,
		"backend": func(c *checker, loc []string, v any) {
			c.object(loc, v, []string{"type"}, map[string]field{"type": aString, "config": objectOrNull}, true)
		},
		"version":         aString,
		"last_apply_at":   timestamp,
		"last_refresh_at": timestamp,
		"migrations": func(c *checker, loc []string, v any) {
			c.list(loc, v, 0, func(c *checker, loc []string, v any) {
				c.object(loc, v, []string{"from", "to", "migration_timestamp"},
					map[string]field{"from": aString, "to": aString, "migration_timestamp": timestamp}, true)
			})
		},
	}, true)
}

func (c *checker) infraFacts(loc []string, v any) {
	c.object(loc, v, nil, map[string]field{
		"cache_timestamp":          timestamp,
		"old_cache_timestamp":      timestamp,
		"terraform_state_checksum": aString,
		"source":                   aString,
		"outputs":                  objectOrNull,
		"sensitive_outputs":        stringList,
	}, true)
}

// vmStatus is open, but never holds what Terraform owns.
func (c *checker) vmStatus(loc []string, v any) {
	m := c.object(loc, v, nil, map[string]field{
		"ssh_verified":           boolean,
		"verification_timestamp": timestamp,
		"cloud_init_complete":    boolean,
		"completion_timestamp":   timestamp,
	}, false)
	for _, k := range []string{"public_ip", "private_ip", "size"} {
		if _, ok := m[k]; ok {
			c.fail(loc, "%s is not runtime status: addresses and sizes are Terraform's outputs (k0flow infra show)", quoted(k))
			return
		}
	}
}

func (c *checker) run(loc []string, v any) {
	c.object(loc, v, []string{"run_id", "kind", "started_at", "outcome", "phases"}, runFields(), true)
}

func (c *checker) phase(loc []string, v any) {
	c.object(loc, v, []string{"status"}, phaseFields(), true)
}

// runFields and phaseFields are built once, not at every run and phase
// of every load (a map of closures each).
var runFields = sync.OnceValue(func() map[string]field {
	return map[string]field{
		"run_id":           runID,
		"kind":             oneOf(KindApply, KindDestroy, KindMigrated, KindManual),
		"started_at":       timestamp,
		"ended_at":         timestamp,
		"duration_seconds": duration,
		"outcome":          oneOf(OutcomeRunning, OutcomeSuccess, OutcomeFailed, OutcomeInterrupted),
		"resumed_from":     aString,
		"owner": func(c *checker, loc []string, v any) {
			c.object(loc, v, []string{"pid", "host"}, map[string]field{"pid": integer, "host": aString, "driver": oneOf("bash")}, true)
		},
		"config_snapshot": func(c *checker, loc []string, v any) {
			c.object(loc, v, nil, map[string]field{
				"variables":         objectOrNull,
				"flags":             objectOrNull,
				"applicable":        stringValues,
				"selection":         aString,
				"sensitive_digests": stringValues,
				"workflow_file":     aString,
				"workflow_checksum": aString,
				"k0flow_version":    aString,
			}, true)
		},
		"terraform": (*checker).terraform,
		"phases": func(c *checker, loc []string, v any) {
			if v != nil && isType(c, loc, v, "object", "null") {
				c.each(loc, v, (*checker).phase)
			}
		},
		"error": nullOr("object", func(c *checker, loc []string, v any) {
			c.object(loc, v, []string{"message"}, map[string]field{"phase": aString, "message": aString, "log_tail": aString}, true)
		}),
	}
})

var phaseFields = sync.OnceValue(func() map[string]field {
	attempt := map[string]field{
		"attempt":          atLeast("integer", 1),
		"started_at":       timestamp,
		"duration_seconds": duration,
		"exit_code":        integer,
		"log":              aString,
	}
	return map[string]field{
		"status":                oneOf(StatusPending, StatusRunning, StatusCompleted, StatusReused, StatusFailed, StatusInterrupted, StatusSkipped),
		"reason":                aString,
		"reused_from":           aString,
		"started_at":            timestamp,
		"ended_at":              timestamp,
		"duration_seconds":      duration,
		"exit_code":             integer,
		"log":                   aString,
		"definition_checksum":   aString,
		"message":               aString,
		"infra_cache_timestamp": timestamp,
		"destroy_command":       func(c *checker, loc []string, v any) { c.list(loc, v, 1, aString) },
		"destroy_dir":           aString,
		"definition_parts":      stringValues,
		"pgid":                  atLeast("integer", 1),
		"attempts": func(c *checker, loc []string, v any) {
			c.list(loc, v, 0, func(c *checker, loc []string, v any) {
				c.object(loc, v, []string{"attempt", "exit_code", "log"}, attempt, true)
			})
		},
	}
})

// jsonTypeOf names a decoded value's JSON type as a validator does.
func jsonTypeOf(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return "invalid"
		}
		return "number"
	case json.Number:
		if _, ok := intOf(t); !ok && ratOf(t) == nil {
			return string(t) // NaN or an infinity, from YAML's .nan or .inf
		}
		return "number"
	case int, int64, uint64:
		return "number"
	}
	return "invalid"
}

// ratOf is a number's exact value, nil for anything else.
func ratOf(v any) *big.Rat {
	switch t := v.(type) {
	case json.Number:
		r, ok := new(big.Rat).SetString(string(t))
		if !ok {
			return nil
		}
		return r
	case int:
		return big.NewRat(int64(t), 1)
	case int64:
		return big.NewRat(t, 1)
	case uint64:
		return new(big.Rat).SetInt(new(big.Int).SetUint64(t))
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return nil
		}
		return new(big.Rat).SetFloat64(t)
	}
	return nil
}

// intOf is a number that is an int64 as written, without the big.Rat
// ratOf parses (most numbers in a state are exit codes and pids).
func intOf(v any) (int64, bool) {
	switch t := v.(type) {
	case json.Number:
		i, err := strconv.ParseInt(string(t), 10, 64)
		return i, err == nil
	case int:
		return int64(t), true
	case int64:
		return t, true
	}
	return 0, false
}

func isInteger(v any) bool {
	if _, ok := intOf(v); ok {
		return true
	}
	r := ratOf(v)
	return r != nil && r.IsInt()
}

// quoted quotes as the validator's messages do: Go syntax in single
// quotes.
func quoted(s string) string {
	s = strconv.Quote(s)
	s = strings.ReplaceAll(s, `\"`, `"`)
	s = strings.ReplaceAll(s, `'`, `\'`)
	return "'" + s[1:len(s)-1] + "'"
}

func joinQuoted(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = quoted(s)
	}
	return strings.Join(q, ", ")
}
