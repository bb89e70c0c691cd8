package cgroups

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestSubmount makes the mounts of Mounts in a helper that is in the
// cgroup, with and without a cgroup namespace of its own, and checks that
// it sees its own cgroup there and can make a sub-cgroup.
func TestSubmount(t *testing.T) {
	m := create(t, Config{Controllers: []string{"memory", "pids"}})
	for _, ns := range []bool{true, false} {
		t.Run(fmt.Sprintf("cgroupns=%v", ns), func(t *testing.T) {
			dest := t.TempDir()
			mounts, _ := json.Marshal(m.Mounts(dest, ns))
			h := startHelper(t, m, "submount", strconv.FormatBool(ns), string(mounts))
			if got := h.line(30 * time.Second); got != "ok" {
				t.Fatalf("inside: %s\nmounts: %s", got, mounts)
			}
			if err := h.wait(10 * time.Second); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// submountRole, in the cgroup: a mount namespace (and a cgroup
// namespace), the mounts, then the checks.
func submountRole(args []string) error {
	ns := args[0] == "true"
	var mounts []Mount
	if err := json.Unmarshal([]byte(args[1]), &mounts); err != nil {
		return err
	}
	// Namespaces of this thread only; it does everything that follows.
	runtime.LockOSThread()
	flags := unix.CLONE_NEWNS
	if ns {
		flags |= unix.CLONE_NEWCGROUP
	}
	if err := unix.Unshare(flags); err != nil {
		return err
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return err
	}
	for _, mt := range mounts {
		if err := os.MkdirAll(mt.Destination, 0o755); err != nil {
			return err
		}
		if err := unix.Mount(mt.Source, mt.Destination, mt.Type, mt.Flags, mt.Data); err != nil {
			return fmt.Errorf("mount %+v: %w", mt, err)
		}
	}
	fail := func(format string, a ...any) error {
		fmt.Printf("fail: "+format+"\n", a...)
		return nil
	}
	if ns {
		b, err := os.ReadFile("/proc/self/cgroup")
		if err != nil {
			return err
		}
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			f := strings.SplitN(l, ":", 3)
			if len(f) == 3 && f[1] != "name=systemd" && f[2] != "/" {
				return fail("in its cgroup namespace, /proc/self/cgroup has %q", l)
			}
		}
	}
	// Every cgroup directory shows this process and takes a sub-cgroup.
	dirs := []string{mounts[0].Destination}
	if len(mounts) > 1 {
		dirs = nil
		for _, mt := range mounts[1:] {
			dirs = append(dirs, mt.Destination)
		}
	}
	me := strconv.Itoa(os.Getpid())
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "cgroup.procs"))
		if err != nil {
			return fail("%v", err)
		}
		if !slices.Contains(strings.Fields(string(b)), me) {
			return fail("%s/cgroup.procs has %q, not pid %s", d, b, me)
		}
		sub := filepath.Join(d, "sub")
		if err := os.Mkdir(sub, 0o755); err != nil {
			return fail("sub-cgroup: %v", err)
		}
		if _, err := os.Stat(filepath.Join(sub, "cgroup.procs")); err != nil {
			return fail("sub-cgroup is not a cgroup: %v", err)
		}
		if err := unix.Rmdir(sub); err != nil {
			return fail("rmdir sub-cgroup: %v", err)
		}
	}
	fmt.Println("ok")
	return nil
}
