package libct

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/sysfile"
)

// processStart reads the start time of pid (field 22 of /proc/PID/stat, in
// clock ticks since boot). Together with the pid it names one process for
// good: a recycled pid has another start time. alive is false for a zombie.
func processStart(pid int) (start uint64, alive bool, err error) {
	data, err := sysfile.ReadPseudo("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, false, nil
		}
		return 0, false, err
	}
	// The command name may hold spaces and parentheses: fields start
	// after the last ')'.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, false, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	fields := bytes.Fields(data[i+1:])
	// fields[0] is field 3 (state), so field 22 is fields[19].
	if len(fields) < 20 {
		return 0, false, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	start, err = strconv.ParseUint(string(fields[19]), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	state := fields[0][0]
	return start, state != 'Z' && state != 'X', nil
}

// pidfdOf opens a pidfd for pid and checks that it still names the process
// that started at start: from then on, signals sent through the pidfd
// cannot reach a process that reused the pid.
func pidfdOf(pid int, start uint64) (int, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		if errors.Is(err, unix.ESRCH) {
			return -1, os.ErrProcessDone
		}
		return -1, fmt.Errorf("pidfd_open %d: %w", pid, err)
	}
	got, alive, err := processStart(pid)
	if err != nil || !alive || got != start {
		unix.Close(fd)
		if err != nil {
			return -1, err
		}
		return -1, os.ErrProcessDone
	}
	return fd, nil
}

// waitPidfd blocks until the process behind fd has exited.
func waitPidfd(fd int) error {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, -1)
		if err != unix.EINTR {
			return err
		}
	}
}

// namespaceID is the identity of the namespace of kind name that pid is
// in: the device and inode of /proc/PID/ns/NAME.
func namespaceID(pid int, name string) (uint64, uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/"+strconv.Itoa(pid)+"/ns/"+name, &st); err != nil {
		return 0, 0, err
	}
	return st.Dev, st.Ino, nil
}

// pidsInNamespace lists the processes, seen from the caller, that live in
// the pid namespace of pid.
func pidsInNamespace(pid int) ([]int, error) {
	dev, ino, err := namespaceID(pid, "pid")
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		d, i, err := namespaceID(p, "pid")
		if err == nil && d == dev && i == ino {
			pids = append(pids, p)
		}
	}
	return pids, nil
}
