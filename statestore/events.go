package statestore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gopkg.in/yaml.v3"
)

// Event is one entry of deployment-events.yaml. The bash notifier reads
// these by index, so the list is only ever appended to.
type Event struct {
	Timestamp time.Time `yaml:"timestamp" json:"timestamp"`
	Action    string    `yaml:"action" json:"action"`
	Message   string    `yaml:"message" json:"message"`
	Phase     string    `yaml:"phase,omitempty" json:"phase,omitempty"`
	RunID     string    `yaml:"run_id,omitempty" json:"run_id,omitempty"`
}

// eventLine is an event as its line writes it: the time as it was given.
type eventLine struct {
	Timestamp string `json:"timestamp"`
	Action    string `json:"action"`
	Message   string `json:"message"`
	Phase     string `json:"phase,omitempty"`
	RunID     string `json:"run_id,omitempty"`
}

func (ev Event) line() eventLine {
	return eventLine{ev.Timestamp.Format(time.RFC3339Nano), ev.Action, ev.Message, ev.Phase, ev.RunID}
}

// entry is the event as one line of the events list: a flow mapping
// written by encoding/json (JSON is YAML), so that an append is one whole
// line, and a line cut short by a crash is told by its missing line break.
func (ev Event) entry() ([]byte, error) {
	body, err := marshalFile(ev.line())
	if err != nil {
		return nil, textError(err, ev)
	}
	var line bytes.Buffer
	line.WriteString("  - ")
	if err := json.Compact(&line, body); err != nil {
		return nil, err
	}
	line.WriteByte('\n')
	return line.Bytes(), nil
}

// AppendEvent adds one event to the events file, creating it on first use.
func (s *Store) AppendEvent(deploymentID string, ev Event) error {
	return s.appendEvent(deploymentID, ev, s.storage.Append)
}

// AppendEventDeferred is AppendEvent for an event within a phase (it
// started, it is retried): appended whole, surviving the process, and made
// durable with the events after it by the one that ends the phase, as the
// phase's start is by the save that ends it (UpdateStarting).
func (s *Store) AppendEventDeferred(deploymentID string, ev Event) error {
	if d, ok := s.storage.(deferredAppender); ok {
		return s.appendEvent(deploymentID, ev, d.AppendDeferred)
	}
	return s.AppendEvent(deploymentID, ev)
}

// deferredAppender is a Storage whose appends can leave their durability
// to a later one (Dir: no fdatasync of their own).
type deferredAppender interface {
	AppendDeferred(name string, data []byte) error
}

func (s *Store) appendEvent(deploymentID string, ev Event, appendFn func(string, []byte) error) error {
	if _, cas := s.storage.(casWriter); cas {
		// Creating the file is conditional and appends are atomic there.
		return s.appendEventLocked(deploymentID, ev, appendFn)
	}
	unlock, err := s.lockWrite("append event")
	if err != nil {
		return err
	}
	defer unlock()
	return s.appendEventLocked(deploymentID, ev, appendFn)
}

func (s *Store) appendEventLocked(deploymentID string, ev Event, appendFn func(string, []byte) error) error {
	if ev.Timestamp.IsZero() {
		ev.Timestamp = s.now()
	}
	entry, err := ev.entry()
	if err != nil {
		return fmt.Errorf("event %s: %w", ev.Action, err)
	}
	// Create the file with its header if it is not there (a stat, not a
	// read: the log only grows); the write lock rules out a race.
	head, err := eventsHeader(deploymentID, ev.Timestamp)
	if err != nil {
		return err
	}
	_, err = s.storage.Write(EventsFile, append(head, entry...), "")
	if !errors.Is(err, ErrVersionMismatch) {
		return err
	}
	err = appendFn(EventsFile, entry)
	if errors.Is(err, ErrTornTail) {
		if err := s.repairEvents(); err != nil {
			return err
		}
		err = appendFn(EventsFile, entry)
	}
	return err
}

// repairEvents cuts an events file back to its last whole line, after an
// append a crash cut short: the cut bytes are kept beside it, in
// deployment-events.yaml.torn-<UTC time>, and an event says so.
func (s *Store) repairEvents() error {
	data, ver, err := s.storage.Read(EventsFile)
	if err != nil {
		return err
	}
	cut := bytes.LastIndexByte(data, '\n') + 1
	torn := data[cut:]
	if len(torn) == 0 {
		return nil
	}
	kept := EventsFile + ".torn-" + s.now().UTC().Format("20060102T150405.000Z")
	if _, err := s.storage.Write(kept, torn, AnyVersion); err != nil {
		return fmt.Errorf("keep the cut-short end of %s: %w", s.storage.Location(EventsFile), err)
	}
	if _, err := s.storage.Write(EventsFile, data[:cut], ver); err != nil {
		return fmt.Errorf("repair %s: %w", s.storage.Location(EventsFile), err)
	}
	entry, err := Event{Timestamp: s.now(), Action: "events_repaired",
		Message: fmt.Sprintf("The last event was cut short (%d bytes, kept in %s) and was removed", len(torn), s.storage.Location(kept))}.entry()
	if err != nil {
		return err
	}
	return s.storage.Append(EventsFile, entry)
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

// Events reads the whole events list.
func (s *Store) Events() ([]Event, error) {
	data, _, err := s.storage.Read(EventsFile)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Events []Event `yaml:"events"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w (repair or move the file; k0flow appends to it only when its last line is whole)", s.storage.Location(EventsFile), err)
	}
	return doc.Events, nil
}
