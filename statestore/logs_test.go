package statestore

import (
	"strings"
	"testing"
)

func TestLogTailReturnsLastLines(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 10000; i++ {
		b.WriteString(strings.Repeat("x", 10) + "\n")
	}
	b.WriteString("last one\n")
	for name, storage := range map[string]Storage{"dir": &Dir{Path: t.TempDir()}, "memory": NewMemory()} {
		t.Run(name, func(t *testing.T) {
			s := OpenStorage("", storage)
			w, err := s.OpenLog(LogName("r1", "p"))
			if err != nil {
				t.Fatal(err)
			}
			_, _ = w.Write([]byte(b.String()))
			_ = w.Close()
			if got := s.LogTail(LogName("r1", "p"), 2); got != "xxxxxxxxxx\nlast one" {
				t.Errorf("LogTail = %q", got)
			}
			if got := s.LogTail(LogName("r1", "none"), 2); got != "" {
				t.Errorf("LogTail of no log = %q", got)
			}
		})
	}
}

// A log tail is stored in the state, which holds text: bytes that are not
// UTF-8 are shown as U+FFFD there; the log keeps them.
func TestLogTailOfBinaryOutputIsText(t *testing.T) {
	s := OpenStorage("", NewMemory())
	w, _ := s.OpenLog(LogName("r1", "p"))
	_, _ = w.Write([]byte("ok\nbad \xff\xfe end\n"))
	if got := s.LogTail(LogName("r1", "p"), 1); got != "bad \ufffd end" {
		t.Errorf("LogTail = %q", got)
	}
	data, _ := s.ReadLog(LogName("r1", "p"))
	if string(data) != "ok\nbad \xff\xfe end\n" {
		t.Errorf("the log changed: %q", data)
	}
}
