package statestore

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"fmt"
	"reflect"
	"runtime/debug"
	"strconv"
	"sync"
	"time"
)

// The decoded-state cache. Parsing YAML is slow (about 10 MB/s with
// yaml.v3), and a deployment's file grows with its history, so every save
// also writes the state it saved, in gob, keyed by the SHA-256 of the YAML
// bytes. A load whose file hashes to the same sum takes the cached state:
// those bytes are exactly what k0flow validated and wrote. Any other file —
// edited by hand, written by an older k0flow — is parsed and validated in
// full, and then cached.
const cacheFile = ".deployment-state.cache"

type cacheEntry struct {
	// Format names the model that wrote the entry. gob ignores fields it
	// does not know, so another k0flow reading this cache would silently
	// drop what it cannot hold; it must parse the YAML (and refuse what it
	// does not know) instead.
	Format string
	Sum    [sha256.Size]byte
	State  *State
	// ZeroPtrs are the pointers that point at a zero value (exit_code: 0,
	// ssh_verified: false): gob drops those, so they are restored by path.
	ZeroPtrs [][]string
}

func init() {
	// Runtime values and outputs are YAML-decoded, held in interfaces.
	gob.Register(map[string]any{})
	gob.Register([]any{})
	gob.Register(time.Time{})
}

// cacheFormat is the schema's hash and this binary's build: a change to the
// model changes the schema, and a rebuild may change the model.
var cacheFormat = sync.OnceValue(func() string {
	sum := sha256.Sum256(SchemaJSON)
	build := ""
	if info, ok := debug.ReadBuildInfo(); ok {
		build = info.Main.Version + " " + info.Main.Sum
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" || s.Key == "vcs.modified" {
				build += " " + s.Value
			}
		}
	}
	return fmt.Sprintf("%x %s", sum[:8], build)
})

func (s *Store) readCache(sum [sha256.Size]byte) *State {
	data, _, err := s.storage.Read(cacheFile)
	if err != nil {
		return nil
	}
	var e cacheEntry
	if gob.NewDecoder(bytes.NewReader(data)).Decode(&e) != nil || e.Format != cacheFormat() || e.Sum != sum || e.State == nil {
		return nil
	}
	for _, path := range e.ZeroPtrs {
		restoreZero(reflect.ValueOf(e.State), path)
	}
	return e.State
}

// writeCache is best effort: without it, the next load parses the YAML.
func (s *Store) writeCache(sum [sha256.Size]byte, st *State) {
	var buf bytes.Buffer
	var zeros [][]string
	findZeroPtrs(reflect.ValueOf(st), nil, &zeros)
	if gob.NewEncoder(&buf).Encode(cacheEntry{Format: cacheFormat(), Sum: sum, State: st, ZeroPtrs: zeros}) != nil {
		return
	}
	if vw, ok := s.storage.(volatileWriter); ok {
		_ = vw.WriteVolatile(cacheFile, buf.Bytes())
		return
	}
	_, _ = s.storage.Write(cacheFile, buf.Bytes(), AnyVersion)
}

// findZeroPtrs lists the paths (field names, slice indexes, map keys) of
// non-nil pointers to zero scalars.
func findZeroPtrs(v reflect.Value, path []string, out *[][]string) {
	switch v.Kind() {
	case reflect.Ptr:
		if v.IsNil() {
			return
		}
		if e := v.Elem(); e.Kind() != reflect.Struct && e.IsZero() {
			*out = append(*out, append([]string(nil), path...))
			return
		}
		findZeroPtrs(v.Elem(), path, out)
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				findZeroPtrs(v.Field(i), append(path, v.Type().Field(i).Name), out)
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Interface {
			return
		}
		for i := 0; i < v.Len(); i++ {
			findZeroPtrs(v.Index(i), append(path, strconv.Itoa(i)), out)
		}
	case reflect.Map:
		if v.Type().Elem().Kind() != reflect.Ptr {
			return // interface values keep their zeros in gob
		}
		for _, k := range v.MapKeys() {
			findZeroPtrs(v.MapIndex(k), append(path, k.String()), out)
		}
	}
}

// restoreZero sets the pointer at path to a new zero value.
func restoreZero(v reflect.Value, path []string) {
	for i, seg := range path {
		for v.Kind() == reflect.Ptr {
			if v.IsNil() {
				return
			}
			v = v.Elem()
		}
		last := i == len(path)-1
		switch v.Kind() {
		case reflect.Struct:
			v = v.FieldByName(seg)
		case reflect.Slice:
			n, err := strconv.Atoi(seg)
			if err != nil || n >= v.Len() {
				return
			}
			v = v.Index(n)
		case reflect.Map:
			v = v.MapIndex(reflect.ValueOf(seg))
		default:
			return
		}
		if !v.IsValid() {
			return
		}
		if last && v.Kind() == reflect.Ptr && v.IsNil() && v.CanSet() {
			v.Set(reflect.New(v.Type().Elem()))
		}
	}
}
