package phases

import (
	"strings"
	"testing"

	"github.com/k0flow/k0flow/statestore"
)

func run(id, kind, outcome string, phases ...*statestore.PhaseRecord) *statestore.Run {
	return &statestore.Run{RunID: id, Kind: kind, Outcome: outcome, Phases: phases}
}

func rec(name, status, checksum string) *statestore.PhaseRecord {
	return &statestore.PhaseRecord{Name: name, Status: status, DefinitionChecksum: checksum}
}

func TestDecide(t *testing.T) {
	apply, destroy := statestore.KindApply, statestore.KindDestroy
	completed := []*statestore.Run{run("r1", apply, "success", rec("a", "completed", "c1"))}
	tests := []struct {
		name       string
		phase, sum string
		legacy     string
		afterFrom  bool
		always     bool
		opts       Options
		history    []*statestore.Run
		want       Action
		reason     string
		reusedFrom string
	}{
		{name: "never run", phase: "a", sum: "c1", want: ActionRun, reason: "not run before"},
		{name: "completed, same definition", phase: "a", sum: "c1", history: completed,
			want: ActionReuse, reason: "completed in run r1", reusedFrom: "r1"},
		{name: "completed, definition changed", phase: "a", sum: "c2", history: completed,
			want: ActionRerun, reason: "definition (command, env or dir) changed since run r1"},
		{name: "definition not known yet", phase: "a", sum: "", history: completed, want: ActionReuse, reusedFrom: "r1"},
		{name: "migrated completion has no checksum", phase: "a", sum: "c9",
			history: []*statestore.Run{run("m", statestore.KindMigrated, "interrupted", rec("a", "completed", ""))},
			want:    ActionReuse, reusedFrom: "m"},
		{name: "reused points at the original", phase: "a", sum: "c1",
			history: []*statestore.Run{completed[0], run("r2", apply, "success", &statestore.PhaseRecord{Name: "a", Status: "reused", ReusedFrom: "r1", DefinitionChecksum: "c1"})},
			want:    ActionReuse, reusedFrom: "r1"},
		{name: "failed last time", phase: "a", sum: "c1",
			history: append(completed, run("r2", apply, "failed", rec("a", "failed", "c1"))),
			want:    ActionRerun, reason: "failed in run r2"},
		{name: "interrupted last time", phase: "a", sum: "c1",
			history: append(completed, run("r2", apply, "interrupted", rec("a", "interrupted", "c1"))),
			want:    ActionRerun, reason: "interrupted in run r2"},
		{name: "pending in a later run does not hide a completion", phase: "a", sum: "c1",
			history: append(completed, run("r2", apply, "failed", rec("a", "pending", ""))),
			want:    ActionReuse, reusedFrom: "r1"},
		{name: "reset by hand", phase: "a", sum: "c1",
			history: append(completed, run("m", statestore.KindManual, "success", rec("a", "pending", ""))),
			want:    ActionRerun, reason: "reset by hand in run m"},
		{name: "completed by hand", phase: "a", sum: "c1",
			history: []*statestore.Run{run("m", statestore.KindManual, "success", rec("a", "completed", ""))},
			want:    ActionReuse, reusedFrom: "m"},
		{name: "destroy forgets completions", phase: "a", sum: "c1",
			history: append(completed, run("d", destroy, "success")), want: ActionRun},
		{name: "an unfinished destroy tore it down", phase: "a", sum: "c1",
			history: append(completed, run("d", destroy, "interrupted", rec("a", "completed", ""))),
			want:    ActionRerun, reason: "torn down by the unfinished destroy d"},
		{name: "an unfinished destroy never reached it", phase: "a", sum: "c1",
			history: append(completed, run("d", destroy, "interrupted", rec("b", "completed", ""), rec("a", "pending", ""))),
			want:    ActionReuse, reusedFrom: "r1"},
		{name: "--fresh", phase: "a", sum: "c1", history: completed, opts: Options{Fresh: true}, want: ActionRun},
		{name: "--from at or after", phase: "a", sum: "c1", history: completed, afterFrom: true,
			opts: Options{From: "a"}, want: ActionRerun, reason: "--from a"},
		{name: "--from, never run", phase: "a", afterFrom: true, opts: Options{From: "a"}, want: ActionRun},
		{name: "completed with the checksum an older k0flow summed", phase: "a", sum: "c2", legacy: "c1", history: completed,
			want: ActionReuse, reusedFrom: "r1"},
		{name: "reuse = false, never run", phase: "a", sum: "c1", always: true, want: ActionRun, reason: "reuse = false"},
		{name: "reuse = false runs again", phase: "a", sum: "c1", always: true, history: completed,
			want: ActionRerun, reason: "reuse = false: runs on every apply"},
		{name: "reuse = false, --only other phase", phase: "a", always: true, opts: Options{Only: "b"}, want: ActionNotSelected},
		{name: "--only other phase", phase: "b", opts: Options{Only: "a"}, want: ActionNotSelected},
		{name: "--only this phase runs even if completed", phase: "a", sum: "c1", history: completed,
			opts: Options{Only: "a"}, want: ActionRun},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(PhaseFacts{Name: tt.phase, Checksum: tt.sum, Accepted: []string{tt.legacy}, AfterFrom: tt.afterFrom, AlwaysRun: tt.always}, tt.opts, tt.history)
			if got.Action != tt.want {
				t.Fatalf("action = %q (%s), want %q", got.Action, got.Reason, tt.want)
			}
			if tt.reason != "" && !strings.HasPrefix(got.Reason, tt.reason) {
				t.Errorf("reason = %q, want %q", got.Reason, tt.reason)
			}
			if got.ReusedFrom != tt.reusedFrom {
				t.Errorf("reused_from = %q, want %q", got.ReusedFrom, tt.reusedFrom)
			}
		})
	}
}

func TestChangedParts(t *testing.T) {
	then := map[string]string{"command": "a", "dir": "b", "env.X": "c"}
	for _, tt := range []struct {
		now  map[string]string
		want string
	}{
		{map[string]string{"command": "a", "dir": "b", "env.X": "c"}, ""},
		{map[string]string{"command": "a", "dir": "b", "env.X": "d"}, "env X"},
		{map[string]string{"command": "z", "dir": "b"}, "command and env X"},
		{map[string]string{"command": "z", "dir": "y", "env.X": "c", "env.Y": "n"}, "command, dir and env Y"},
		{nil, ""},
	} {
		if got := changedParts(tt.now, then); got != tt.want {
			t.Errorf("changedParts(%v) = %q, want %q", tt.now, got, tt.want)
		}
	}
}
