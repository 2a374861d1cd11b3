package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/k0flow/k0flow/statestore"
)

type validateJSON struct {
	File       string                 `json:"file"`
	Valid      bool                   `json:"valid"`
	Violations []statestore.Violation `json:"violations"`
	Error      string                 `json:"error,omitempty"`
}

// stateValidate checks a state file against the embedded JSON Schema and
// prints each violation with its YAML path and line.
func (c *cli) stateValidate(file string, out output) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	res := validateJSON{File: file, Valid: true, Violations: []statestore.Violation{}}
	st, err := statestore.Decode(data)
	var se *statestore.SchemaError
	switch {
	case errors.As(err, &se):
		res.Valid, res.Violations = false, se.Violations
	case err != nil:
		res.Valid, res.Error = false, err.Error()
	}
	err = view[validateJSON]{c, out, func(w io.Writer, res validateJSON) error {
		if res.Valid {
			fmt.Fprintf(w, "%s is a valid schema_version %d state: deployment %s, %d runs.\n", file, statestore.SchemaVersion, st.DeploymentID, len(st.DeploymentRuns))
			return nil
		}
		fmt.Fprintf(w, "%s is not a valid schema_version %d state:\n", file, statestore.SchemaVersion)
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
