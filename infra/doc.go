// Package infra is Terraform through hashicorp/terraform-exec: finding the
// binary, reading outputs, version and the state's checksum, detecting the
// backend from .terraform/terraform.tfstate, running apply, refresh and
// destroy, and the rules of the outputs cache (when it is fresh, what a
// sync changes). It uses statestore's types but never touches the state
// file: phases and cmd decide when to save.
package infra
