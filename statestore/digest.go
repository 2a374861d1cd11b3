package statestore

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// KeyFile holds the deployment's digest key: 32 random bytes, 0600 in the
// state directory like the state itself.
const KeyFile = ".digest-key"

// Digester makes short keyed digests of values the state must be able to
// compare without holding them: a sensitive variable's value, the parts of
// a phase's definition. Keyed (HMAC-SHA256 with the deployment's own key)
// so that a guessed value cannot be confirmed against a digest.
type Digester struct{ key []byte }

// Digester returns the deployment's digester, making its key on first use.
func (s *Store) Digester() (*Digester, error) {
	key, _, err := s.storage.Read(KeyFile)
	if err == nil && len(key) == 32 {
		return &Digester{key: key}, nil
	}
	if err != nil && !IsNotExist(err) {
		return nil, fmt.Errorf("read the digest key: %w", err)
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if _, err := s.storage.Write(KeyFile, key, ""); err != nil {
		// Someone made it first: take theirs.
		if got, _, rerr := s.storage.Read(KeyFile); rerr == nil && len(got) == 32 {
			return &Digester{key: got}, nil
		}
		return nil, fmt.Errorf("write the digest key: %w", err)
	}
	return &Digester{key: key}, nil
}

// ReadDigester returns the deployment's digester if its key exists, for
// reading commands, which create nothing; nil otherwise.
func (s *Store) ReadDigester() *Digester {
	key, _, err := s.storage.Read(KeyFile)
	if err != nil || len(key) != 32 {
		return nil
	}
	return &Digester{key: key}
}

// SumAll digests every value of m.
func (d *Digester) SumAll(m map[string]string) map[string]string {
	if d == nil || len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = d.Sum(v)
	}
	return out
}

// Sum is a value's digest: "hmac:" and 16 hex digits, enough to tell a
// change.
func (d *Digester) Sum(value string) string {
	if d == nil {
		return ""
	}
	m := hmac.New(sha256.New, d.key)
	m.Write([]byte(value))
	return "hmac:" + hex.EncodeToString(m.Sum(nil)[:8])
}
