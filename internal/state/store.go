// Package state keeps each container's files under a session root: one
// directory per container, JSON documents written atomically, and a lock
// that serializes every process working on the same container.
//
// A directory appears whole: it is built under a temporary name and renamed
// into place, so a reader never sees a container without its config.
package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/faultpoint"
	"github.com/libct/libct/internal/sysfile"
)

// ErrExist and ErrNotExist are returned, wrapped, when a container
// directory already exists or does not exist.
var (
	ErrExist    = fs.ErrExist
	ErrNotExist = fs.ErrNotExist
)

// Store is the session root.
type Store struct {
	root    string
	creator creator
}

// NewStore opens (creating when needed) the state root.
func NewStore(root string) (*Store, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("state root %q: %w", root, err)
	}
	return &Store{root: root}, nil
}

// Root is the directory the store lives in.
func (s *Store) Root() string { return s.root }

// Create makes the directory of container name holding the given
// documents (file name to value), all at once.
func (s *Store) Create(name string, docs map[string]any) (*Dir, error) {
	tmp, err := os.MkdirTemp(s.root, s.tempPrefix(name))
	if err != nil {
		return nil, fmt.Errorf("create state of %q: %w", name, err)
	}
	// Nobody sees the directory before the rename below: its documents
	// are written in place, without writeJSON's rename of each. A process
	// killed before the rename leaves it to the next SweepTemp.
	for file, v := range docs {
		if err := writeNew(filepath.Join(tmp, file), v); err != nil {
			os.RemoveAll(tmp)
			return nil, err
		}
	}
	faultpoint.Hit("state dir")
	final := filepath.Join(s.root, name)
	// rename(2) onto an existing non-empty directory fails, so two
	// creators of one name cannot both win.
	if err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, final, unix.RENAME_NOREPLACE); err != nil {
		os.RemoveAll(tmp)
		if errors.Is(err, unix.EEXIST) || errors.Is(err, unix.ENOTEMPTY) {
			s.SweepTemp()
			return nil, fmt.Errorf("container %q: %w", name, ErrExist)
		}
		return nil, fmt.Errorf("create state of %q: %w", name, err)
	}
	return &Dir{path: final}, nil
}

// Open finds the directory of container name.
func (s *Store) Open(name string) (*Dir, error) {
	path := filepath.Join(s.root, name)
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			s.SweepTemp()
			return nil, fmt.Errorf("container %q: %w", name, ErrNotExist)
		}
		return nil, err
	}
	return &Dir{path: path}, nil
}

// List returns the names of the containers in the store.
func (s *Store) List() ([]string, error) {
	entries, err := os.ReadDir(s.root)
	if err != nil {
		return nil, err
	}
	s.sweep(entries)
	var names []string
	for _, e := range entries {
		if e.IsDir() && e.Name()[0] != '.' {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// Dir is one container's directory.
type Dir struct {
	path string
}

// Path is the directory's host path.
func (d *Dir) Path() string { return d.path }

// File is the host path of a file in the directory.
func (d *Dir) File(name string) string { return filepath.Join(d.path, name) }

// Lock takes the container's exclusive lock and returns its release. It
// fails with ErrNotExist when the directory was removed while waiting:
// the container was destroyed by whoever held the lock.
func (d *Dir) Lock() (unlock func(), err error) {
	fd, err := unix.Open(d.path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil, fmt.Errorf("container %q: %w", filepath.Base(d.path), ErrNotExist)
		}
		return nil, fmt.Errorf("lock %s: %w", d.path, err)
	}
	for {
		err = unix.Flock(fd, unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("lock %s: %w", d.path, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Nlink == 0 {
		unix.Close(fd)
		return nil, fmt.Errorf("container %q: %w", filepath.Base(d.path), ErrNotExist)
	}
	return func() { unix.Close(fd) }, nil
}

// Write stores v as JSON in file, atomically: a reader sees the old or the
// new document, never a torn one, even across a crash.
func (d *Dir) Write(file string, v any) error {
	return writeJSON(d.File(file), v)
}

// Read loads the JSON document file into v.
func (d *Dir) Read(file string, v any) error {
	data, err := d.ReadBytes(file)
	if err != nil {
		return err
	}
	return d.Decode(file, data, v)
}

// ReadBytes returns the document file as stored, for a caller that keeps
// what it decoded from the same bytes before.
func (d *Dir) ReadBytes(file string) ([]byte, error) {
	return sysfile.Read(d.File(file))
}

// Decode decodes data, the document file as ReadBytes returned it, into
// v, with Read's errors.
func (d *Dir) Decode(file string, data []byte, v any) error {
	if err := Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", d.File(file), err)
	}
	return nil
}

// Remove deletes the directory and everything in it.
func (d *Dir) Remove() error {
	return os.RemoveAll(d.path)
}

// writeNew writes v's JSON to path, a file that must not exist.
func writeNew(path string, v any) error {
	data, err := Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	if err := writeFile(path, data, os.O_EXCL); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// writeFile creates path with data; flag adds to O_WRONLY|O_CREATE.
func writeFile(path string, data []byte, flag int) error {
	return sysfile.Create(path, data, flag, 0o600)
}

// writeJSON replaces path with v's JSON through a temporary file, so that
// a reader sees the old document or the new one, never a part. It does
// not fsync: the files describe processes, which a crash of the machine
// ends too, so there is nothing for them to survive, and a sync on the
// start path costs a disk flush on every container.
func writeJSON(path string, v any) error {
	data, err := Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	tmp := path + ".tmp" + strconv.Itoa(os.Getpid())
	err = writeFile(tmp, data, os.O_TRUNC)
	if err == nil {
		err = replace(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// replace moves tmp to path, over the file there. It swaps the two
// (RENAME_EXCHANGE) and removes the old one, rather than renaming over it:
// ext4 takes a rename over an existing file for an application's
// replace-by-rename and starts writing the new file to disk on the spot
// (its auto_da_alloc): CPU and a disk request on every update of a
// container's state, which needs neither. Without a file at path, or on a file
// system without the exchange, it renames.
func replace(tmp, path string) error {
	err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, path, unix.RENAME_EXCHANGE)
	switch err {
	case nil:
		// The new document is in place. The old one, now under the
		// temporary name, goes; were it to stay, it would go with the
		// directory.
		os.Remove(tmp)
		return nil
	case unix.ENOENT, unix.EINVAL, unix.ENOSYS:
		return os.Rename(tmp, path)
	}
	return &os.LinkError{Op: "renameat2 RENAME_EXCHANGE", Old: tmp, New: path, Err: err}
}

// Marshal encodes a document: with its generated codec when it has one
// (MarshalEasyJSON), with encoding/json otherwise. encoding/json prepares
// every type a document can hold on its first use in a process, and for
// a container's config that preparation cost more CPU than the rest of a
// ct create did in Go; the generated codec writes the same document
// without it.
func Marshal(v any) ([]byte, error) {
	if m, ok := v.(generatedMarshaler); ok {
		var w jwriter.Writer
		m.MarshalEasyJSON(&w)
		return w.BuildBytes()
	}
	return json.Marshal(v)
}

// Unmarshal decodes a document, the reverse of Marshal.
func Unmarshal(data []byte, v any) error {
	if u, ok := v.(generatedUnmarshaler); ok {
		l := jlexer.Lexer{Data: data}
		u.UnmarshalEasyJSON(&l)
		return l.Error()
	}
	return json.Unmarshal(data, v)
}

// The methods easyjson generates. Its root package, which names them too,
// is not imported: it brings net/http, and with it crypto, into every
// binary.
type (
	generatedMarshaler   interface{ MarshalEasyJSON(*jwriter.Writer) }
	generatedUnmarshaler interface{ UnmarshalEasyJSON(*jlexer.Lexer) }
)
