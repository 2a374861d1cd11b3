// Package phases is the engine. Plan decides for every phase of a workflow
// whether it runs, is reused from an earlier run, re-runs, or does not
// apply, and why; Apply executes that plan in file order, each phase in its
// own process group, recording every transition in the state through
// statestore and reporting progress to an Observer. It renders nothing
// itself: cmd/k0flow turns Observer calls and results into text or JSON.
package phases
