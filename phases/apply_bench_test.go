package phases

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/k0flow/k0flow/statestore"
)

// BenchmarkApply100Phases is apply's own work per phase on a local state
// (b.N applies of 100 phases running `true`): what bench/run.sh measures
// against a bash loop, without the process start.
func BenchmarkApply100Phases(b *testing.B) {
	dir := b.TempDir()
	var wf strings.Builder
	wf.WriteString("workflow \"bench\" {}\n")
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&wf, "phase \"p%d\" {\n  run = [\"true\"]\n}\n", i)
	}
	if err := os.WriteFile(filepath.Join(dir, "deploy.hcl"), []byte(wf.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	b.Chdir(dir)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		os.RemoveAll(filepath.Join(dir, "state"))
		store := statestore.Open(filepath.Join(dir, "state"))
		plan := memoryPlan(b, dir, store)
		b.StartTimer()
		r := &Runner{Store: store, Observer: quietObserver{}, Output: &strings.Builder{}, Version: "bench"}
		if _, err := r.Apply(plan); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100/1e6, "ms/phase")
}
