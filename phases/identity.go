package phases

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/workflow"
)

// NewDeploymentID names a deployment that has no state yet. The bash
// project keeps its cluster id in ./.clusterid and its scripts name
// resource groups, kubeconfigs and archives by it, so that file's id is
// the deployment's when it exists (the workflow's id_file, default
// .clusterid beside the workflow). Otherwise a new id is made, and written
// to the id file when the workflow names one, so the scripts use it too.
func NewDeploymentID(w *workflow.Workflow) (string, error) {
	id, err := ReadIDFile(w.IDFile)
	if err != nil || id != "" {
		return id, err
	}
	id = statestore.NewDeploymentID(w.Name)
	if w.IDFileSet {
		if err := os.WriteFile(w.IDFile, []byte(id+"\n"), 0o644); err != nil {
			return "", fmt.Errorf("write the new deployment id to %s: %w", w.IDFile, err)
		}
	}
	return id, nil
}

// ReadIDFile reads a deployment id file; a missing file is "".
func ReadIDFile(path string) (string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the deployment id: %w", err)
	}
	id := strings.TrimSpace(string(data))
	if id == "" || strings.ContainsAny(id, " \t\r\n/\\") || len(id) > 128 {
		return "", fmt.Errorf("%s: %q is not a deployment id (one word, such as k0rdent-4f2a9c1e); fix or remove the file", path, id)
	}
	return id, nil
}

// ForgetDeploymentID removes the workflow's id file after the deployment it
// names was destroyed, as the bash project's reset removed .clusterid: the
// next apply starts a deployment with a new id. Only a workflow that names
// its id_file has k0flow manage it, and a file naming another deployment
// is left alone.
func ForgetDeploymentID(w *workflow.Workflow, id string) error {
	if !w.IDFileSet {
		return nil
	}
	if cur, err := ReadIDFile(w.IDFile); err != nil || cur != id {
		return nil
	}
	return os.Remove(w.IDFile)
}
