package statestore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"
)

// Dir is Storage in a local directory: files are 0600 in 0700 directories,
// writes go to a temp file that is fsynced and renamed over the old one, and
// locks are flock(2) on dot-files beside the state. Archives (names under
// ArchivePrefix) live in old_deployments/ beside the directory.
type Dir struct {
	Path string

	cleaned sync.Map // temp-file prefixes whose leftovers were removed (removeStaleOnce)
}

var _ Storage = (*Dir)(nil)

func (d *Dir) file(name string) string {
	if rest, ok := strings.CutPrefix(name, ArchivePrefix); ok {
		return filepath.Join(filepath.Dir(d.Path), strings.TrimSuffix(ArchivePrefix, "/"), filepath.FromSlash(rest))
	}
	return filepath.Join(d.Path, filepath.FromSlash(name))
}

// root is the directory name's file lives under: the state directory, or
// old_deployments/ for an archive.
func (d *Dir) root(name string) string {
	if strings.HasPrefix(name, ArchivePrefix) {
		return filepath.Join(filepath.Dir(d.Path), strings.TrimSuffix(ArchivePrefix, "/"))
	}
	return d.Path
}

// Location implements Storage.
func (d *Dir) Location(name string) string { return d.file(name) }

// Read implements Storage. A file k0flow keeps is never a symbolic link:
// a save replaces the file by renaming over it, which would leave a link's
// target stale, so a link is refused rather than followed.
func (d *Dir) Read(name string) ([]byte, string, error) {
	f, err := openNoFollow(d.file(name), os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("%s: %w", d.file(name), ErrNotExist)
	}
	if errors.Is(err, fs.ErrPermission) {
		return nil, "", fmt.Errorf("%w (k0flow keeps a state directory private to its owner: run k0flow as that user)", err)
	}
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	data, err := readAll(f)
	if err != nil {
		return nil, "", err
	}
	return data, version(data), nil
}

// readAll is io.ReadAll sized by the file's length: one read(2) for a
// state file instead of one for each doubling of a 512-byte buffer.
func readAll(f *os.File) ([]byte, error) {
	var buf bytes.Buffer
	if info, err := f.Stat(); err == nil && info.Mode().IsRegular() {
		buf.Grow(int(info.Size()) + bytes.MinRead) // ReadFrom then reads into it, and grows no more
	}
	_, err := buf.ReadFrom(f)
	return buf.Bytes(), err
}

// openNoFollow opens a file of the state directory without following a
// symbolic link planted in its place (a link named .run.lock made a run
// truncate its target; one named deployment-events.yaml got appended to).
func openNoFollow(path string, flag int, perm os.FileMode) (*os.File, error) {
	f, err := os.OpenFile(path, flag|syscall.O_NOFOLLOW, perm)
	if errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("%s is a symbolic link; k0flow does not follow links in its state directory (they could point anywhere): remove it, or point state_dir at the real directory", path)
	}
	return f, err
}

// version names a file's content for Write's compare-and-swap. Versions
// are compared only within this process (a read, then a write), so a
// seeded 64-bit hash serves, at a fraction of SHA-256's cost on every
// read: the same chance of two contents colliding.
func version(data []byte) string {
	return strconv.FormatUint(maphash.Bytes(versionSeed, data), 16)
}

var versionSeed = maphash.MakeSeed()

// Write implements Storage.
func (d *Dir) Write(name string, data []byte, ifVersion string) (string, error) {
	if err := d.ensureParent(name); err != nil {
		return "", err
	}
	if err := d.checkVersion(name, ifVersion); err != nil {
		return "", err
	}
	if err := d.replace(name, data); err != nil {
		return "", err
	}
	return version(data), nil
}

// checkVersion compares name's version with ifVersion; "must not exist"
// needs only a stat, not a read of the bytes.
func (d *Dir) checkVersion(name, ifVersion string) error {
	cur := ""
	switch ifVersion {
	case AnyVersion:
		return nil
	case "":
		if _, err := os.Stat(d.file(name)); err == nil {
			cur = "exists"
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	default:
		_, v, err := d.Read(name)
		if err != nil && !errors.Is(err, ErrNotExist) {
			return err
		}
		cur = v
	}
	if cur != ifVersion {
		return fmt.Errorf("write %s: %w", d.file(name), ErrVersionMismatch)
	}
	return nil
}

// WriteKeepingBackup is Write that keeps the replaced file as
// name+".backup" by hard-linking it: its bytes are already on disk, so the
// backup costs no copy and no fsync.
//
// Not durable, the write is still atomic and survives the process (a
// SIGKILL), but not the machine: no fsync, for a transition whose loss in
// a power cut is harmless (a phase recorded as started).
func (d *Dir) WriteKeepingBackup(name string, data []byte, ifVersion string, durable bool) (string, error) {
	if err := d.ensureParent(name); err != nil {
		return "", err
	}
	_, cur, err := d.Read(name)
	exists := err == nil
	switch {
	case err != nil && !errors.Is(err, ErrNotExist):
		return "", err
	case exists && cur != ifVersion, !exists && ifVersion != "":
		return "", fmt.Errorf("write %s: %w", d.file(name), ErrVersionMismatch)
	}
	// The new bytes are written first: a write that fails (a full disk)
	// leaves both the state and its previous backup as they were.
	tmp, err := d.writeTemp(name, data, durable)
	if err != nil {
		return "", err
	}
	if exists {
		if err := d.link(name, name+".backup"); err != nil {
			os.Remove(tmp)
			return "", err
		}
	}
	if err := d.commit(tmp, name, durable); err != nil {
		return "", err
	}
	return version(data), nil
}

// link makes dst another name of src's current file, atomically.
func (d *Dir) link(src, dst string) error {
	prefix := "." + path.Base(dst) + ".link-"
	tmp := filepath.Join(filepath.Dir(d.file(dst)), prefix+strconv.Itoa(os.Getpid()))
	d.removeStaleOnce(filepath.Dir(tmp), prefix)
	err := os.Link(d.file(src), tmp)
	if errors.Is(err, fs.ErrExist) { // this process's, left by a failed save
		_ = os.Remove(tmp)
		err = os.Link(d.file(src), tmp)
	}
	if err != nil {
		return err
	}
	// The backup holds what the state held (WireGuard private keys): 0600
	// whatever mode the old file had, such as a v1 file bash made 0644.
	if err := os.Chmod(tmp, 0o600); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, d.file(dst))
}

// replace atomically puts data at name: temp file, fsync, rename, fsync dir.
func (d *Dir) replace(name string, data []byte) error { return d.put(name, data, true) }

// put is replace, durable or not.
func (d *Dir) put(name string, data []byte, durable bool) error {
	tmp, err := d.writeTemp(name, data, durable)
	if err != nil {
		return err
	}
	return d.commit(tmp, name, durable)
}

// writeTemp writes data to a new temp file beside name (0600, fsynced when
// durable) and returns its path; on failure nothing is left. Temp files a
// killed process left beside name go first.
func (d *Dir) writeTemp(name string, data []byte, durable bool) (string, error) {
	path := d.file(name)
	prefix := "." + filepath.Base(path) + ".tmp-"
	d.removeStaleOnce(filepath.Dir(path), prefix)
	tmp, err := os.CreateTemp(filepath.Dir(path), prefix+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return "", err
	}
	fail := func(err error) (string, error) {
		tmp.Close()
		os.Remove(tmp.Name())
		return "", err
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		return fail(err)
	}
	if durable {
		if err := tmp.Sync(); err != nil {
			return fail(err)
		}
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return tmp.Name(), nil
}

// commit renames a temp file over name (and fsyncs the directory when
// durable). A rename that fails removes the temp file.
func (d *Dir) commit(tmp, name string, durable bool) error {
	path := d.file(name)
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	if !durable {
		return nil
	}
	return syncDir(filepath.Dir(path))
}

// removeStaleOnce is removeStale the first time this Dir writes a name:
// what a killed process left is there before this one's first save, and
// this process leaves nothing behind it.
func (d *Dir) removeStaleOnce(dir, prefix string) {
	if _, done := d.cleaned.LoadOrStore(filepath.Join(dir, prefix), true); !done {
		removeStale(dir, prefix)
	}
}

// removeStale removes the files of dir named prefix<pid>-... whose process
// is gone: what a save killed midway left. A live process's are its own.
func removeStale(dir, prefix string) {
	matches, _ := filepath.Glob(filepath.Join(dir, prefix+"*"))
	for _, m := range matches {
		pidText, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(m), prefix), "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid == os.Getpid() || pid <= 0 {
			continue
		}
		if errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			_ = os.Remove(m)
		}
	}
}

func syncDir(path string) error {
	dir, err := os.Open(path)
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}

// ensureDir makes the state directory 0700, or checks the one there: like
// ssh with a loose key, k0flow refuses to write state (WireGuard keys, the
// digest key) into a directory others can write to, where they could plant
// links or replace files.
func (d *Dir) ensureDir() error {
	info, err := os.Stat(d.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return os.MkdirAll(d.Path, 0o700)
	}
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return fmt.Errorf("%s is not a directory", d.Path)
	}
	if perm := info.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("state directory %s is writable by group or others (mode %04o): others could replace what k0flow keeps there; run chmod go-w %s", d.Path, perm, d.Path)
	}
	return nil
}

// ensureParent makes the directories name lives in: the state directory
// (checked as ensureDir does) and any below it, 0700.
func (d *Dir) ensureParent(name string) error {
	if d.root(name) == d.Path {
		if err := d.ensureDir(); err != nil {
			return err
		}
	}
	return os.MkdirAll(filepath.Dir(d.file(name)), 0o700)
}

// Append implements Storage. The bytes go out in one write(2) to a file
// opened for appending, then fdatasync: a crash can cut them short, never
// interleave them, and a cut is found by the next append.
func (d *Dir) Append(name string, data []byte) error { return d.append(name, data, true) }

// AppendDeferred is Append without its fdatasync: the bytes survive the
// process (a SIGKILL) at once and the machine from the next Append of the
// same file, whose fdatasync writes them too.
func (d *Dir) AppendDeferred(name string, data []byte) error { return d.append(name, data, false) }

func (d *Dir) append(name string, data []byte, durable bool) error {
	if err := d.ensureParent(name); err != nil {
		return err
	}
	f, err := openNoFollow(d.file(name), os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if size := info.Size(); size > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, size-1); err != nil {
			return err
		}
		if last[0] != '\n' {
			return fmt.Errorf("%s %w", d.file(name), ErrTornTail)
		}
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if durable {
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			return err
		}
	}
	return f.Close()
}

// Stream implements Storage: the file, opened for appending.
func (d *Dir) Stream(name string) (io.WriteCloser, error) {
	if err := d.ensureParent(name); err != nil {
		return nil, err
	}
	return openNoFollow(d.file(name), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
}

// List implements Storage: the files under the directory prefix names
// (or beginning with it, in that directory), without the temp and lock
// files k0flow keeps beside them.
func (d *Dir) List(prefix string) ([]string, error) {
	dirName, _ := path.Split(prefix)
	var out []string
	if err := d.list(dirName, prefix, &out); err != nil {
		return nil, err
	}
	sort.Strings(out)
	return out, nil
}

// list adds the files under dir (a name ending in a slash, or empty)
// that begin with prefix. It reads each directory once, unsorted and
// without a stat per file: listing a thousand run records is what status
// and history pay for the history (filepath.WalkDir took twice as long).
func (d *Dir) list(dir, prefix string, out *[]string) error {
	f, err := os.Open(d.file(dir)) // reading a directory writes nothing through a link
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	entries, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := dir + e.Name()
		switch {
		case strings.HasPrefix(e.Name(), "."):
		case e.IsDir():
			if strings.HasPrefix(name, prefix) {
				if err := d.list(name+"/", prefix, out); err != nil {
					return err
				}
			}
		case strings.HasPrefix(name, prefix):
			*out = append(*out, name)
		}
	}
	return nil
}

// Move implements Storage with rename(2).
func (d *Dir) Move(from, to string) error {
	if _, err := os.Lstat(d.file(to)); err == nil {
		return fmt.Errorf("move to %s: %w", d.file(to), fs.ErrExist)
	}
	if err := d.ensureParent(to); err != nil {
		return err
	}
	if err := os.Rename(d.file(from), d.file(to)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: %w", d.file(from), ErrNotExist)
		}
		return err
	}
	d.removeEmptyParents(from)
	return syncDir(filepath.Dir(d.file(to)))
}

// Remove implements Storage. A directory left empty by it goes too, so a
// run whose logs were all moved leaves nothing behind.
func (d *Dir) Remove(name string) error {
	err := os.Remove(d.file(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	d.removeEmptyParents(name)
	return nil
}

// removeEmptyParents removes the directories a name lived in that are left
// empty, up to (not including) the state directory or old_deployments/.
func (d *Dir) removeEmptyParents(name string) {
	root := d.root(name)
	for dir := filepath.Dir(d.file(name)); dir != root && strings.HasPrefix(dir, root+string(filepath.Separator)); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil {
			return
		}
	}
}

// Lock implements Storage with flock(2). The holder is written into the
// lock file so that a refused process can say who is in the way. The lock
// dies with the process, so a runner killed outright never leaves it held.
func (d *Dir) Lock(ctx context.Context, name string, holder LockHolder, wait bool) (Unlocker, error) {
	if err := d.ensureDir(); err != nil {
		return nil, err
	}
	path := d.file("." + name + ".lock")
	f, err := openNoFollow(path, os.O_RDWR|os.O_CREATE, 0o600)
	if errors.Is(err, fs.ErrPermission) {
		return nil, fmt.Errorf("take the %s lock: %w (the state directory %s is not writable by this user: k0flow keeps it private to its owner; run k0flow as that user, or point --state-dir elsewhere)", name, err, d.Path)
	}
	if err != nil {
		return nil, err
	}
	if err := flockContext(ctx, f, wait); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &LockedError{Lock: name + " lock", Holder: readHolder(path)}
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := writeHolder(f, holder); err != nil {
		f.Close()
		return nil, err
	}
	return func() error {
		// Clear the holder first so nobody reads a stale one.
		_ = f.Truncate(0)
		return f.Close()
	}, nil
}

// flockContext takes an exclusive flock. Waiting, it polls without
// blocking so that a done context ends the wait: a blocking flock(2) cannot
// be cancelled.
func flockContext(ctx context.Context, f *os.File, wait bool) error {
	delay := time.Millisecond
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case !errors.Is(err, syscall.EWOULDBLOCK) || !wait:
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		if delay < 8*time.Millisecond {
			delay *= 2
		}
	}
}

func writeHolder(f *os.File, h LockHolder) error {
	data, err := json.Marshal(h) // JSON is YAML: readHolder reads either
	if err != nil {
		return err
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err = f.WriteAt(data, 0)
	return err
}

func readHolder(path string) LockHolder {
	var h LockHolder
	// The holder may be mid-write; a partial read just names less.
	for i := 0; i < 5; i++ {
		data, err := os.ReadFile(path)
		if err == nil && len(data) > 0 && yaml.Unmarshal(data, &h) == nil {
			return h
		}
		time.Sleep(20 * time.Millisecond)
	}
	return h
}

// removeIfOnlyLocks removes the state directory when nothing but k0flow's
// lock files is left in it, as v1's cleanup removed its state directory.
func (d *Dir) removeIfOnlyLocks() bool {
	entries, err := os.ReadDir(d.Path)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if e.Name() != ".write.lock" {
			return false
		}
	}
	_ = os.Remove(filepath.Join(d.Path, ".write.lock"))
	return os.Remove(d.Path) == nil
}
