package statestore

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// SchemaVersion is the version of the state file this package reads and writes.
const SchemaVersion = 3

// Phase statuses.
const (
	StatusPending     = "pending"
	StatusRunning     = "running"
	StatusCompleted   = "completed"
	StatusReused      = "reused"
	StatusFailed      = "failed"
	StatusInterrupted = "interrupted"
	// StatusSkipped is a phase a script marked skipped (phase_mark_skipped),
	// or one the bash project had skipped before the migration.
	StatusSkipped = "skipped"
)

// Run outcomes (a run also uses StatusRunning while it is under way).
const (
	OutcomeRunning     = "running"
	OutcomeSuccess     = "success"
	OutcomeFailed      = "failed"
	OutcomeInterrupted = "interrupted"
)

// Run kinds.
const (
	KindApply    = "apply"
	KindDestroy  = "destroy"
	KindMigrated = "migrated"
	// KindManual records what a script did outside any k0flow run, such as
	// a phase run by hand.
	KindManual = "manual"
)

// State is the whole of deployment-state.yaml.
type State struct {
	SchemaVersion       int                  `yaml:"schema_version" json:"schema_version"`
	DeploymentID        string               `yaml:"deployment_id" json:"deployment_id"`
	Deployer            string               `yaml:"deployer,omitempty" json:"deployer,omitempty"`
	CreatedAt           time.Time            `yaml:"created_at" json:"created_at"`
	LastUpdated         time.Time            `yaml:"last_updated" json:"last_updated"`
	DeploymentFlags     map[string]any       `yaml:"deployment_flags" json:"deployment_flags"`
	CurrentRunID        string               `yaml:"current_run_id,omitempty" json:"current_run_id,omitempty"`
	Terraform           *TerraformRef        `yaml:"terraform" json:"terraform"`
	InfrastructureFacts *InfraFacts          `yaml:"infrastructure_facts,omitempty" json:"infrastructure_facts,omitempty"`
	Runtime             map[string]any       `yaml:"runtime" json:"runtime"`
	VMRuntimeStatus     map[string]*VMStatus `yaml:"vm_runtime_status,omitempty" json:"vm_runtime_status,omitempty"`
	// SensitiveKeys are the runtime keys stored with state set --sensitive:
	// shown as (sensitive) wherever they would appear, printed only by a
	// state get of the key itself.
	SensitiveKeys  []string `yaml:"sensitive_keys,omitempty" json:"sensitive_keys,omitempty"`
	DeploymentRuns []*Run   `yaml:"deployment_runs,omitempty" json:"deployment_runs,omitempty"` // Encode writes it
}

// TerraformRef says where the deployment's Terraform state lives.
type TerraformRef struct {
	StatePath     string        `yaml:"state_path" json:"state_path"`
	Backend       Backend       `yaml:"backend" json:"backend"`
	Version       string        `yaml:"version,omitempty" json:"version,omitempty"`
	LastApplyAt   *time.Time    `yaml:"last_apply_at,omitempty" json:"last_apply_at,omitempty"`
	LastRefreshAt *time.Time    `yaml:"last_refresh_at,omitempty" json:"last_refresh_at,omitempty"`
	Migrations    []BackendMove `yaml:"migrations,omitempty" json:"migrations,omitempty"`
}

// Backend is a Terraform backend type and the configuration needed to
// initialise it again in a new shell.
type Backend struct {
	Type   string         `yaml:"type" json:"type"`
	Config map[string]any `yaml:"config" json:"config"`
}

// BackendMove records that the Terraform state moved between backends.
type BackendMove struct {
	From               string    `yaml:"from" json:"from"`
	To                 string    `yaml:"to" json:"to"`
	MigrationTimestamp time.Time `yaml:"migration_timestamp" json:"migration_timestamp"`
}

// InfraFacts is the cache of Terraform outputs.
type InfraFacts struct {
	CacheTimestamp         *time.Time     `yaml:"cache_timestamp,omitempty" json:"cache_timestamp,omitempty"`
	OldCacheTimestamp      *time.Time     `yaml:"old_cache_timestamp,omitempty" json:"old_cache_timestamp,omitempty"`
	TerraformStateChecksum string         `yaml:"terraform_state_checksum,omitempty" json:"terraform_state_checksum,omitempty"`
	Source                 string         `yaml:"source,omitempty" json:"source,omitempty"`
	Outputs                map[string]any `yaml:"outputs" json:"outputs"`
	SensitiveOutputs       []string       `yaml:"sensitive_outputs,omitempty" json:"sensitive_outputs,omitempty"`
}

// VMStatus is the runtime status of one VM; infrastructure facts such as
// addresses and sizes belong to Terraform, never here.
type VMStatus struct {
	SSHVerified           *bool          `yaml:"ssh_verified,omitempty" json:"ssh_verified,omitempty"`
	VerificationTimestamp *time.Time     `yaml:"verification_timestamp,omitempty" json:"verification_timestamp,omitempty"`
	CloudInitComplete     *bool          `yaml:"cloud_init_complete,omitempty" json:"cloud_init_complete,omitempty"`
	CompletionTimestamp   *time.Time     `yaml:"completion_timestamp,omitempty" json:"completion_timestamp,omitempty"`
	Extra                 map[string]any `yaml:",inline" json:"extra,omitempty"`
}

// Run is one attempt: an apply, a destroy, or a run reconstructed by migration.
type Run struct {
	RunID           string          `yaml:"run_id" json:"run_id"`
	Kind            string          `yaml:"kind" json:"kind"`
	StartedAt       time.Time       `yaml:"started_at" json:"started_at"`
	EndedAt         *time.Time      `yaml:"ended_at,omitempty" json:"ended_at,omitempty"`
	DurationSeconds *float64        `yaml:"duration_seconds,omitempty" json:"duration_seconds,omitempty"`
	Outcome         string          `yaml:"outcome" json:"outcome"`
	ResumedFrom     string          `yaml:"resumed_from,omitempty" json:"resumed_from,omitempty"`
	Owner           *Owner          `yaml:"owner,omitempty" json:"owner,omitempty"`
	ConfigSnapshot  *ConfigSnapshot `yaml:"config_snapshot,omitempty" json:"config_snapshot,omitempty"`
	Terraform       *TerraformRef   `yaml:"terraform,omitempty" json:"terraform,omitempty"`
	Phases          PhaseList       `yaml:"phases" json:"phases"`
	Error           *RunError       `yaml:"error" json:"error"`
}

// Owner identifies the process that runs (or ran) a run.
type Owner struct {
	PID  int    `yaml:"pid" json:"pid"`
	Host string `yaml:"host" json:"host"`
	// Driver is "bash" for a run a shell script started itself
	// (start_deployment_run): no k0flow process holds the run lock for it,
	// so it is alive while its pid is.
	Driver string `yaml:"driver,omitempty" json:"driver,omitempty"`
}

// ConfigSnapshot is what a run was started with.
type ConfigSnapshot struct {
	Variables  map[string]any    `yaml:"variables" json:"variables"`
	Flags      map[string]any    `yaml:"flags" json:"flags"`
	Applicable map[string]string `yaml:"applicable,omitempty" json:"applicable,omitempty"`
	// SensitiveDigests are keyed digests of the sensitive variables, whose
	// values the snapshot does not hold: diff tells a changed secret by them.
	SensitiveDigests map[string]string `yaml:"sensitive_digests,omitempty" json:"sensitive_digests,omitempty"`
	Selection        string            `yaml:"selection,omitempty" json:"selection,omitempty"`
	WorkflowFile     string            `yaml:"workflow_file,omitempty" json:"workflow_file,omitempty"`
	WorkflowChecksum string            `yaml:"workflow_checksum,omitempty" json:"workflow_checksum,omitempty"`
	K0flowVersion    string            `yaml:"k0flow_version,omitempty" json:"k0flow_version,omitempty"`
}

// RunError says why a run did not succeed.
type RunError struct {
	Phase   string `yaml:"phase,omitempty" json:"phase,omitempty"`
	Message string `yaml:"message" json:"message"`
	LogTail string `yaml:"log_tail,omitempty" json:"log_tail,omitempty"`
}

// PhaseRecord is one phase as one run saw it.
type PhaseRecord struct {
	Name               string     `yaml:"-" json:"name"`
	Status             string     `yaml:"status" json:"status"`
	Reason             string     `yaml:"reason,omitempty" json:"reason,omitempty"`
	ReusedFrom         string     `yaml:"reused_from,omitempty" json:"reused_from,omitempty"`
	StartedAt          *time.Time `yaml:"started_at,omitempty" json:"started_at,omitempty"`
	EndedAt            *time.Time `yaml:"ended_at,omitempty" json:"ended_at,omitempty"`
	DurationSeconds    *float64   `yaml:"duration_seconds,omitempty" json:"duration_seconds,omitempty"`
	ExitCode           *int       `yaml:"exit_code,omitempty" json:"exit_code,omitempty"`
	Log                string     `yaml:"log,omitempty" json:"log,omitempty"`
	DefinitionChecksum string     `yaml:"definition_checksum,omitempty" json:"definition_checksum,omitempty"`
	Message            string     `yaml:"message,omitempty" json:"message,omitempty"`
	// InfraCacheTimestamp is the cache a phase that reads infra.* started
	// with, so its age at that moment can be told later.
	InfraCacheTimestamp *time.Time `yaml:"infra_cache_timestamp,omitempty" json:"infra_cache_timestamp,omitempty"`
	// DestroyCommand and DestroyDir are the phase's destroy command as it
	// stood when the phase completed (argv; dir relative to the workflow
	// file), so that a phase later removed from the workflow can still be
	// torn down. Not recorded when the command holds a sensitive value.
	DestroyCommand []string `yaml:"destroy_command,omitempty" json:"destroy_command,omitempty"`
	DestroyDir     string   `yaml:"destroy_dir,omitempty" json:"destroy_dir,omitempty"`
	// DefinitionParts are keyed digests of the parts of the definition
	// (command, dir, terraform_vars, env.NAME): when the checksum changes,
	// they say what changed.
	DefinitionParts map[string]string `yaml:"definition_parts,omitempty" json:"definition_parts,omitempty"`
	// PGID is the process group of the phase's command while it runs, so
	// a later run can tell whether it still does (a runner killed outright
	// leaves it).
	PGID int `yaml:"pgid,omitempty" json:"pgid,omitempty"`
	// Attempts are the runs of a phase with a retry block, when there was
	// more than one: each with its exit code, duration and log.
	Attempts []Attempt `yaml:"attempts,omitempty" json:"attempts,omitempty"`
}

// Attempt is one run of a phase that was retried.
type Attempt struct {
	Attempt         int        `yaml:"attempt" json:"attempt"`
	StartedAt       *time.Time `yaml:"started_at" json:"started_at"`
	DurationSeconds *float64   `yaml:"duration_seconds" json:"duration_seconds"`
	ExitCode        int        `yaml:"exit_code" json:"exit_code"`
	Log             string     `yaml:"log" json:"log"`
}

// PhaseList keeps a run's phases in execution order; it is written as a
// YAML mapping from phase name to record, as the bash scripts expect.
type PhaseList []*PhaseRecord

// MarshalYAML writes the list as an ordered mapping. The nodes are built
// by hand: encoding each record through yaml.v3 starts a new emitter per
// record, which made saving a long history dominate every state update.
func (l PhaseList) MarshalYAML() (any, error) {
	node := &yaml.Node{Kind: yaml.MappingNode}
	for _, p := range l {
		node.Content = append(node.Content, str(p.Name), p.node())
	}
	return node, nil
}

func (p *PhaseRecord) node() *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	add := func(key string, v *yaml.Node) { n.Content = append(n.Content, plain(key), v) }
	add("status", str(p.Status))
	for _, f := range []struct{ key, val string }{{"reason", p.Reason}, {"reused_from", p.ReusedFrom}} {
		if f.val != "" {
			add(f.key, str(f.val))
		}
	}
	for _, f := range []struct {
		key string
		t   *time.Time
	}{{"started_at", p.StartedAt}, {"ended_at", p.EndedAt}} {
		if f.t != nil {
			add(f.key, stamp(*f.t))
		}
	}
	if p.DurationSeconds != nil {
		add("duration_seconds", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: strconv.FormatFloat(*p.DurationSeconds, 'f', -1, 64)})
	}
	if p.ExitCode != nil {
		add("exit_code", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(*p.ExitCode)})
	}
	for _, f := range []struct{ key, val string }{{"log", p.Log}, {"definition_checksum", p.DefinitionChecksum}, {"message", p.Message}} {
		if f.val != "" {
			add(f.key, str(f.val))
		}
	}
	if p.InfraCacheTimestamp != nil {
		add("infra_cache_timestamp", stamp(*p.InfraCacheTimestamp))
	}
	if len(p.DestroyCommand) > 0 {
		argv := &yaml.Node{Kind: yaml.SequenceNode}
		for _, a := range p.DestroyCommand {
			argv.Content = append(argv.Content, str(a))
		}
		add("destroy_command", argv)
	}
	if p.DestroyDir != "" {
		add("destroy_dir", str(p.DestroyDir))
	}
	if p.PGID != 0 {
		add("pgid", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(p.PGID)})
	}
	if len(p.Attempts) > 0 {
		list := &yaml.Node{Kind: yaml.SequenceNode}
		for _, a := range p.Attempts {
			var n yaml.Node
			_ = n.Encode(a)
			list.Content = append(list.Content, &n)
		}
		add("attempts", list)
	}
	if len(p.DefinitionParts) > 0 {
		parts := &yaml.Node{Kind: yaml.MappingNode}
		for _, k := range sortedStrings(p.DefinitionParts) {
			parts.Content = append(parts.Content, str(k), str(p.DefinitionParts[k]))
		}
		add("definition_parts", parts)
	}
	return n
}

// plain is a key: always a bare word here.
func plain(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }

// str is a string value; the !!str tag makes the emitter quote it when it
// would otherwise read back as another type.
func str(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if strings.Contains(s, "\n") {
		n.Style = yaml.LiteralStyle
	}
	return n
}

func stamp(t time.Time) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!timestamp", Value: t.Format(time.RFC3339Nano)}
}

// UnmarshalYAML reads an ordered mapping of phase records.
func (l *PhaseList) UnmarshalYAML(n *yaml.Node) error {
	if n.Tag == "!!null" {
		*l = nil
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: phases must be a mapping of phase name to record", n.Line)
	}
	out := make(PhaseList, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		rec := &PhaseRecord{}
		if err := n.Content[i+1].Decode(rec); err != nil {
			return err
		}
		rec.Name = n.Content[i].Value
		out = append(out, rec)
	}
	*l = out
	return nil
}

// Get returns the record of the named phase, or nil.
func (l PhaseList) Get(name string) *PhaseRecord {
	for _, p := range l {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Run returns the run with the given id, or nil.
func (s *State) Run(id string) *Run {
	for _, r := range s.DeploymentRuns {
		if r.RunID == id {
			return r
		}
	}
	return nil
}

// CurrentRun returns the run named by current_run_id, or nil.
func (s *State) CurrentRun() *Run {
	if s.CurrentRunID == "" {
		return nil
	}
	return s.Run(s.CurrentRunID)
}

// LastRun returns the most recently started run, or nil.
func (s *State) LastRun() *Run {
	if len(s.DeploymentRuns) == 0 {
		return nil
	}
	return s.DeploymentRuns[len(s.DeploymentRuns)-1]
}

func sortedStrings(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
