package main

import (
	"errors"
	"fmt"
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
	if out.json() {
		if err := c.printJSON(res); err != nil {
			return err
		}
	} else if res.Valid {
		fmt.Fprintf(c.stdout, "%s is a valid schema_version %d state: deployment %s, %d runs.\n", file, statestore.SchemaVersion, st.DeploymentID, len(st.DeploymentRuns))
	} else {
		fmt.Fprintf(c.stdout, "%s is not a valid schema_version %d state:\n", file, statestore.SchemaVersion)
		for _, v := range res.Violations {
			fmt.Fprintf(c.stdout, "  %s\n", v)
		}
		if res.Error != "" {
			fmt.Fprintf(c.stdout, "  %s\n", res.Error)
		}
	}
	if !res.Valid {
		return silent(exitUsage)
	}
	return nil
}
