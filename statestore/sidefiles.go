package statestore

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// The bash project keeps a few small YAML files beside the deployment
// state, and the scripts test for them by path ([[ -f $AZURE_STATE_FILE ]]),
// so they stay where and what they were: the Azure credentials state and
// its events, one events file per child cluster, and the deployment
// history index in old_deployments/. Each is a YAML mapping edited node by
// node through yaml.v3, so its order and comments survive.

// Names of the side files in the state directory.
const (
	AzureStateFile  = "azure-state.yaml"
	AzureEventsFile = "azure-events.yaml"
	KOFStateFile    = "kof-state.yaml"
	KOFEventsFile   = "kof-events.yaml"
	HistoryFile     = "deployment-history.yaml"
)

// ClusterEventsFile is the events file of a child cluster.
func ClusterEventsFile(cluster string) string { return "cluster-" + cluster + "-events.yaml" }

// SideGet reads a dotted key of a side file. A missing file or key gives
// false.
func (s *Store) SideGet(file, key string) (any, bool, error) {
	data, _, err := s.storage.Read(file)
	if IsNotExist(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, false, fmt.Errorf("%s: %w", s.storage.Location(file), err)
	}
	v, ok := GetPath(m, key)
	return v, ok, nil
}

// RemoveFile removes a side file; a missing one is no error.
func (s *Store) RemoveFile(name string) error { return s.storage.Remove(name) }

// SideUpdate changes a side file under the write lock: fn gets its top
// mapping node, made from header when the file does not exist yet. With no
// header a missing file stays missing (v1 changed such files only when
// they were there) and fn is not called.
func (s *Store) SideUpdate(file, header string, fn func(top *yaml.Node) error) error {
	unlock, err := s.lockWrite("write " + file)
	if err != nil {
		return err
	}
	defer unlock()
	data, ver, err := s.storage.Read(file)
	if IsNotExist(err) && header == "" {
		return nil
	} else if IsNotExist(err) {
		data, ver = []byte(header), ""
	} else if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%s: %w (the file was left unchanged)", s.storage.Location(file), err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return fmt.Errorf("%s: not a YAML mapping (the file was left unchanged)", s.storage.Location(file))
	}
	if err := fn(doc.Content[0]); err != nil {
		return err
	}
	out, err := encodeNode(&doc)
	if err != nil {
		return err
	}
	_, err = s.storage.Write(file, out, ver)
	return err
}

func encodeNode(doc *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), enc.Close()
}

// SetNode sets a dotted key of a mapping node to v, creating mappings on
// the way; an existing key keeps its place.
func SetNode(top *yaml.Node, key string, v any) error {
	parts, err := SplitKey(key)
	if err != nil {
		return err
	}
	val, err := exactNode(v)
	if err != nil {
		return err
	}
	cur := top
	for i, p := range parts {
		last := i == len(parts)-1
		child := mapValue(cur, p)
		switch {
		case child == nil && last:
			cur.Content = append(cur.Content, keyNode(p), val)
		case child == nil:
			child = &yaml.Node{Kind: yaml.MappingNode}
			cur.Content = append(cur.Content, keyNode(p), child)
		case last:
			*child = *val
		case child.Kind != yaml.MappingNode:
			*child = yaml.Node{Kind: yaml.MappingNode}
		}
		cur = child
	}
	return nil
}

// DeleteNode removes a dotted key of a mapping node.
func DeleteNode(top *yaml.Node, key string) {
	parts, err := SplitKey(key)
	if err != nil {
		return
	}
	cur := top
	for _, p := range parts[:len(parts)-1] {
		if cur = mapValue(cur, p); cur == nil || cur.Kind != yaml.MappingNode {
			return
		}
	}
	for i := 0; i+1 < len(cur.Content); i += 2 {
		if cur.Content[i].Value == parts[len(parts)-1] {
			cur.Content = append(cur.Content[:i], cur.Content[i+2:]...)
			return
		}
	}
}

// mapValue is childNode for mappings only: a sequence's index is no key.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	return childNode(m, key)
}

// AppendNode adds an entry to the list at key (made a block list).
func AppendNode(top *yaml.Node, key string, entry any) error {
	list := mapValue(top, key)
	if list == nil || list.Kind != yaml.SequenceNode {
		if err := SetNode(top, key, []any{}); err != nil {
			return err
		}
		list = mapValue(top, key)
	}
	n, err := exactNode(entry)
	if err != nil {
		return err
	}
	list.Style = 0
	list.Content = append(list.Content, n)
	return nil
}

// exactNode builds the node of a side file value so that it reads back
// byte for byte. Strings are made into scalars here rather than through
// yaml.v3's Node.Encode, which drops a leading line break; one with a line
// break, tab or carriage return is double-quoted, where the emitter escapes
// every character (a literal block loses leading breaks and cannot start
// with a tab).
func exactNode(v any) (*yaml.Node, error) {
	switch t := v.(type) {
	case string:
		if !utf8.ValidString(t) {
			return nil, fmt.Errorf("%q is not UTF-8 text, which the state's YAML files hold: nothing was written", t)
		}
		n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: t}
		if strings.ContainsAny(t, "\n\t\r") {
			n.Style = yaml.DoubleQuotedStyle
		}
		return n, nil
	case pairs:
		n := &yaml.Node{Kind: yaml.MappingNode}
		for _, kv := range t {
			val, err := exactNode(kv[1])
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, keyNode(kv[0]), val)
		}
		return n, nil
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode}
		for _, k := range sortedKeys(t) {
			val, err := exactNode(t[k])
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, keyNode(k), val)
		}
		return n, nil
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for _, e := range t {
			val, err := exactNode(e)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, val)
		}
		return n, nil
	}
	var n yaml.Node // booleans, numbers, null
	if err := n.Encode(v); err != nil {
		return nil, err
	}
	return &n, nil
}

// keyNode is a mapping key, always text: a plain word as it is, anything
// else double-quoted (the emitter would write "<<" plain, a merge key).
func keyNode(k string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}
	if !plainKey().MatchString(k) || k == "true" || k == "false" || k == "null" {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// plainKey is compiled on first use, not by every process at init.
var plainKey = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`) })

// pairs is a mapping of strings in a fixed order, as v1 wrote its entries.
type pairs [][2]string

// V1Event is an entry of a v1 side events file, in v1's key order.
type V1Event struct {
	Timestamp string `yaml:"timestamp"`
	Action    string `yaml:"action"`
	Message   string `yaml:"message"`
}

// AddSideEvent appends an event to a side events file and bumps its
// last_updated, as v1's add_azure_event and add_cluster_event did.
func (s *Store) AddSideEvent(file, header string, ev V1Event) error {
	return s.SideUpdate(file, header, func(top *yaml.Node) error {
		entry := pairs{{"timestamp", ev.Timestamp}, {"action", ev.Action}, {"message", ev.Message}}
		if err := AppendNode(top, "events", entry); err != nil {
			return err
		}
		return SetNode(top, "last_updated", ev.Timestamp)
	})
}

// AzureStateHeader starts azure-state.yaml, as v1's update_azure_state did.
func AzureStateHeader(now time.Time) string {
	ts := now.Format(V1Stamp)
	return "# Azure Credentials State\n# Auto-generated on " + ts + "\nazure_credentials_configured: false\nlast_updated: \"" + ts + "\"\n"
}

// AzureEventsHeader starts azure-events.yaml, as v1's add_azure_event did.
func AzureEventsHeader(now time.Time) string {
	ts := now.Format(V1Stamp)
	return "# Azure Events Log\n# Auto-generated on " + ts + "\nevents: []\nlast_updated: \"" + ts + "\"\n"
}

// ClusterEventsHeader starts a child cluster's events file, as v1's
// init_cluster_events did: with its first event.
func ClusterEventsHeader(cluster string, now time.Time) (string, error) {
	ts := now.Format(V1Stamp)
	var doc yaml.Node
	if err := doc.Encode(map[string]any{}); err != nil {
		return "", err
	}
	top := &doc
	for _, kv := range []struct {
		k string
		v any
	}{{"cluster_name", cluster}, {"created_at", ts}, {"last_updated", ts},
		{"events", []any{pairs{{"timestamp", ts}, {"action", "cluster_events_initialized"}, {"message", "Local event tracking initialized for " + cluster}}}}} {
		if err := SetNode(top, kv.k, kv.v); err != nil {
			return "", err
		}
	}
	out, err := encodeNode(top)
	head := "# Cluster Events Log: " + cluster + "\n# Auto-generated on " + ts + "\n" +
		"# Note: Cluster state is tracked in k0rdent - this file only tracks local events\n"
	return head + string(out), err
}

// HistoryEntry is one line of old_deployments/deployment-history.yaml.
type HistoryEntry struct {
	ClusterID  string `yaml:"cluster_id"`
	DeployedAt string `yaml:"deployed_at"`
	ConfigFile string `yaml:"config_file"`
	Deployer   string `yaml:"deployer"`
}

const historyHeader = "# Deployment History Index\n# Tracks all k0rdent deployments for easy lookup\ndeployments: []\n"

// historyName is old_deployments/deployment-history.yaml.
const historyName = ArchivePrefix + HistoryFile

// RecordDeploymentHistory appends to the deployment history index, as
// v1's record_deployment_history did on every deploy.
func (s *Store) RecordDeploymentHistory(e HistoryEntry) error {
	path := s.storage.Location(historyName)
	data, ver, err := s.storage.Read(historyName)
	if IsNotExist(err) {
		data, ver = []byte(historyHeader), ""
	} else if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return fmt.Errorf("%s: not a YAML mapping (the file was left unchanged)", path)
	}
	entry := pairs{{"cluster_id", e.ClusterID}, {"deployed_at", e.DeployedAt}, {"config_file", e.ConfigFile}, {"deployer", e.Deployer}}
	if err := AppendNode(doc.Content[0], "deployments", entry); err != nil {
		return err
	}
	out, err := encodeNode(&doc)
	if err != nil {
		return err
	}
	_, err = s.storage.Write(historyName, out, ver)
	return err
}

// DeploymentHistory reads the deployment history index; no file is no
// history.
func (s *Store) DeploymentHistory() ([]HistoryEntry, bool, error) {
	data, _, err := s.storage.Read(historyName)
	if IsNotExist(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var doc struct {
		Deployments []HistoryEntry `yaml:"deployments"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, true, fmt.Errorf("%s: %w", s.storage.Location(historyName), err)
	}
	return doc.Deployments, true, nil
}

// V1Files are the files v1's archive_existing_state moved away.
var V1Files = []string{StateFile, EventsFile, KOFStateFile, KOFEventsFile, AzureStateFile, AzureEventsFile}

// ArchiveV1 is v1's archive_existing_state: the deployment's files move to
// old_deployments/<id>_<local time>_<reason>/. It returns the directory
// and the names it moved ("" and none when there was nothing to archive).
func (s *Store) ArchiveV1(reason string) (string, []string, error) {
	unlock, err := s.lockWrite("archive state")
	if err != nil {
		return "", nil, err
	}
	defer unlock()
	var present []string
	for _, name := range V1Files {
		if _, _, err := s.storage.Read(name); err == nil {
			present = append(present, name)
		}
	}
	if len(present) == 0 || present[0] != StateFile && present[0] != EventsFile {
		return "", nil, nil // v1 archived only when the state or events file was there
	}
	id := ""
	if present[0] == StateFile {
		id = "unknown"
		if st, _, err := s.load(); err == nil {
			id = st.DeploymentID
		}
	}
	dir := fmt.Sprintf("%s%s_%s_%s/", ArchivePrefix, id, time.Now().Format("2006-01-02_15-04-05"), reason)
	if err := s.copyOut(dir, present...); err != nil {
		return "", nil, err
	}
	where := s.storage.Location(archiveDir(dir))
	for _, name := range append(present, StateFile+".backup", legacyCacheFile) {
		if err := s.storage.Remove(name); err != nil {
			return "", nil, fmt.Errorf("archived in %s, but could not remove %s: %w", where, name, err)
		}
	}
	return where, present, nil
}

// RemoveV1 is v1's cleanup_deployment_state: the state and events files
// are deleted (after a reset has torn everything down), and the state
// directory too when nothing else is left in it. It returns what it
// removed.
func (s *Store) RemoveV1() ([]string, bool, error) {
	unlock, err := s.lockWrite("remove state")
	if err != nil {
		return nil, false, err
	}
	defer unlock()
	var removed []string
	for _, name := range []string{StateFile, EventsFile} {
		if _, _, err := s.storage.Read(name); err != nil {
			continue
		}
		if err := s.storage.Remove(name); err != nil {
			return removed, false, err
		}
		removed = append(removed, name)
	}
	for _, name := range []string{StateFile + ".backup", legacyCacheFile} {
		_ = s.storage.Remove(name)
	}
	d, ok := s.storage.(*Dir)
	if !ok {
		return removed, false, nil
	}
	return removed, d.removeIfOnlyLocks(), nil
}
