package statestore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// The state's files are YAML written as encoding/json writes JSON: JSON is
// YAML's flow style, so operators and yq read them as before, while k0flow
// encodes and decodes them as JSON (about 10× yaml.v3 either way, more
// through encoding/json's v2, go-json-experiment/json, held to the same
// bytes and values) and escapes every string, so a value with tabs, leading
// line breaks, "<<" or "&a" comes back byte for byte. A file edited by hand
// into block style still loads, through yaml.v3; the next save writes it
// back as JSON.

// marshalFile renders v as the body of a state file: indented JSON,
// without the HTML escaping that would make "<" unreadable in yq.
//
// The bytes are encoding/json's, written by go-json-experiment/json (the
// Go team's encoding/json/v2, stable from Go 1.27) with its v1 options:
// encoding/json compacts every MarshalJSON result and then indents the
// whole document again, two passes that made up half of a save's cost;
// v2 indents as it writes and streams the ordered phase records
// (phaseMap.MarshalJSONTo). TestEncodeIsEncodingJSONs and
// FuzzEncodeAgreesWithEncodingJSON hold the two to the same bytes.
func marshalFile(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := jsonv2.MarshalWrite(&buf, v, fileOptions); err != nil {
		return nil, err
	}
	buf.WriteByte('\n') // as json.Encoder ends a value
	return yamlPrintable(buf.Bytes()), nil
}

// marshalValue is json.Marshal without its HTML escaping, as marshalFile
// writes: what a MarshalJSON of a part of the file returns.
func marshalValue(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// fileOptions are encoding/json's behaviour (map keys sorted, U+2028 and
// U+2029 escaped) with Encoder.SetIndent("", "  ") and SetEscapeHTML(false),
// except that a string that is not UTF-8 is refused (see textError), where
// encoding/json would write U+FFFD in place of its bytes.
var fileOptions = jsonv2.JoinOptions(jsonv1.DefaultOptionsV1(), jsontext.WithIndent("  "), jsontext.EscapeForHTML(false), jsontext.AllowInvalidUTF8(false))

// yamlPrintable escapes the characters encoding/json writes as they are
// and YAML does not take as themselves: DEL, the C1 controls, U+FEFF,
// U+FFFE and U+FFFF, which make yq and yaml.v3 refuse the whole file, and
// NEL (U+0085), a line break to YAML 1.1 that a quoted string would fold.
// They can only be inside strings, where \uXXXX is the same character.
func yamlPrintable(b []byte) []byte {
	if bytes.IndexByte(b, 0x7f) < 0 && bytes.IndexByte(b, 0xc2) < 0 && bytes.IndexByte(b, 0xef) < 0 {
		return b // the common case: none of them can be there (bytes, not runes)
	}
	var out bytes.Buffer
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if yamlAllowed(r) || r == utf8.RuneError && size == 1 {
			out.Write(b[:size])
		} else {
			fmt.Fprintf(&out, `\u%04x`, r)
		}
		b = b[size:]
	}
	return out.Bytes()
}

// yamlAllowed is YAML's printable set (c-printable), less NEL and the
// byte-order mark.
func yamlAllowed(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return true
	case r < 0x20 || r == 0x7f || r < 0xa0 && r > 0x7f:
		return false
	case r == 0xfeff || r == 0xfffe || r == 0xffff:
		return false
	}
	return true
}

// jsonBody returns the JSON after a file's leading comment lines, or nil
// when the body is not a JSON object (a file in YAML's block style).
func jsonBody(data []byte) []byte {
	rest := data
	for len(rest) > 0 {
		line, next, _ := bytes.Cut(rest, []byte("\n"))
		t := bytes.TrimSpace(line)
		if len(t) == 0 || t[0] == '#' {
			rest = next
			continue
		}
		if t[0] == '{' {
			return rest
		}
		return nil
	}
	return nil
}

// unmarshalFile decodes a JSON body strictly: numbers stay exact
// (json.Number, made ints or floats by FromJSON) and nothing may follow
// the object.
//
// go-json-experiment/json reads it, with encoding/json's semantics (see
// readOptions), in about 60% of encoding/json's time; what it refuses is
// read again by encoding/json into a fresh value, for the error as
// encoding/json words it (or, should it take what the other refused, its
// value). FuzzDecodeAgreesWithEncodingJSON holds the two to the same
// values.
func unmarshalFile(body []byte, v any) error { return unmarshalBody(body, body, v) }

// unmarshalBody is unmarshalFile of the body jsonBody found in a file's
// data: an error names the file's line, counting its comment lines.
func unmarshalBody(data, body []byte, v any) error {
	if jsonv2.Unmarshal(body, v, readOptions) == nil {
		return nil
	}
	fresh := reflect.New(reflect.TypeOf(v).Elem())
	if err := unmarshalFileV1(body, fresh.Interface()); err != nil {
		if skipped := len(data) - len(body); skipped > 0 && skipped <= len(data) {
			return shiftLines(err, bytes.Count(data[:skipped], []byte("\n")))
		}
		return err
	}
	reflect.ValueOf(v).Elem().Set(fresh.Elem())
	return nil
}

// readOptions are encoding/json's Decoder with UseNumber: numbers into an
// any are json.Number, the text as it stands.
var readOptions = jsonv2.JoinOptions(jsonv1.DefaultOptionsV1(), jsonv2.WithUnmarshalers(
	jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *any) error {
		if dec.PeekKind() != '0' {
			return errors.ErrUnsupported // the default
		}
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		*v = json.Number(tok.String())
		return nil
	})))

// lineError is an error at a line of what was decoded.
type lineError struct {
	line int
	err  error
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %v", e.line, e.err) }
func (e *lineError) Unwrap() error { return e.err }

// shiftLines moves a lineError down by n lines (the comment lines before
// the body it was found in).
func shiftLines(err error, n int) error {
	if le, ok := err.(*lineError); ok {
		return &lineError{le.line + n, le.err}
	}
	return err
}

// unmarshalFileV1 is unmarshalFile by encoding/json alone.
func unmarshalFileV1(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return jsonError(body, err)
	}
	// Decoder.More is false at a "}" or "]", so the rest is looked at.
	if rest := bytes.TrimLeft(body[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return &lineError{bytes.Count(body[:len(body)-len(rest)], []byte("\n")) + 1, errors.New("unexpected text after the state's closing brace")}
	}
	return nil
}

// jsonError names the line of a JSON syntax or type error.
func jsonError(body []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(body)) {
		return err
	}
	return &lineError{bytes.Count(body[:off], []byte("\n")) + 1, err}
}

// MaxKeyLen is the longest mapping key kept, in bytes as the file writes
// it (quoted, escaped): YAML readers (yaml.v3 among them) refuse a key
// longer than 1024 characters in a flow mapping.
const MaxKeyLen = 1000

// keyLen is a key's length as the file writes it.
func keyLen(k string) int {
	b, _ := marshalValue(k)
	return len(b)
}

// tooLong is a key's length as written when that is over MaxKeyLen. A key
// whose every byte could be written as a 6-byte escape and still fit is
// not encoded to find out: every key of every value, at every save.
func tooLong(k string) (int, bool) {
	if 6*len(k)+2 <= MaxKeyLen {
		return 0, false
	}
	n := keyLen(k)
	return n, n > MaxKeyLen
}

// checkKeys refuses a key no YAML reader would take back, anywhere in the
// values a state holds.
func (st *State) checkKeys() error {
	if err := checkKeys("runtime", st.Runtime); err != nil {
		return err
	}
	if err := checkKeys("deployment_flags", st.DeploymentFlags); err != nil {
		return err
	}
	if f := st.InfrastructureFacts; f != nil {
		if err := checkKeys("infrastructure_facts.outputs", f.Outputs); err != nil {
			return err
		}
	}
	for name, vm := range st.VMRuntimeStatus {
		if err := checkKeys("vm_runtime_status."+name, vm.Extra); err != nil {
			return err
		}
	}
	for _, r := range st.DeploymentRuns {
		if c := r.ConfigSnapshot; c != nil {
			if err := checkKeys("config_snapshot.variables", c.Variables); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkKeys(what string, v any) error {
	if path, k, n := longKey(v); n > 0 {
		return fmt.Errorf("%s%s: a key of %d bytes as written (%.20q...) is longer than YAML readers take (%d): nothing was written", what, path, n, k, MaxKeyLen)
	}
	return nil
}

// longKey finds a key in v too long as written: the path below v of the
// value holding it (only then built), the key and its length.
func longKey(v any) (path, key string, n int) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if n, long := tooLong(k); long {
				return "", k, n
			}
			if p, key, n := longKey(e); n > 0 {
				return "." + k + p, key, n
			}
		}
	case []any:
		for i, e := range t {
			if p, key, n := longKey(e); n > 0 {
				return fmt.Sprintf("[%d]", i) + p, key, n
			}
		}
	}
	return "", "", 0
}

// ValidText replaces what is not UTF-8 in captured process output (a log
// tail, an error message) so that it can be stored: the phase's log file
// keeps the bytes as they were.
func ValidText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// stateFile is State as its file holds it: the phases of a run as a
// mapping from name to record, in execution order, as the bash scripts
// read them, and a VM's extra keys beside its known ones.
type stateFile struct {
	*State
	VMRuntimeStatus map[string]vmFile `json:"vm_runtime_status,omitempty"`
	DeploymentRuns  []runFile         `json:"deployment_runs"`
}

type runFile struct {
	*Run
	Phases phaseMap  `json:"phases"`
	Error  *RunError `json:"error"` // after the phases, as the seed lists them
}

// phaseMap is a PhaseList written as an ordered JSON object.
type phaseMap PhaseList

// phaseFile is a record under its name: the name is the key, not a field.
type phaseFile struct {
	*PhaseRecord
	Name string `json:"name,omitempty"` // shadows PhaseRecord.Name, left empty
}

func (m phaseMap) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, p := range m {
		if i > 0 {
			buf.WriteByte(',')
		}
		key, err := marshalValue(p.Name)
		if err != nil {
			return nil, err
		}
		rec, err := marshalValue(phaseFile{PhaseRecord: p})
		if err != nil {
			return nil, err
		}
		buf.Write(key)
		buf.WriteByte(':')
		buf.Write(rec)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// MarshalJSONTo is MarshalJSON for marshalFile's encoder, streamed: the
// same object, without a buffer per record for the encoder to parse again.
func (m phaseMap) MarshalJSONTo(enc *jsontext.Encoder) error {
	if err := enc.WriteToken(jsontext.BeginObject); err != nil {
		return err
	}
	for _, p := range m {
		if err := enc.WriteToken(jsontext.String(p.Name)); err != nil {
			return err
		}
		if err := jsonv2.MarshalEncode(enc, phaseFile{PhaseRecord: p}); err != nil {
			return err
		}
	}
	return enc.WriteToken(jsontext.EndObject)
}

// UnmarshalJSONFrom is UnmarshalJSON for unmarshalFile's decoder.
func (m *phaseMap) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	if dec.PeekKind() == 'n' {
		_, err := dec.ReadToken()
		*m = nil
		return err
	}
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	if tok.Kind() != '{' {
		return errors.New("phases must be a mapping of phase name to record")
	}
	out := phaseMap{}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		name := tok.String()
		rec := &PhaseRecord{}
		if err := jsonv2.UnmarshalDecode(dec, &phaseFile{PhaseRecord: rec}); err != nil {
			return fmt.Errorf("phases.%s: %w", name, err)
		}
		rec.Name = name
		out = append(out, rec)
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	*m = out
	return nil
}

func (m *phaseMap) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*m = nil
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return errors.New("phases must be a mapping of phase name to record")
	}
	out := phaseMap{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name, _ := tok.(string)
		rec := &PhaseRecord{}
		if err := dec.Decode(&phaseFile{PhaseRecord: rec}); err != nil {
			return fmt.Errorf("phases.%s: %w", name, err)
		}
		rec.Name = name
		out = append(out, rec)
	}
	*m = out
	return nil
}

// vmFile writes a VM's extra keys inline, beside the known ones.
type vmFile struct{ *VMStatus }

func (v vmFile) MarshalJSON() ([]byte, error) {
	known, err := marshalValue(vmKnown{v.VMStatus})
	if err != nil {
		return nil, err
	}
	if len(v.Extra) == 0 {
		return known, nil
	}
	all := map[string]any{}
	for k, e := range v.Extra {
		all[k] = e
	}
	var k map[string]json.RawMessage
	if err := json.Unmarshal(known, &k); err != nil {
		return nil, err
	}
	for name, raw := range k {
		all[name] = raw
	}
	return marshalValue(all)
}

// MarshalJSONTo is MarshalJSON for marshalFile's encoder.
func (v vmFile) MarshalJSONTo(enc *jsontext.Encoder) error {
	type plain VMStatus
	c := plain(*v.VMStatus)
	c.Extra = nil
	known, err := jsonv2.Marshal(c, enc.Options())
	if err != nil {
		return err
	}
	if len(v.Extra) == 0 {
		return enc.WriteValue(known)
	}
	all := make(map[string]any, len(v.Extra))
	for k, e := range v.Extra {
		all[k] = e
	}
	var k map[string]jsontext.Value
	if err := jsonv2.Unmarshal(known, &k); err != nil {
		return err
	}
	for name, raw := range k {
		all[name] = raw
	}
	return jsonv2.MarshalEncode(enc, all)
}

func (v *vmFile) UnmarshalJSON(data []byte) error {
	st := &VMStatus{}
	// encoding/json alone: unmarshalFile's fresh vmKnown would hold no VMStatus.
	if err := unmarshalFileV1(data, &vmKnown{st}); err != nil {
		return err
	}
	var all map[string]any
	if err := unmarshalFile(data, &all); err != nil {
		return err
	}
	for _, k := range vmKnownKeys() {
		delete(all, k)
	}
	if len(all) > 0 {
		st.Extra = FromJSON(all).(map[string]any)
	}
	v.VMStatus = st
	return nil
}

// vmKnownKeys are the keys of VMStatus's own fields, from their tags.
var vmKnownKeys = sync.OnceValue(func() []string {
	var keys []string
	t := reflect.TypeFor[VMStatus]()
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.Name != "Extra" {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			keys = append(keys, name)
		}
	}
	return keys
})

// vmKnown is a VMStatus without its extra keys.
type vmKnown struct{ *VMStatus }

func (v vmKnown) MarshalJSON() ([]byte, error) {
	c := *v.VMStatus
	c.Extra = nil
	type plain VMStatus
	return marshalValue(plain(c))
}

func (v vmKnown) UnmarshalJSON(data []byte) error {
	type plain VMStatus
	return json.Unmarshal(data, (*plain)(v.VMStatus))
}

func toFile(st *State) *stateFile {
	f := &stateFile{State: st, DeploymentRuns: make([]runFile, len(st.DeploymentRuns))}
	for i, r := range st.DeploymentRuns {
		f.DeploymentRuns[i] = runFile{Run: r, Phases: phaseMap(r.Phases), Error: r.Error}
	}
	if len(st.VMRuntimeStatus) > 0 {
		f.VMRuntimeStatus = make(map[string]vmFile, len(st.VMRuntimeStatus))
		for k, v := range st.VMRuntimeStatus {
			f.VMRuntimeStatus[k] = vmFile{v}
		}
	}
	return f
}

func fromFile(f *stateFile) *State {
	st := f.State
	st.DeploymentRuns = make([]*Run, len(f.DeploymentRuns))
	for i, r := range f.DeploymentRuns {
		if r.Run == nil {
			r.Run = &Run{}
		}
		r.Run.Phases = PhaseList(r.Phases)
		r.Run.Error = r.Error
		st.DeploymentRuns[i] = r.Run
	}
	st.VMRuntimeStatus = nil
	if len(f.VMRuntimeStatus) > 0 {
		st.VMRuntimeStatus = make(map[string]*VMStatus, len(f.VMRuntimeStatus))
		for k, v := range f.VMRuntimeStatus {
			st.VMRuntimeStatus[k] = v.VMStatus
		}
	}
	st.fromJSONValues()
	return st
}

// fromJSONValues makes the numbers of decoded values ints or floats.
func (st *State) fromJSONValues() {
	st.DeploymentFlags, _ = FromJSON(st.DeploymentFlags).(map[string]any)
	st.Runtime, _ = FromJSON(st.Runtime).(map[string]any)
	if f := st.InfrastructureFacts; f != nil {
		f.Outputs, _ = FromJSON(f.Outputs).(map[string]any)
	}
	if t := st.Terraform; t != nil {
		t.Backend.Config, _ = FromJSON(t.Backend.Config).(map[string]any)
	}
	for _, r := range st.DeploymentRuns {
		r.fromJSONValues()
	}
}

func (r *Run) fromJSONValues() {
	if s := r.ConfigSnapshot; s != nil {
		s.Variables, _ = FromJSON(s.Variables).(map[string]any)
		s.Flags, _ = FromJSON(s.Flags).(map[string]any)
	}
	if t := r.Terraform; t != nil {
		t.Backend.Config, _ = FromJSON(t.Backend.Config).(map[string]any)
	}
}

// textError is err, or, when a string in v is not UTF-8 text (which the
// encoder refuses rather than replace its bytes), an error naming it.
func textError(err error, v any) error {
	where := invalidText(reflect.ValueOf(v), "")
	if where == "" {
		return err
	}
	return fmt.Errorf("%s is not UTF-8 text, which the state's files hold: nothing was written", where)
}

// invalidText names the first string in v that is not UTF-8.
func invalidText(v reflect.Value, path string) string {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return invalidText(v.Elem(), path)
		}
	case reflect.String:
		if !utf8.ValidString(v.String()) {
			return fmt.Sprintf("%s %q", strings.TrimPrefix(path, "."), v.String())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			name := f.Name
			if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag != "" && tag != "-" {
				name = tag
			}
			if f.Anonymous {
				name = ""
			}
			if w := invalidText(v.Field(i), path+"."+name); w != "" {
				return w
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			k := fmt.Sprint(iter.Key().Interface())
			if !utf8.ValidString(k) {
				return fmt.Sprintf("the key %q under %s", k, strings.TrimPrefix(path, "."))
			}
			if w := invalidText(iter.Value(), path+"."+k); w != "" {
				return w
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			if w := invalidText(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); w != "" {
				return w
			}
		}
	}
	return ""
}
