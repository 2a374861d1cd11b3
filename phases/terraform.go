package phases

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// preflightTerraform refuses built-in terraform phases until a Terraform
// driver is wired in, rather than failing in the middle of a run.
func (p *Plan) preflightTerraform(driver any) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, s := range p.Active() {
		if s.Phase.Terraform == "" || driver != nil {
			continue
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Terraform phases are not available",
			Detail:   fmt.Sprintf("Phase %q is a built-in terraform phase, which this build of k0flow cannot run yet; use run = [\"terraform\", \"apply\", \"-auto-approve\"] meanwhile.", s.Phase.Name),
			Subject:  s.Phase.DeclRange.Ptr(),
		})
	}
	return diags
}
