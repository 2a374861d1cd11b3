package statestore

import (
	"bytes"
	"io"
	"os"
	"path"
	"path/filepath"
)

// Phase logs are storage names too, logs/<run_id>/<phase>.log: a runner
// writes one through the writer the store gives, and readers take its tail
// or its bytes from the store, wherever it lives.

// LogName is where a phase's output goes.
func LogName(runID, phase string) string { return path.Join(LogsDir, runID, phase+".log") }

// OpenLog returns a writer that appends to the log name as output arrives.
func (s *Store) OpenLog(name string) (io.WriteCloser, error) {
	return s.storage.Stream(filepath.ToSlash(name))
}

// LogLocation says where a log lives, for messages.
func (s *Store) LogLocation(name string) string { return s.storage.Location(filepath.ToSlash(name)) }

// ReadLog returns a log's bytes.
func (s *Store) ReadLog(name string) ([]byte, error) {
	data, _, err := s.storage.Read(filepath.ToSlash(name))
	return data, err
}

// tailWindow is how much of a log's end LogTail reads, so that a huge log
// costs no more than a small one where the storage can read a part.
const tailWindow = 64 << 10

// tailReader is a Storage that can read the end of a name without the rest.
type tailReader interface {
	ReadTail(name string, max int64) (data []byte, cut bool, err error)
}

// LogTail returns the last n lines of a log, "" when there is none.
func (s *Store) LogTail(name string, n int) string {
	name = filepath.ToSlash(name)
	var data []byte
	cut := false
	if tr, ok := s.storage.(tailReader); ok {
		var err error
		if data, cut, err = tr.ReadTail(name, tailWindow); err != nil {
			return ""
		}
	} else {
		all, _, err := s.storage.Read(name)
		if err != nil {
			return ""
		}
		data = all
		if len(all) > tailWindow {
			data, cut = all[len(all)-tailWindow:], true
		}
	}
	return tailLines(data, cut, n)
}

func tailLines(buf []byte, cut bool, n int) string {
	buf = bytes.TrimRight(buf, "\n")
	lines := bytes.Split(buf, []byte("\n"))
	if cut && len(lines) > 1 {
		lines = lines[1:] // the first line is probably cut
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return ValidText(string(bytes.Join(lines, []byte("\n"))))
}

// ReadTail implements tailReader: the last max bytes of the file.
func (d *Dir) ReadTail(name string, max int64) ([]byte, bool, error) {
	f, err := openNoFollow(d.file(name), os.O_RDONLY, 0)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, false, err
	}
	off := info.Size() - max
	if off < 0 {
		off = 0
	}
	data, err := io.ReadAll(io.NewSectionReader(f, off, max))
	return data, off > 0, err
}
