package libct

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/libct/libct/cgroups"
	"github.com/libct/libct/internal/faultpoint"
)

// intentFile records, before a start makes anything outside the state
// directory, what it is about to make: the cgroup, the root under which it
// mounts in the caller's mount namespace, and the init (its pid and start
// time) when nothing else can find it. A start killed at any point before
// state.json names its init leaves this file, and Destroy removes what it
// names; Destroy falls back on it too when state.json is damaged or gone.
//
// Durability: the file is replaced atomically (written whole under a
// temporary name, then renamed), never synced. It survives the death of
// the process that writes it, at any instruction, which is the failure it
// is for: an engine, a shim or a timeout killing ct. It does not survive a
// crash of the machine, and need not: the processes, cgroups, mounts and
// veths it names do not survive one either. (A sync would cost a disk
// flush on every start where the root is on a disk file system.)
//
// Cost: a start writes it at most once. A start that makes a cgroup or
// host mounts writes it before the first of them and does not write the
// init's pid there: the init is cloned straight into the cgroup, where
// Destroy finds it. A start that makes neither writes it right after the
// clone, with the init's pid and start time.
const intentFile = "intent.json"

// writeIntent records rec as what this start makes, in place of what it
// recorded before (l.intent).
func (l *launch) writeIntent(rec *record) error {
	path := l.c.dir.File(intentFile)
	if err := l.c.dir.Write(intentFile, rec); err != nil {
		return fmt.Errorf("container %q: record what the start makes: %w", l.c.name, err)
	}
	l.intent = *rec
	l.undo.add(func() { os.Remove(path) })
	faultpoint.Hit("intent")
	return nil
}

// recordsBeforeClone tells whether the start makes something on the host
// before the init exists: then the intent is written before that.
func recordsBeforeClone(rec *record) bool {
	return rec.Cgroup != nil || rec.HostMounts != ""
}

// planCgroup puts the cgroup the start is about to make in rec.
func (l *launch) planCgroup(rec *record) error {
	if l.cfg.Cgroup == nil {
		return nil
	}
	st, err := cgroups.Plan(l.cfg.Cgroup)
	if err != nil {
		return startError(l.c.name, "cgroup", err)
	}
	rec.Cgroup = &st
	return nil
}

// readIntent loads the intent of the last start, or nil when there is
// none (no start, or one that finished and was undone) or it cannot be
// read.
func (c *Container) readIntent() *record {
	var rec record
	if err := c.dir.Read(intentFile, &rec); err != nil {
		return nil
	}
	return &rec
}

// mergeIntent completes rec, a record that names nothing a start made,
// with the intent of a start whose creator died before it wrote its
// record.
func mergeIntent(rec, intent *record) {
	if intent == nil {
		return
	}
	if rec.Pid == 0 {
		rec.Pid, rec.StartTime, rec.PidNS = intent.Pid, intent.StartTime, intent.PidNS
	}
	if rec.Cgroup == nil {
		rec.Cgroup = intent.Cgroup
	}
	if rec.HostMounts == "" {
		rec.HostMounts = intent.HostMounts
	}
	if rec.Network == nil {
		rec.Network = intent.Network
	}
}

// namesNothing tells whether a record names nothing a start made: a
// container never started, or one whose start was killed before its
// record was written.
func (rec *record) namesNothing() bool {
	return rec.Pid == 0 && rec.Cgroup == nil && rec.HostMounts == "" && rec.Network == nil && len(rec.HeldNamespaces) == 0
}

// recoveredRecord rebuilds, for Destroy, the record of a container whose
// state.json is damaged or missing: from the intent of its last start,
// and, when that names no cgroup, from the cgroup its config names (the
// default /libct/NAME or the configured path), so that every process in
// it is found and killed.
func (c *Container) recoveredRecord() *record {
	rec := &record{}
	mergeIntent(rec, c.readIntent())
	if rec.Cgroup == nil {
		if cfg, _, err := c.storedConfig(); err == nil && cfg.Cgroup != nil {
			if st, err := cgroups.Plan(cfg.Cgroup); err == nil {
				rec.Cgroup = &st
			}
		} else if err != nil {
			// No config either: the default cgroup of the name, when the
			// host has it.
			if st, err := cgroups.Plan(&cgroups.Config{Path: cgroups.DefaultPath(c.name)}); err == nil && cgroupExists(st) {
				rec.Cgroup = &st
			}
		}
	}
	return rec
}

// cgroupExists tells whether any directory of the cgroup st exists.
func cgroupExists(st cgroups.State) bool {
	dirs := []string{st.Unified}
	for _, d := range st.V1 {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		if _, err := os.Lstat(d); err == nil {
			return true
		}
	}
	return false
}

// stateFileError explains why state.json of the container could not be
// read: a *StateFileError when the directory is there but the document is
// missing or undecodable, ErrNotExist when the container itself is gone.
func (c *Container) stateFileError(err error) error {
	path := c.dir.File(stateFile)
	if errors.Is(err, fs.ErrNotExist) {
		if _, statErr := os.Lstat(c.dir.Path()); statErr != nil {
			return fmt.Errorf("container %q: %w", c.name, ErrNotExist)
		}
		return &StateFileError{Container: c.name, Path: path, Problem: "is missing"}
	}
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return fmt.Errorf("container %q: read state: %w", c.name, err)
	}
	if info, statErr := os.Stat(path); statErr == nil && info.Size() == 0 {
		return &StateFileError{Container: c.name, Path: path, Problem: "is empty"}
	}
	if inner := errors.Unwrap(err); inner != nil {
		err = inner // Decode's error names the file, which the message does
	}
	return &StateFileError{Container: c.name, Path: path, Problem: "cannot be decoded", Err: err}
}
