package statestore

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"gopkg.in/yaml.v3"
)

// Event is one entry of deployment-events.yaml. The bash notifier reads
// these by index, so the list is only ever appended to.
type Event struct {
	Timestamp time.Time `yaml:"timestamp"`
	Action    string    `yaml:"action"`
	Message   string    `yaml:"message"`
	Phase     string    `yaml:"phase,omitempty"`
	RunID     string    `yaml:"run_id,omitempty"`
}

// node is the event as the events file holds it, its strings made to read
// back exactly (exactNode: a message with a line break is double-quoted,
// never a literal block that the entry's indentation would break).
func (ev Event) node() (*yaml.Node, error) {
	n := &yaml.Node{Kind: yaml.MappingNode}
	n.Content = append(n.Content, keyNode("timestamp"), stamp(ev.Timestamp))
	for _, kv := range []struct{ k, v string }{{"action", ev.Action}, {"message", ev.Message}, {"phase", ev.Phase}, {"run_id", ev.RunID}} {
		if kv.v == "" && (kv.k == "phase" || kv.k == "run_id") {
			continue
		}
		v, err := exactNode(kv.v)
		if err != nil {
			return nil, err
		}
		n.Content = append(n.Content, keyNode(kv.k), v)
	}
	return n, nil
}

// AppendEvent adds one event to the events file, creating it on first use.
func (s *Store) AppendEvent(deploymentID string, ev Event) error {
	unlock, err := s.storage.Lock("write", s.holder("append event"), true)
	if err != nil {
		return err
	}
	defer unlock()
	return s.appendEventLocked(deploymentID, ev)
}

func (s *Store) appendEventLocked(deploymentID string, ev Event) error {
	if ev.Timestamp.IsZero() {
		ev.Timestamp = s.now()
	}
	node, err := ev.node()
	if err != nil {
		return fmt.Errorf("event %s: %w", ev.Action, err)
	}
	entry, err := yaml.Marshal(&yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{node}})
	if err != nil {
		return err
	}
	entry = indent(entry, "  ")
	// Create the file with its header if it is not there (a stat, not a
	// read: the log only grows); the write lock rules out a race.
	head, err := eventsHeader(deploymentID, ev.Timestamp)
	if err != nil {
		return err
	}
	_, err = s.storage.Write(EventsFile, append(head, entry...), "")
	if errors.Is(err, ErrVersionMismatch) {
		return s.storage.Append(EventsFile, entry)
	}
	return err
}

func eventsHeader(id string, at time.Time) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("# k0flow deployment events: append-only, newest last\n")
	body, err := yaml.Marshal(struct {
		DeploymentID string    `yaml:"deployment_id"`
		CreatedAt    time.Time `yaml:"created_at"`
	}{id, at})
	if err != nil {
		return nil, err
	}
	buf.Write(body)
	buf.WriteString("events:\n")
	return buf.Bytes(), nil
}

// indent prefixes the list items (not the header) so they nest under events:.
func indent(b []byte, prefix string) []byte {
	lines := bytes.SplitAfter(b, []byte("\n"))
	var out bytes.Buffer
	inList := false
	for _, l := range lines {
		if len(l) == 0 {
			continue
		}
		if bytes.HasPrefix(l, []byte("- ")) {
			inList = true
		}
		if inList {
			out.WriteString(prefix)
		}
		out.Write(l)
	}
	return out.Bytes()
}

// Events reads the whole events list.
func (s *Store) Events() ([]Event, error) {
	data, _, err := s.storage.Read(EventsFile)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Events []Event `yaml:"events"`
	}
	err = yaml.Unmarshal(data, &doc)
	return doc.Events, err
}
