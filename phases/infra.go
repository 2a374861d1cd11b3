package phases

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/k0flow/k0flow/infra"
	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/workflow"
)

// Infra keeps a workflow's cache of Terraform outputs in step with the
// Terraform state, saving it through the store.
type Infra struct {
	Store    *statestore.Store
	TF       *infra.Terraform
	MaxAge   time.Duration
	NewState func() *statestore.State // for a deployment with no state yet
}

// NewInfra returns the Infra of a workflow, or nil when it has no
// terraform block. A missing terraform binary is an error.
func NewInfra(w *workflow.Workflow, store *statestore.Store) (*Infra, error) {
	if w.Terraform == nil {
		return nil, nil
	}
	tf, err := infra.New(w.Terraform.Dir, w.Terraform.Binary)
	if err != nil {
		return nil, err
	}
	return &Infra{Store: store, TF: tf, MaxAge: w.Terraform.MaxAge, NewState: func() *statestore.State {
		id, err := NewDeploymentID(w)
		if err != nil || id == "" {
			id = statestore.NewDeploymentID(w.Name)
		}
		return statestore.NewState(id)
	}}, nil
}

// SyncReport says what a sync did.
type SyncReport struct {
	Synced         bool   // the cache was written
	OutputsChanged bool   // the outputs were replaced
	Reason         string // why a sync was needed
	Facts          *statestore.InfraFacts
	Migration      *statestore.BackendMove
}

// Sync brings the cache in step with Terraform. With force false it does
// nothing while the cache is fresh (same state checksum, younger than
// max_age). A sync whose checksum is unchanged only bumps the timestamp;
// only a changed state makes it run `terraform output`.
func (i *Infra) Sync(ctx context.Context, force bool) (SyncReport, error) {
	backend, err := infra.DetectBackend(i.TF.Dir)
	if err != nil {
		return SyncReport{}, err
	}
	checksum, err := i.TF.Checksum(ctx, backend)
	if err != nil {
		return SyncReport{}, err
	}
	facts, err := i.Store.InfraFacts() // in the state file itself, not parsed again
	if err != nil && !statestore.IsNotExist(err) {
		return SyncReport{}, err
	}
	fresh := infra.Check(facts, checksum, i.MaxAge, statestore.Now())
	if fresh.Fresh && !force {
		return SyncReport{Facts: facts}, nil
	}
	var outputs map[string]infra.Output
	if !infra.Unchanged(facts, checksum) {
		if outputs, err = i.TF.Outputs(ctx); err != nil {
			return SyncReport{}, err
		}
	}
	version, err := i.TF.Version(ctx)
	if err != nil {
		return SyncReport{}, err
	}
	rep := SyncReport{Synced: true, Reason: fresh.Reason}
	err = i.Store.UpdateOrInit(i.NewState, func(st *statestore.State) error {
		now := statestore.Now()
		st.InfrastructureFacts, rep.OutputsChanged = infra.Sync(st.InfrastructureFacts, checksum, outputs, now)
		st.Terraform, rep.Migration = infra.RecordBackend(st.Terraform, infra.Ref(backend, version), now)
		rep.Facts = st.InfrastructureFacts
		return nil
	})
	if err != nil {
		return SyncReport{}, fmt.Errorf("save the infrastructure cache: %w", err)
	}
	i.events(rep)
	return rep, nil
}

func (i *Infra) events(rep SyncReport) {
	id, err := i.Store.DeploymentID()
	if err != nil {
		return
	}
	if rep.Migration != nil {
		_ = i.Store.AppendEvent(id, statestore.Event{Action: "terraform_backend_migrated",
			Message: fmt.Sprintf("Terraform state moved from %s to %s", rep.Migration.From, rep.Migration.To)})
	}
	if rep.OutputsChanged {
		_ = i.Store.AppendEvent(id, statestore.Event{Action: "infra_cache_updated",
			Message: "Terraform outputs cached: " + strings.Join(workflow.Keys(rep.Facts.Outputs), ", ")})
	}
}

// Touch records a terraform apply or refresh in the state's terraform
// section.
// Refresh is `k0flow infra refresh`: terraform init and refresh, their
// output to out, then a forced sync of the outputs cache, and the refresh
// recorded.
func (i *Infra) Refresh(ctx context.Context, out io.Writer) (SyncReport, error) {
	i.TF.Stream(out)
	if err := i.TF.Init(ctx); err != nil {
		return SyncReport{}, err
	}
	if err := i.TF.Refresh(ctx, nil); err != nil {
		return SyncReport{}, err
	}
	i.TF.Stream(io.Discard)
	rep, err := i.Sync(ctx, true)
	if err != nil {
		return rep, err
	}
	return rep, i.Touch("refresh")
}

func (i *Infra) Touch(action string) error {
	return i.Store.Update(func(st *statestore.State) error {
		if st.Terraform == nil {
			st.Terraform = &statestore.TerraformRef{}
		}
		now := statestore.Now()
		switch action {
		case "apply", "destroy":
			st.Terraform.LastApplyAt = &now
		case "refresh":
			st.Terraform.LastRefreshAt = &now
		}
		return nil
	})
}

// missingOutputs names the outputs a phase reads that Terraform does not
// have, with the ones it does, so the error says what to fix.
func missingOutputs(p *workflow.Phase, facts *statestore.InfraFacts) error {
	var have []string
	if facts != nil {
		have = workflow.Keys(facts.Outputs)
	}
	var missing []string
	for _, name := range p.InfraReads() {
		if facts == nil || facts.Outputs == nil {
			missing = append(missing, name)
			continue
		}
		if _, ok := facts.Outputs[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	reads := "infra." + strings.Join(missing, ", infra.")
	if len(have) == 0 {
		return fmt.Errorf("reads %s, but Terraform has no outputs yet: apply its configuration first, or put a phase with terraform = \"apply\" before this one", reads)
	}
	return fmt.Errorf("reads %s, but Terraform has no such output (outputs: %s)", reads, strings.Join(have, ", "))
}
