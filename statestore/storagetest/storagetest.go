// Package storagetest is the conformance test every statestore.Storage
// must pass: the local directory today, a shared blob tomorrow.
package storagetest

import (
	"context"
	"errors"
	"io"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/k0flow/k0flow/statestore"
)

// Run checks a Storage made fresh by newStorage for each subtest. A second
// call of newStorage within one subtest must return a handle on the same
// underlying store, as a second process would see it.
func Run(t *testing.T, newStorage func(t *testing.T) (first, second statestore.Storage)) {
	ctx := context.Background()
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
		unlock, err := s.Lock(ctx, "run", holder, false)
		if err != nil {
			t.Fatal(err)
		}
		_, err = other.Lock(ctx, "run", statestore.LockHolder{PID: 1}, false)
		var locked *statestore.LockedError
		if !errors.As(err, &locked) || locked.Holder.PID != 4242 || locked.Holder.Host != "build-7" {
			t.Fatalf("second lock: err = %v, want LockedError naming pid 4242 on build-7", err)
		}
		if err := unlock(); err != nil {
			t.Fatal(err)
		}
		unlock2, err := other.Lock(ctx, "run", statestore.LockHolder{PID: 1}, false)
		if err != nil {
			t.Fatalf("lock after release: %v", err)
		}
		_ = unlock2()
	})
	t.Run("LocksAreIndependent", func(t *testing.T) {
		s, other := newStorage(t)
		unlock, err := s.Lock(ctx, "run", statestore.LockHolder{PID: 1}, false)
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
		unlockWrite, err := other.Lock(ctx, "write", statestore.LockHolder{PID: 2}, false)
		if err != nil {
			t.Fatalf("write lock while the run lock is held: %v", err)
		}
		_ = unlockWrite()
	})
	t.Run("AppendRefusesTornTail", func(t *testing.T) {
		s, _ := newStorage(t)
		if _, err := s.Write("events", []byte("a\nb-cut"), ""); err != nil {
			t.Fatal(err)
		}
		if err := s.Append("events", []byte("c\n")); !errors.Is(err, statestore.ErrTornTail) {
			t.Fatalf("Append after a torn tail: err = %v, want ErrTornTail", err)
		}
		if data, _, _ := s.Read("events"); string(data) != "a\nb-cut" {
			t.Fatalf("a refused append changed the data: %q", data)
		}
	})
	t.Run("ConcurrentAppendsStayWhole", func(t *testing.T) {
		s, other := newStorage(t)
		var wg sync.WaitGroup
		for _, st := range []statestore.Storage{s, other} {
			wg.Add(1)
			go func(st statestore.Storage) {
				defer wg.Done()
				for i := 0; i < 50; i++ {
					if err := st.Append("log", []byte("0123456789abcdef\n")); err != nil {
						t.Error(err)
						return
					}
				}
			}(st)
		}
		wg.Wait()
		data, _, _ := s.Read("log")
		if want := 100 * 17; len(data) != want {
			t.Fatalf("after 100 appends: %d bytes, want %d", len(data), want)
		}
		for i := 0; i < len(data); i += 17 {
			if string(data[i:i+17]) != "0123456789abcdef\n" {
				t.Fatalf("entry at %d interleaved: %q", i, data[i:i+17])
			}
		}
	})
	t.Run("StreamAppendsAsWritten", func(t *testing.T) {
		s, other := newStorage(t)
		w, err := s.Stream("logs/r1/a.log")
		if err != nil {
			t.Fatal(err)
		}
		for _, part := range []string{"one ", "two\n", "three"} {
			if _, err := io.WriteString(w, part); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if data, _, err := other.Read("logs/r1/a.log"); err != nil || string(data) != "one two\nthree" {
			t.Fatalf("streamed log reads %q, %v", data, err)
		}
	})
	t.Run("ListByPrefixSorted", func(t *testing.T) {
		s, other := newStorage(t)
		for _, name := range []string{"runs/b.yaml", "runs/a.yaml", "logs/r1/x.log", "logs/r2/y.log", "state.yaml"} {
			if _, err := s.Write(name, []byte(name), ""); err != nil {
				t.Fatal(err)
			}
		}
		for prefix, want := range map[string][]string{
			"runs/":     {"runs/a.yaml", "runs/b.yaml"},
			"logs/r1/":  {"logs/r1/x.log"},
			"logs/":     {"logs/r1/x.log", "logs/r2/y.log"},
			"logs/r":    {"logs/r1/x.log", "logs/r2/y.log"},
			"logs/r1/x": {"logs/r1/x.log"},
			"runs/a":    {"runs/a.yaml"},
			"nothing/":  nil,
		} {
			got, err := other.List(prefix)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 && len(want) == 0 {
				continue
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("List(%q) = %q, want %q", prefix, got, want)
			}
		}
	})
	t.Run("MoveRenamesAndRefusesToOverwrite", func(t *testing.T) {
		s, other := newStorage(t)
		_, _ = s.Write("logs/r1/a.log", []byte("log"), "")
		_, _ = s.Write("taken", []byte("x"), "")
		if err := other.Move("logs/r1/a.log", statestore.ArchivePrefix+"d/logs/r1/a.log"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Read("logs/r1/a.log"); !errors.Is(err, statestore.ErrNotExist) {
			t.Fatalf("moved name still reads: %v", err)
		}
		if data, _, _ := s.Read(statestore.ArchivePrefix + "d/logs/r1/a.log"); string(data) != "log" {
			t.Fatalf("moved name reads %q", data)
		}
		_, _ = s.Write("b", []byte("b"), "")
		if err := s.Move("b", "taken"); err == nil {
			t.Fatal("Move over an existing name succeeded")
		}
		if err := s.Move("never", "elsewhere"); !errors.Is(err, statestore.ErrNotExist) {
			t.Fatalf("Move of a missing name: %v, want ErrNotExist", err)
		}
	})
	t.Run("LockWaitEndsWithContext", func(t *testing.T) {
		s, other := newStorage(t)
		unlock, err := s.Lock(ctx, "write", statestore.LockHolder{PID: 1}, false)
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
		short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		if _, err := other.Lock(short, "write", statestore.LockHolder{PID: 2}, true); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("waiting on a held lock past the context: err = %v, want DeadlineExceeded", err)
		}
	})
	t.Run("LockWaitGetsReleasedLock", func(t *testing.T) {
		s, other := newStorage(t)
		unlock, err := s.Lock(ctx, "write", statestore.LockHolder{PID: 1}, false)
		if err != nil {
			t.Fatal(err)
		}
		time.AfterFunc(50*time.Millisecond, func() { _ = unlock() })
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		unlock2, err := other.Lock(wctx, "write", statestore.LockHolder{PID: 2}, true)
		if err != nil {
			t.Fatalf("waiting for a lock that is released: %v", err)
		}
		_ = unlock2()
	})
}

// Leaser is a Storage whose locks are leases: they outlive a dead holder
// until they expire, so they must be renewed while held.
type Leaser interface {
	statestore.Storage
	// SimulateCrash stops every renewal, as the death of the holder would.
	SimulateCrash()
	// LeaseDuration is how long a lease lasts unrenewed.
	LeaseDuration() time.Duration
}

// RunLeases checks what a Storage with leases must do besides Run: a
// held lease is renewed, a dead holder's lease expires. (A flock dies with
// its process; that is tested end to end, by killing a runner.)
func RunLeases(t *testing.T, newStorage func(t *testing.T) (first, second Leaser)) {
	ctx := context.Background()
	t.Run("LeaseOfDeadHolderExpires", func(t *testing.T) {
		s, other := newStorage(t)
		crasher := s.(Leaser)
		if _, err := s.Lock(ctx, "run", statestore.LockHolder{PID: 7}, false); err != nil {
			t.Fatal(err)
		}
		if _, err := other.Lock(ctx, "run", statestore.LockHolder{PID: 8}, false); err == nil {
			t.Fatal("a held lease was taken")
		}
		crasher.SimulateCrash()
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		unlock, err := other.Lock(wctx, "run", statestore.LockHolder{PID: 8}, true)
		if err != nil {
			t.Fatalf("the lease of a holder that stopped renewing did not expire: %v", err)
		}
		_ = unlock()
	})
	t.Run("HeldLeaseIsRenewed", func(t *testing.T) {
		s, other := newStorage(t)
		ttl := s.(Leaser)
		unlock, err := s.Lock(ctx, "run", statestore.LockHolder{PID: 7, ID: "held"}, false)
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
		time.Sleep(ttl.LeaseDuration() * 3 / 2) // past one unrenewed lease
		if _, err := other.Lock(ctx, "run", statestore.LockHolder{PID: 8}, false); err == nil {
			t.Fatal("a held lease expired although its holder lives")
		}
		if w, ok := s.(statestore.LockWatcher); ok {
			if err := w.LockLost("run", "held"); err != nil {
				t.Fatalf("a renewed lease says it was lost: %v", err)
			}
		}
	})
	t.Run("BrokenLeaseIsLostToItsHolder", func(t *testing.T) {
		s, other := newStorage(t)
		w, watches := s.(statestore.LockWatcher)
		breaker, breaks := other.(statestore.LockBreaker)
		if !watches || !breaks {
			t.Skip("the storage cannot tell a holder its lease was lost") // none of k0flow's lease storages
		}
		unlock, err := s.Lock(ctx, "run", statestore.LockHolder{PID: 7, ID: "abc"}, false)
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
		if _, err := breaker.BreakLock("run", func(h statestore.LockHolder) bool { return h.ID == "abc" }); err != nil {
			t.Fatal(err)
		}
		taken, err := other.Lock(ctx, "run", statestore.LockHolder{PID: 8}, false)
		if err != nil {
			t.Fatalf("a broken lease could not be taken: %v", err)
		}
		defer taken()
		deadline := time.Now().Add(s.(Leaser).LeaseDuration())
		for w.LockLost("run", "abc") == nil && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if err := w.LockLost("run", "abc"); !errors.Is(err, statestore.ErrLockLost) {
			t.Fatalf("the first holder was not told its lease was lost within one lease: %v", err)
		}
	})
}
