// Package workflow is the deploy.hcl language: it decodes the file with
// hashicorp/hcl/v2 and go-cty, resolves variables (defaults,
// K0FLOW_VAR_name, -var-file, -var), evaluates locals, flags, `when`,
// preconditions and each phase's command, and reports every problem as an
// hcl.Diagnostic with a source range. It runs nothing and stores nothing.
package workflow
