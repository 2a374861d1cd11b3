package statestore

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"
)

// Dir is Storage in a local directory: files are 0600 in a 0700 directory,
// writes go to a temp file that is fsynced and renamed over the old one, and
// locks are flock(2) on dot-files beside the state.
type Dir struct {
	Path string
}

var _ Storage = (*Dir)(nil)

func (d *Dir) file(name string) string { return filepath.Join(d.Path, name) }

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
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, "", err
	}
	return data, version(data), nil
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

func version(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}

// Write implements Storage.
func (d *Dir) Write(name string, data []byte, ifVersion string) (string, error) {
	if err := d.ensureDir(); err != nil {
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
func (d *Dir) WriteKeepingBackup(name string, data []byte, ifVersion string) (string, error) {
	if err := d.ensureDir(); err != nil {
		return "", err
	}
	if _, cur, err := d.Read(name); err == nil {
		if cur != ifVersion {
			return "", fmt.Errorf("write %s: %w", d.file(name), ErrVersionMismatch)
		}
		if err := d.link(name, name+".backup"); err != nil {
			return "", err
		}
	} else if !errors.Is(err, ErrNotExist) {
		return "", err
	} else if ifVersion != "" {
		return "", fmt.Errorf("write %s: %w", d.file(name), ErrVersionMismatch)
	}
	if err := d.replace(name, data); err != nil {
		return "", err
	}
	return version(data), nil
}

// link makes dst another name of src's current file, atomically.
func (d *Dir) link(src, dst string) error {
	tmp := d.file("." + dst + ".link-" + strconv.Itoa(os.Getpid()))
	_ = os.Remove(tmp)
	if err := os.Link(d.file(src), tmp); err != nil {
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

// WriteVolatile replaces name atomically but without fsync: for data that
// can be rebuilt, such as the decoded-state cache.
func (d *Dir) WriteVolatile(name string, data []byte) error {
	if err := d.ensureDir(); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(d.Path, "."+name+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), d.file(name))
}

// replace atomically puts data at name: temp file, fsync, rename, fsync dir.
func (d *Dir) replace(name string, data []byte) error {
	tmp, err := os.CreateTemp(d.Path, "."+name+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), d.file(name)); err != nil {
		return err
	}
	return d.syncDir()
}

func (d *Dir) syncDir() error {
	dir, err := os.Open(d.Path)
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

// Append implements Storage.
func (d *Dir) Append(name string, data []byte) error {
	if err := d.ensureDir(); err != nil {
		return err
	}
	f, err := openNoFollow(d.file(name), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Remove implements Storage.
func (d *Dir) Remove(name string) error {
	err := os.Remove(d.file(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// Lock implements Storage with flock(2). The holder is written into the
// lock file so that a refused process can say who is in the way. The lock
// dies with the process, so a runner killed outright never leaves it held.
func (d *Dir) Lock(name string, holder LockHolder, wait bool) (Unlocker, error) {
	if err := d.ensureDir(); err != nil {
		return nil, err
	}
	path := d.file("." + name + ".lock")
	f, err := openNoFollow(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	how := syscall.LOCK_EX
	if !wait {
		how |= syscall.LOCK_NB
	}
	if err := flock(f, how); err != nil {
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

func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

func writeHolder(f *os.File, h LockHolder) error {
	data, err := yaml.Marshal(h)
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
