package workflow

import "github.com/hashicorp/hcl/v2"

// These structs are the file's schema, decoded with gohcl. Expressions that
// depend on variables stay hcl.Expression until a Scope evaluates them.

type fileSchema struct {
	Workflows []*workflowSchema  `hcl:"workflow,block"`
	Variables []*variableSchema  `hcl:"variable,block"`
	Locals    []*localsSchema    `hcl:"locals,block"`
	Terraform []*terraformSchema `hcl:"terraform,block"`
	Phases    []*phaseSchema     `hcl:"phase,block"`
}

type workflowSchema struct {
	Name          string             `hcl:"name,label"`
	StateDir      hcl.Expression     `hcl:"state_dir,optional"`
	IDFile        hcl.Expression     `hcl:"id_file,optional"`
	Flags         hcl.Expression     `hcl:"flags,optional"`
	Preconditions []*conditionSchema `hcl:"precondition,block"`
	Backends      []*backendSchema   `hcl:"state_backend,block"`
	DeclRange     hcl.Range          `hcl:",def_range"`
}

// backendSchema is state_backend "azurerm" { ... }: where a team keeps the
// state, with the settings of Terraform's azurerm backend.
type backendSchema struct {
	Type               string         `hcl:"type,label"`
	StorageAccountName hcl.Expression `hcl:"storage_account_name,optional"`
	ContainerName      hcl.Expression `hcl:"container_name,optional"`
	KeyPrefix          hcl.Expression `hcl:"key_prefix,optional"`
	Endpoint           hcl.Expression `hcl:"endpoint,optional"`
	UseAzureAD         hcl.Expression `hcl:"use_azuread,optional"`
	DeclRange          hcl.Range      `hcl:",def_range"`
}

type variableSchema struct {
	Name        string             `hcl:"name,label"`
	Type        hcl.Expression     `hcl:"type,optional"`
	Default     *hcl.Attribute     `hcl:"default,optional"`
	Description string             `hcl:"description,optional"`
	Sensitive   bool               `hcl:"sensitive,optional"`
	Validations []*conditionSchema `hcl:"validation,block"`
	DeclRange   hcl.Range          `hcl:",def_range"`
}

type conditionSchema struct {
	Condition    hcl.Expression `hcl:"condition"`
	ErrorMessage hcl.Expression `hcl:"error_message"`
	DeclRange    hcl.Range      `hcl:",def_range"`
}

type localsSchema struct {
	Body hcl.Body `hcl:",remain"`
}

type terraformSchema struct {
	Dir       hcl.Expression `hcl:"dir,optional"`
	MaxAge    hcl.Expression `hcl:"max_age,optional"`
	Binary    hcl.Expression `hcl:"binary,optional"`
	VMOutput  hcl.Expression `hcl:"vm_output,optional"`
	DeclRange hcl.Range      `hcl:",def_range"`
}

type phaseSchema struct {
	Name          string             `hcl:"name,label"`
	Description   hcl.Expression     `hcl:"description,optional"`
	When          hcl.Expression     `hcl:"when,optional"`
	Run           *hcl.Attribute     `hcl:"run,optional"`
	Check         hcl.Expression     `hcl:"check,optional"`
	Destroy       hcl.Expression     `hcl:"destroy,optional"`
	Env           hcl.Expression     `hcl:"env,optional"`
	Dir           hcl.Expression     `hcl:"dir,optional"`
	Timeout       hcl.Expression     `hcl:"timeout,optional"`
	Reuse         *bool              `hcl:"reuse,optional"`
	Terraform     *hcl.Attribute     `hcl:"terraform,optional"`
	Vars          hcl.Expression     `hcl:"vars,optional"`
	Preconditions []*conditionSchema `hcl:"precondition,block"`
	Retries       []*retrySchema     `hcl:"retry,block"`
	DeclRange     hcl.Range          `hcl:",def_range"`
}

type retrySchema struct {
	Attempts    int            `hcl:"attempts"`
	Delay       hcl.Expression `hcl:"delay,optional"`
	OnExitCodes []int          `hcl:"on_exit_codes,optional"`
	DeclRange   hcl.Range      `hcl:",def_range"`
}
