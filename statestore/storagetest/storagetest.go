// Package storagetest is the conformance test every statestore.Storage
// must pass: the local directory today, a shared blob tomorrow.
package storagetest

import (
	"errors"
	"testing"

	"github.com/k0flow/k0flow/statestore"
)

// Run checks a Storage made fresh by newStorage for each subtest. A second
// call of newStorage within one subtest must return a handle on the same
// underlying store, as a second process would see it.
func Run(t *testing.T, newStorage func(t *testing.T) (first, second statestore.Storage)) {
	t.Run("ReadMissing", func(t *testing.T) {
		s, _ := newStorage(t)
		if _, _, err := s.Read("x"); !errors.Is(err, statestore.ErrNotExist) {
			t.Fatalf("Read of a missing name: err = %v, want ErrNotExist", err)
		}
	})
	t.Run("WriteThenRead", func(t *testing.T) {
		s, other := newStorage(t)
		v1, err := s.Write("x", []byte("one"), "")
		if err != nil {
			t.Fatal(err)
		}
		data, v, err := other.Read("x")
		if err != nil || string(data) != "one" || v != v1 {
			t.Fatalf("Read = %q, %q, %v; want one, %q", data, v, err, v1)
		}
	})
	t.Run("WriteRefusesStaleVersion", func(t *testing.T) {
		s, other := newStorage(t)
		v1, _ := s.Write("x", []byte("one"), "")
		if _, err := other.Write("x", []byte("two"), v1); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Write("x", []byte("three"), v1); !errors.Is(err, statestore.ErrVersionMismatch) {
			t.Fatalf("Write with a stale version: err = %v, want ErrVersionMismatch", err)
		}
		if _, err := s.Write("x", []byte("again"), ""); !errors.Is(err, statestore.ErrVersionMismatch) {
			t.Fatalf("create over an existing name: err = %v, want ErrVersionMismatch", err)
		}
		if data, _, _ := s.Read("x"); string(data) != "two" {
			t.Fatalf("after refused writes: %q, want two", data)
		}
	})
	t.Run("WriteAnyVersion", func(t *testing.T) {
		s, _ := newStorage(t)
		if _, err := s.Write("x", []byte("one"), statestore.AnyVersion); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Write("x", []byte("two"), statestore.AnyVersion); err != nil {
			t.Fatal(err)
		}
		if data, _, _ := s.Read("x"); string(data) != "two" {
			t.Fatalf("after unconditional writes: %q", data)
		}
	})
	t.Run("Remove", func(t *testing.T) {
		s, other := newStorage(t)
		_, _ = s.Write("x", []byte("one"), "")
		if err := other.Remove("x"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Read("x"); !errors.Is(err, statestore.ErrNotExist) {
			t.Fatalf("after Remove: err = %v", err)
		}
		if err := s.Remove("never"); err != nil {
			t.Fatalf("Remove of a missing name: %v", err)
		}
	})
	t.Run("AppendCreatesAndAppends", func(t *testing.T) {
		s, _ := newStorage(t)
		for _, part := range []string{"a\n", "b\n"} {
			if err := s.Append("log", []byte(part)); err != nil {
				t.Fatal(err)
			}
		}
		if data, _, _ := s.Read("log"); string(data) != "a\nb\n" {
			t.Fatalf("after appends: %q", data)
		}
	})
	t.Run("LockIsExclusiveAndNamesHolder", func(t *testing.T) {
		s, other := newStorage(t)
		holder := statestore.LockHolder{PID: 4242, Host: "build-7", Operation: "apply"}
		unlock, err := s.Lock("run", holder, false)
		if err != nil {
			t.Fatal(err)
		}
		_, err = other.Lock("run", statestore.LockHolder{PID: 1}, false)
		var locked *statestore.LockedError
		if !errors.As(err, &locked) || locked.Holder.PID != 4242 || locked.Holder.Host != "build-7" {
			t.Fatalf("second lock: err = %v, want LockedError naming pid 4242 on build-7", err)
		}
		if err := unlock(); err != nil {
			t.Fatal(err)
		}
		unlock2, err := other.Lock("run", statestore.LockHolder{PID: 1}, false)
		if err != nil {
			t.Fatalf("lock after release: %v", err)
		}
		_ = unlock2()
	})
	t.Run("LocksAreIndependent", func(t *testing.T) {
		s, other := newStorage(t)
		unlock, err := s.Lock("run", statestore.LockHolder{PID: 1}, false)
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
		unlockWrite, err := other.Lock("write", statestore.LockHolder{PID: 2}, false)
		if err != nil {
			t.Fatalf("write lock while the run lock is held: %v", err)
		}
		_ = unlockWrite()
	})
}
