package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/k0flow/k0flow/statestore"
)

type validateJSON struct {
	File       string                 `json:"file"`
	Valid      bool                   `json:"valid"`
	Violations []statestore.Violation `json:"violations"`
	Error      string                 `json:"error,omitempty"`
}

// stateValidate checks a state file, or a run's own file (runs/<run_id>.yaml)
// against the schema's run, and prints each violation with its YAML path
// and line.
func (c *cli) stateValidate(file string, data []byte, out output) error {
	var err error
	res := validateJSON{File: file, Valid: true, Violations: []statestore.Violation{}}
	kind := fmt.Sprintf("schema_version %d state", statestore.SchemaVersion)
	var valid string
	if statestore.IsRunRecord(data) {
		kind = "run record"
		var r *statestore.Run
		if r, err = statestore.DecodeRun(data); err == nil {
			valid = fmt.Sprintf("run %s (%s, %s), %s", r.RunID, r.Kind, r.Outcome, count(len(r.Phases), "phase"))
		}
	} else {
		var st *statestore.State
		if st, err = statestore.Decode(data); err == nil {
			valid = fmt.Sprintf("deployment %s, %s", st.DeploymentID, count(len(st.DeploymentRuns), "run"))
		}
	}
	var se *statestore.SchemaError
	switch {
	case errors.As(err, &se):
		res.Valid, res.Violations = false, se.Violations
	case err != nil:
		res.Valid, res.Error = false, err.Error()
	}
	err = view[validateJSON]{c, out, func(w io.Writer, res validateJSON) error {
		if res.Valid {
			fmt.Fprintf(w, "%s is a valid %s: %s.\n", file, kind, valid)
			return nil
		}
		fmt.Fprintf(w, "%s is not a valid %s:\n", file, kind)
		for _, v := range res.Violations {
			fmt.Fprintf(w, "  %s\n", v)
		}
		if res.Error != "" {
			fmt.Fprintf(w, "  %s\n", res.Error)
		}
		return nil
	}}.show(res)
	if err != nil {
		return err
	}
	if !res.Valid {
		return silent(exitUsage)
	}
	return nil
}
