package state

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/libct/libct/internal/sysfile"
)

// A container's directory is built under a temporary name in the root,
// ".NAME.PID-START.RANDOM", and renamed into place. PID and START (its
// start time in clock ticks since boot, /proc/PID/stat field 22) name the
// creating process for good: a process killed between the two steps
// leaves the directory behind, and any later process can tell that its
// creator is dead (no such pid, or a pid reused by a process that started
// at another time) and remove it. Nothing else in the root has a name of
// that form.

// creator is this process's tag in the names of its temporary
// directories, read once per store.
type creator struct {
	once sync.Once
	tag  string
}

func (c *creator) get() string {
	c.once.Do(func() {
		pid := os.Getpid()
		start, _ := processStartTime(pid)
		c.tag = strconv.Itoa(pid) + "-" + strconv.FormatUint(start, 10)
	})
	return c.tag
}

// tempPrefix is the prefix of a temporary directory of container name,
// made by this process.
func (s *Store) tempPrefix(name string) string {
	return "." + name + "." + s.creator.get() + "."
}

// SweepTemp removes the temporary directories of creates whose creator is
// dead. List does it on its own; Open does it when a container is not
// found, and Create when the name is taken, so that a killed create's
// leftovers go with the next operation that would meet them. A root full
// of containers is not read on every create for them.
func (s *Store) SweepTemp() error {
	entries, err := os.ReadDir(s.root)
	if err != nil {
		return err
	}
	s.sweep(entries)
	return nil
}

func (s *Store) sweep(entries []os.DirEntry) {
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), ".") {
			continue
		}
		pid, start, ok := creatorOf(e.Name())
		if !ok {
			continue
		}
		if now, alive := processStartTime(pid); alive && now == start {
			continue // its creator is still at work
		}
		os.RemoveAll(filepath.Join(s.root, e.Name()))
	}
}

// creatorOf parses the PID-START part of a temporary directory's name.
func creatorOf(name string) (pid int, start uint64, ok bool) {
	parts := strings.Split(name, ".")
	if len(parts) < 4 {
		return 0, 0, false
	}
	p, st, found := strings.Cut(parts[len(parts)-2], "-")
	if !found {
		return 0, 0, false
	}
	pid, err1 := strconv.Atoi(p)
	start, err2 := strconv.ParseUint(st, 10, 64)
	if err1 != nil || err2 != nil || pid <= 0 {
		return 0, 0, false
	}
	return pid, start, true
}

// processStartTime reads the start time of process pid; alive is false
// when there is no such process, or only its zombie (it can create
// nothing more).
func processStartTime(pid int) (start uint64, alive bool) {
	data, err := sysfile.ReadPseudo("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// Fields start after the command name's last ')'; field 3 is the
	// state, field 22 the start time.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, false
	}
	fields := bytes.Fields(data[i+1:])
	if len(fields) < 20 {
		return 0, false
	}
	start, err = strconv.ParseUint(string(fields[19]), 10, 64)
	if err != nil {
		return 0, false
	}
	return start, fields[0][0] != 'Z' && fields[0][0] != 'X'
}
