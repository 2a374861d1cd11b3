package statestore_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/statestore/storagetest"
)

func TestDirConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) (statestore.Storage, statestore.Storage) {
		dir := filepath.Join(t.TempDir(), "state")
		return &statestore.Dir{Path: dir}, &statestore.Dir{Path: dir}
	})
}

func TestDirFilesArePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	s := &statestore.Dir{Path: dir}
	v, err := s.Write("f", []byte("x"), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write("f", []byte("y"), v); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write("f.backup", []byte("x"), statestore.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if err := s.Append("e", []byte("z")); err != nil {
		t.Fatal(err)
	}
	assertMode(t, dir, 0o700)
	for _, name := range []string{"f", "f.backup", "e"} {
		assertMode(t, filepath.Join(dir, name), 0o600)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if filepath.Ext(e.Name()) != "" && e.Name() != "f.backup" {
			t.Errorf("leftover file %s", e.Name())
		}
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != want {
		t.Errorf("%s: mode %o, want %o", path, got, want)
	}
}

// TestDirAppendDeferredIsAppend: an append that leaves its fdatasync to a
// later one is still whole lines at the end, and refuses a torn tail.
func TestDirAppendDeferredIsAppend(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	s := &statestore.Dir{Path: dir}
	for _, line := range []string{"a\n", "b\n"} {
		if err := s.AppendDeferred("events", []byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Append("events", []byte("c\n")); err != nil {
		t.Fatal(err)
	}
	if data, _, _ := s.Read("events"); string(data) != "a\nb\nc\n" {
		t.Fatalf("events = %q", data)
	}
	f, err := os.OpenFile(filepath.Join(dir, "events"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("torn")
	f.Close()
	if err := s.AppendDeferred("events", []byte("d\n")); !errors.Is(err, statestore.ErrTornTail) {
		t.Fatalf("AppendDeferred after a torn tail: err = %v, want ErrTornTail", err)
	}
}
