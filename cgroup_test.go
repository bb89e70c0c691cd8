package libct_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/libct/libct"
	"github.com/libct/libct/cgroups"
)

// cgroupConfig is a busybox container in a cgroup of its own.
func cgroupConfig(t testing.TB, r libct.Resources) *libct.Config {
	cfg := busybox(t)
	cfg.Cgroup = &libct.Cgroup{Resources: r}
	return cfg
}

// cgroupDirs lists the directories of the cgroup at path in every
// hierarchy that has one.
func cgroupDirs(path string) []string {
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*" + path)
	if d := "/sys/fs/cgroup" + path; isDir(d) {
		dirs = append(dirs, d)
	}
	return dirs
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// TestCgroupLifecycle: the init starts in its cgroup, Processes lists the
// container from it, and Destroy removes the cgroup in every hierarchy.
func TestCgroupLifecycle(t *testing.T) {
	s := newSession(t)
	c, err := s.Create(uniqueName(t), cgroupConfig(t, libct.Resources{}))
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := c.Config()
	if want := cgroups.DefaultPath(c.Name()); cfg.Cgroup.Path != want {
		t.Errorf("cgroup path %q, want %q", cfg.Cgroup.Path, want)
	}
	r, w := pipe(t)
	if err := c.Spawn(&libct.Process{Args: []string{"/bin/sh", "-c", "cat /proc/self/cgroup; sleep 100 & echo started; wait"}, Stdout: w}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	buf := make([]byte, 4096)
	n, _ := r.Read(buf)
	for !strings.Contains(string(buf[:n]), "started") {
		m, err := r.Read(buf[n:])
		if err != nil {
			break
		}
		n += m
	}
	if lines := strings.Split(strings.TrimSpace(string(buf[:n])), "\n"); len(lines) < 2 {
		t.Fatalf("output %q", buf[:n])
	} else {
		for _, l := range lines[:len(lines)-1] {
			if f := strings.SplitN(l, ":", 3); len(f) == 3 && f[1] != "name=systemd" && f[2] != cfg.Cgroup.Path {
				t.Errorf("init is in %q, not in %s", l, cfg.Cgroup.Path)
			}
		}
	}
	pids, err := c.Processes()
	if err != nil || len(pids) != 2 {
		t.Errorf("Processes() = %v, %v; want the init and its sleep", pids, err)
	}
	dirs := cgroupDirs(cfg.Cgroup.Path)
	if len(dirs) == 0 {
		t.Fatal("no cgroup directory")
	}
	if err := c.Destroy(); err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if isDir(d) {
			t.Errorf("cgroup %s left after Destroy", d)
		}
	}
}

// TestCgroupEnforcement shows the limits at work from inside: a memory hog
// is OOM-killed and counted, a fork loop stops at pids.max, /dev/null
// denied refuses writes, cpuset pins.
func TestCgroupEnforcement(t *testing.T) {
	s := newSession(t)
	t.Run("memory", func(t *testing.T) {
		c, err := s.Create(uniqueName(t), cgroupConfig(t, libct.Resources{MemoryLimit: 32 << 20, MemorySwap: 32 << 20}))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Destroy()
		if err := c.Spawn(&libct.Process{Func: "hog", FuncArg: []byte("64")}); err != nil {
			t.Fatal(err)
		}
		st, _ := c.Wait()
		if st.Signal != syscall.SIGKILL {
			t.Errorf("hog ended with %v, want killed by the OOM killer", st)
		}
		stats, err := c.Stats()
		if err != nil || stats.Memory.OOMKills < 1 {
			t.Errorf("Stats() = %+v, %v; want an OOM kill counted", stats, err)
		}
	})
	t.Run("pids", func(t *testing.T) {
		out, _ := run(t, s, cgroupConfig(t, libct.Resources{PidsMax: 8}),
			sh("for i in $(seq 20); do sleep 5 & done 2>&1 | head -1; echo started $(ls -d /proc/[0-9]* | wc -l)"))
		if !strings.Contains(out, "fork") && !strings.Contains(out, "Resource temporarily unavailable") {
			t.Errorf("fork loop under pids.max 8:\n%s", out)
		}
	})
	t.Run("devices", func(t *testing.T) {
		rules := []cgroups.DeviceRule{{Allow: false, Type: "c", Major: 1, Minor: 3, Access: "w"}}
		out := mustRun(t, s, cgroupConfig(t, libct.Resources{Devices: rules}),
			sh("echo x > /dev/null 2>&1 || echo null-denied; echo x > /dev/zero && echo zero-ok; cat /dev/null && echo read-ok"))
		for _, want := range []string{"null-denied", "zero-ok", "read-ok"} {
			if !strings.Contains(out, want) {
				t.Errorf("missing %q in:\n%s", want, out)
			}
		}
	})
	t.Run("cpuset", func(t *testing.T) {
		out := mustRun(t, s, cgroupConfig(t, libct.Resources{CpusetCpus: "0"}), sh("grep Cpus_allowed_list /proc/self/status"))
		if !strings.Contains(out, "Cpus_allowed_list:\t0\n") {
			t.Errorf("cpuset 0: %s", out)
		}
	})
	t.Run("cpu quota", func(t *testing.T) {
		c, err := s.Create(uniqueName(t), cgroupConfig(t, libct.Resources{CPUQuota: 20000, CPUPeriod: 100000}))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Destroy()
		if err := c.Spawn(&libct.Process{Args: []string{"/bin/sh", "-c", "while :; do :; done"}}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		stats, err := c.Stats()
		if err != nil {
			t.Fatal(err)
		}
		if stats.CPU.ThrottledPeriods == 0 || stats.CPU.Usage > 600*time.Millisecond {
			t.Errorf("20%% quota over 1s: %+v", stats.CPU)
		}
	})
}

// TestPauseResume: a paused container makes no progress and resumes.
func TestPauseResume(t *testing.T) {
	s := newSession(t)
	dir := t.TempDir()
	cfg := cgroupConfig(t, libct.Resources{})
	cfg.Mounts = []libct.Mount{{Source: dir, Destination: "/out", Flags: libct.MountBind}}
	c, err := s.Create(uniqueName(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Destroy()
	if err := c.Spawn(&libct.Process{Args: []string{"/bin/sh", "-c", "i=0; while :; do i=$((i+1)); echo $i > /out/n.new; mv /out/n.new /out/n; done"}}); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		data, _ := os.ReadFile(filepath.Join(dir, "n"))
		n, _ := strconv.Atoi(strings.TrimSpace(string(data)))
		return n
	}
	time.Sleep(100 * time.Millisecond)
	if err := c.Pause(); err != nil {
		t.Fatal(err)
	}
	expectState(t, c, libct.Paused)
	before := count()
	time.Sleep(200 * time.Millisecond)
	if after := count(); after != before {
		t.Errorf("paused container counted from %d to %d", before, after)
	}
	if err := c.Pause(); !errors.Is(err, libct.ErrWrongState) {
		t.Errorf("Pause of a paused container: %v", err)
	}
	if err := c.Resume(); err != nil {
		t.Fatal(err)
	}
	expectState(t, c, libct.Running)
	time.Sleep(200 * time.Millisecond)
	if after := count(); after <= before {
		t.Errorf("resumed container did not count on (%d, %d)", before, after)
	}
}

// TestKillableWithoutPIDNamespace: Kill reaches every process through the
// cgroup while the container forks, with no pid namespace.
func TestKillableWithoutPIDNamespace(t *testing.T) {
	s := newSession(t)
	cfg := cgroupConfig(t, libct.Resources{})
	cfg.Namespaces = libct.NewMount | libct.NewUTS
	c, err := s.Create(uniqueName(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Destroy()
	if err := c.Spawn(&libct.Process{Args: []string{"/bin/sh", "-c", "while :; do sleep 100 & done"}}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if pids, _ := c.Processes(); len(pids) < 3 {
		t.Fatalf("forking container has %v", pids)
	}
	if err := c.Kill(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	c.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for {
		pids, _ := c.Processes()
		if len(pids) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes left after Kill: %v", pids)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if left, _ := descendantsOf(os.Getpid()); len(left) != 0 {
		t.Errorf("processes left: %v", left)
	}
}

// TestCgroupUpdate: limits change live on a running container, and raw
// parameters are read and written through the controller API.
func TestCgroupUpdate(t *testing.T) {
	s := newSession(t)
	c := sleeper(t, s, cgroupConfig(t, libct.Resources{PidsMax: 100}))
	if v, err := c.ReadController("pids", "pids.max"); err != nil || v != "100" {
		t.Errorf("pids.max = %q, %v", v, err)
	}
	if err := c.Update(&libct.Resources{PidsMax: 7}); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.ReadController("pids", "pids.max"); v != "7" {
		t.Errorf("pids.max after Update = %q", v)
	}
	if err := c.ConfigureController("pids", "pids.max", "9"); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.ReadController("pids", "pids.max"); v != "9" {
		t.Errorf("pids.max after ConfigureController = %q", v)
	}
	cfg, _ := c.Config()
	if cfg.Cgroup.Resources.PidsMax != 7 || len(cfg.Cgroup.Params) != 1 {
		t.Errorf("stored cgroup config %+v", cfg.Cgroup)
	}
}

// TestCgroupErrors: bad controllers, parameters and values are refused
// with the controller, parameter and value named, and a start the kernel
// refuses leaves no cgroup.
func TestCgroupErrors(t *testing.T) {
	s := newSession(t)
	for _, tc := range []struct {
		name string
		cg   libct.Cgroup
		want string
	}{
		{"unknown controller", libct.Cgroup{Controllers: []string{"bogus"}}, "bogus"},
		{"negative limit", libct.Cgroup{Resources: libct.Resources{MemoryLimit: -5}}, "-5"},
		{"relative climb", libct.Cgroup{Path: "../escape"}, "escape"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cg := tc.cg
			_, err := s.Create(uniqueName(t), &libct.Config{Cgroup: &cg})
			var ce *libct.ConfigError
			if !errors.As(err, &ce) || ce.Field != "cgroup" || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Create = %v; want a ConfigError on cgroup naming %q", err, tc.want)
			}
		})
	}
	// What only the host can tell fails the start, and leaves no cgroup.
	for _, tc := range []struct {
		name string
		cg   libct.Cgroup
		want []string
	}{
		{"value the kernel rejects", libct.Cgroup{Resources: libct.Resources{CpusetCpus: "999"}}, []string{"cpuset", "999"}},
		{"parameter the controller lacks", libct.Cgroup{Params: []libct.CgroupParam{{Controller: "pids", Name: "pids.bogus", Value: "1"}}}, []string{"pids", "pids.bogus"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := busybox(t)
			cfg.Cgroup = &tc.cg
			c, err := s.Create(uniqueName(t), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Destroy()
			stored, _ := c.Config()
			err = c.Spawn(sh("true"))
			var se *libct.StartError
			if !errors.As(err, &se) || se.Step != "cgroup" {
				t.Fatalf("Spawn = %v; want a cgroup StartError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			if dirs := cgroupDirs(stored.Cgroup.Path); len(dirs) != 0 {
				t.Errorf("cgroup left after a failed start: %v", dirs)
			}
		})
	}
}

// TestCgroupSubmount: with a cgroup namespace and CgroupSubmount the
// container sees itself as the root of its cgroup at /sys/fs/cgroup and
// can make a sub-cgroup there.
func TestCgroupSubmount(t *testing.T) {
	s := newSession(t)
	cfg := cgroupConfig(t, libct.Resources{})
	cfg.Namespaces |= libct.NewCgroup
	cfg.Options |= libct.CgroupSubmount
	c, err := s.Create(uniqueName(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Destroy()
	script := `grep -v name=systemd /proc/self/cgroup | cut -d: -f3 | sort -u | tr '\n' ' '; echo
		d=$(ls -d /sys/fs/cgroup/pids /sys/fs/cgroup 2>/dev/null | head -1)
		mkdir $d/sub && echo sub-made`
	out, st, err := spawnAndWait(c, sh(script))
	if err != nil || st.Code != 0 {
		t.Fatalf("%v %v\n%s", st, err, out)
	}
	if !strings.HasPrefix(out, "/ \n") || !strings.Contains(out, "sub-made") {
		t.Errorf("inside the cgroup namespace:\n%s", out)
	}
}

// TestUpdateMemoryAndSwap: the memory and the swap limit are checked by
// the kernel against each other; an update of one is completed with the
// other as runc does, in the cgroup and in the stored config.
func TestUpdateMemoryAndSwap(t *testing.T) {
	s := newSession(t)
	const mib = 1 << 20
	c := sleeper(t, s, cgroupConfig(t, libct.Resources{MemoryLimit: 32 * mib}))
	swapFile, unlimited := "memory.memsw.limit_in_bytes", ""
	if _, err := c.ReadController("memory", swapFile); err != nil {
		swapFile = "memory.swap.max"
		if _, err := c.ReadController("memory", swapFile); err != nil {
			t.Skip("no swap accounting on this host")
		}
		unlimited = "max"
	}
	if unlimited == "" {
		unlimited, _ = c.ReadController("memory", swapFile) // v1 has no word for it
	}
	tests := []struct {
		name           string
		update         libct.Resources
		limit, swap    int64
		swapInCgroupV1 string
	}{
		{"swap alone", libct.Resources{MemorySwap: 96 * mib}, 32 * mib, 96 * mib, "100663296"},
		{"memory above the old swap", libct.Resources{MemoryLimit: 128 * mib, MemorySwap: 160 * mib}, 128 * mib, 160 * mib, "167772160"},
		{"memory lifted lifts swap", libct.Resources{MemoryLimit: -1}, -1, -1, unlimited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := c.Update(&tt.update); err != nil {
				t.Fatalf("Update: %v", err)
			}
			cfg, err := c.Config()
			if err != nil {
				t.Fatal(err)
			}
			if r := cfg.Cgroup.Resources; r.MemoryLimit != tt.limit || r.MemorySwap != tt.swap {
				t.Errorf("stored limits: memory %d, swap %d; want %d, %d", r.MemoryLimit, r.MemorySwap, tt.limit, tt.swap)
			}
			if swapFile == "memory.memsw.limit_in_bytes" {
				if v, err := c.ReadController("memory", swapFile); err != nil || v != tt.swapInCgroupV1 {
					t.Errorf("%s = %q, %v; want %s", swapFile, v, err, tt.swapInCgroupV1)
				}
			}
		})
	}
}
