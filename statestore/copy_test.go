package statestore_test

import (
	"strings"
	"testing"

	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/statestore/statetest"
)

// Copy moves every byte of a deployment (state, backup, run records,
// events, logs, archives, digest key) and refuses another deployment.
func TestCopyMovesEveryByteAndRefusesAnotherDeployment(t *testing.T) {
	from, to := statestore.NewMemory(), statestore.NewMemory()
	src := statestore.OpenStorage("", from)
	if err := src.UpdateOrInit(func() *statestore.State { return statetest.History(8) }, func(*statestore.State) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := src.Update(func(*statestore.State) error { return nil }); err != nil { // a backup
		t.Fatal(err)
	}
	if _, err := src.Digester(); err != nil {
		t.Fatal(err)
	}
	if err := src.AppendEvent("k0rdent-bench000", statestore.Event{Action: "a", Message: "m"}); err != nil {
		t.Fatal(err)
	}
	w, _ := src.OpenLog(statestore.LogName("r1", "p"))
	_, _ = w.Write([]byte("log\n"))
	_ = w.Close()
	_, _ = from.Write(statestore.ArchivePrefix+"old_x/runs.yaml", []byte("archived"), "")

	res, err := statestore.Copy(from, to)
	if err != nil {
		t.Fatal(err)
	}
	names, _ := from.List("")
	if len(res.Names) != len(names) {
		t.Fatalf("copied %d names, the source has %d: %q vs %q", len(res.Names), len(names), res.Names, names)
	}
	for _, n := range names {
		a, _, _ := from.Read(n)
		b, _, err := to.Read(n)
		if err != nil || string(a) != string(b) {
			t.Errorf("%s differs after the copy: %v", n, err)
		}
	}
	other := statestore.NewMemory()
	if err := statestore.OpenStorage("", other).UpdateOrInit(func() *statestore.State { return statestore.NewState("other-00000000") }, func(*statestore.State) error { return nil }); err != nil {
		t.Fatal(err)
	}
	before, _, _ := other.Read(statestore.StateFile)
	_, err = statestore.Copy(from, other)
	if err == nil || !strings.Contains(err.Error(), "refusing to overwrite a different deployment") {
		t.Fatalf("copy over another deployment: err = %v", err)
	}
	if after, _, _ := other.Read(statestore.StateFile); string(after) != string(before) {
		t.Fatal("the other deployment's state changed")
	}
}
