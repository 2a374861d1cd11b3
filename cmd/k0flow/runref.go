package main

import "github.com/k0flow/k0flow/statestore"

// resolveRun finds a run by id, unique prefix or name (statestore.ResolveRun).
func resolveRun(st *statestore.State, ref string) (*statestore.Run, error) { return st.ResolveRun(ref) }
