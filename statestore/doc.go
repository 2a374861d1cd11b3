// Package statestore owns deployment-state.yaml (schema_version 2) and the
// files beside it: the model, loading and validation, atomic saves with a
// backup, the run lock and the write lock, and the append-only events file.
//
// Everything that touches the bytes goes through the Storage seam, so a
// second backend (a shared blob with a lease) can replace the local
// directory without anything above this package changing. This package
// imports nothing else of k0flow and knows nothing of HCL or Terraform.
package statestore
