package libct_test

// Benchmarks of the library at scale: a start's cost with many
// containers alive, and a thousand containers' whole lifecycle:
//
//	go test -run '^$' -bench 'SpawnWaitLive' -benchtime 2s .
//	LIBCT_SCALE=1 go test -run '^$' -bench 'Scale' -benchtime 1x -timeout 30m .
//
// BenchmarkSpawnWaitLive spawns and waits for the same container while 1,
// 100 and 1000 other containers live (-short leaves out 1000).
// BenchmarkScale starts 1000 containers with cgroups and namespaces, lists,
// kills and destroys them, and checks that nothing is left; it runs only
// with LIBCT_SCALE=1 (LIBCT_SCALE_N changes the count).

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/libct/libct"
	"github.com/libct/libct/internal/testutil"
)

// sleepProcess is the program of the containers kept alive.
func sleepProcess() *libct.Process {
	return &libct.Process{Args: []string{"/bin/sleep", "1000000"}}
}

// BenchmarkSpawnWaitLive measures spawn + wait of /bin/true in one
// container (mount, pid, uts and ipc namespaces, busybox root), as
// BenchmarkSpawnWait does, while other containers live: each a sleep with
// its own mount, pid, uts and ipc namespaces. The goal: at least 300
// spawns/s on 2 cores, and a cost per spawn that does not grow with the
// number of live containers. The live containers are started once, outside
// the timed part, and grown from one sub-benchmark to the next.
func BenchmarkSpawnWaitLive(b *testing.B) {
	s := newSession(b)
	cfg := busybox(b)
	var live []*libct.Container
	b.Cleanup(func() {
		for _, c := range live {
			if err := c.Destroy(); err != nil {
				b.Errorf("destroy %s: %v", c.Name(), err)
			}
		}
	})
	grow := func(b *testing.B, n int) {
		b.Helper()
		for len(live) < n {
			c, err := s.Create(uniqueName(b), cfg)
			if err != nil {
				b.Fatal(err)
			}
			live = append(live, c)
			if err := c.Spawn(sleepProcess()); err != nil {
				b.Fatalf("live container %d: %v", len(live), err)
			}
		}
	}
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("live=%d", n), func(b *testing.B) {
			if n >= 1000 && testing.Short() {
				b.Skip("-short: not with 1000 live containers")
			}
			grow(b, n)
			c, err := s.Create(uniqueName(b), cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Destroy()
			p := &libct.Process{Args: []string{"/bin/true"}}
			b.ReportAllocs()
			b.ResetTimer()
			cpu := startCPU()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				if err := c.Spawn(p); err != nil {
					b.Fatal(err)
				}
				if st, err := c.Wait(); err != nil || st.Code != 0 {
					b.Fatal(st, err)
				}
			}
			elapsed := time.Since(start)
			b.StopTimer()
			cpu.report(b)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "spawns/s")
		})
	}
}

// BenchmarkScale starts N containers (1000 unless LIBCT_SCALE_N says
// otherwise), each a sleep with a cgroup of its own (Config.Cgroup, every
// controller the host has) and mount, pid, uts and ipc namespaces in a
// busybox root; then lists them, kills them, waits for them and destroys
// them. It reports the time of each step, the memory libct holds per live
// container (Go heap in use and the process's RSS, after a GC) and checks
// that nothing is left: no cgroup, process, mount, descriptor or state
// directory. It needs LIBCT_SCALE=1, so that neither `make test` nor a
// plain `make bench` runs it. Use -benchtime 1x: one round is the
// measurement.
func BenchmarkScale(b *testing.B) {
	if os.Getenv("LIBCT_SCALE") != "1" {
		b.Skip("set LIBCT_SCALE=1 to start, list, kill and destroy 1000 containers (LIBCT_SCALE_N=count to change it)")
	}
	n := 1000
	if v := os.Getenv("LIBCT_SCALE_N"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("LIBCT_SCALE_N=%q: want a count >= 1", v)
		}
	}
	s := newSession(b)
	cfg := busybox(b)
	cfg.Cgroup = &libct.Cgroup{} // /libct/<name>, every controller
	// One container first, so that the baselines below count what the
	// session and the runtime have made once for good (caches, pipes).
	warm, err := s.Create(uniqueName(b), cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := warm.Spawn(&libct.Process{Args: []string{"/bin/true"}}); err != nil {
		b.Fatal(err)
	}
	warm.Wait()
	if err := warm.Destroy(); err != nil {
		b.Fatal(err)
	}

	var sum scaleRound
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := runScaleRound(b, s, cfg, n)
		sum.add(r)
	}
	b.StopTimer()
	sum.report(b, n)
}

// scaleRound is what one round of BenchmarkScale measured.
type scaleRound struct {
	start, list, states, kill, wait, destroy time.Duration
	startFirst, startLast                    time.Duration // the first and last tenth of the starts
	heapBytes, rssBytes, fds                 int64         // held while the containers live, over the baseline
	rssTotal                                 int64         // the process's RSS while they live
	rounds                                   int
}

func (s *scaleRound) add(r scaleRound) {
	s.start += r.start
	s.list += r.list
	s.states += r.states
	s.kill += r.kill
	s.wait += r.wait
	s.destroy += r.destroy
	s.startFirst += r.startFirst
	s.startLast += r.startLast
	s.heapBytes += r.heapBytes
	s.rssBytes += r.rssBytes
	s.fds += r.fds
	s.rssTotal += r.rssTotal
	s.rounds++
}

func (s *scaleRound) report(b *testing.B, n int) {
	if s.rounds == 0 {
		return
	}
	rounds := float64(s.rounds)
	ms := func(d time.Duration) float64 { return d.Seconds() * 1000 / rounds }
	tenth := max(n/10, 1)
	b.ReportMetric(ms(s.start), "start-ms")
	b.ReportMetric(ms(s.start)/float64(n), "start-ms/ctr")
	b.ReportMetric(ms(s.startFirst)/float64(tenth), "start-first10%-ms/ctr")
	b.ReportMetric(ms(s.startLast)/float64(tenth), "start-last10%-ms/ctr")
	b.ReportMetric(ms(s.list), "list-ms")
	b.ReportMetric(ms(s.states), "list+state-ms")
	b.ReportMetric(ms(s.kill), "kill-ms")
	b.ReportMetric(ms(s.wait), "wait-ms")
	b.ReportMetric(ms(s.destroy), "destroy-ms")
	b.ReportMetric(float64(s.heapBytes)/rounds/float64(n)/1024, "heap-KB/ctr")
	b.ReportMetric(float64(s.rssBytes)/rounds/float64(n)/1024, "rss-KB/ctr")
	b.ReportMetric(float64(s.rssTotal)/rounds/(1<<20), "rss-MB")
	b.ReportMetric(float64(s.fds)/rounds/float64(n), "fds/ctr")
	// The whole round's ns/op says little; the figures above are the
	// measurement.
	b.ReportMetric(0, "ns/op")
}

// liveProc identifies a process across pid reuse: its pid and its start
// time (field 22 of /proc/PID/stat).
type liveProc struct {
	pid   int
	start uint64
}

func runScaleRound(b *testing.B, s *libct.Session, cfg *libct.Config, n int) scaleRound {
	b.StopTimer()
	var r scaleRound
	leaks := newLeakCheck(b)
	children := testutil.ChildPIDs(b)
	fds0 := int64(testutil.OpenFDs(b))
	heap0, rss0 := memoryInUse(b)
	names := make([]string, n)
	for i := range names {
		names[i] = uniqueName(b)
	}
	cts := make([]*libct.Container, 0, n)
	procs := make([]liveProc, 0, n)
	// Whatever happens, nothing of the round is left behind.
	defer func() {
		for _, c := range cts {
			c.Destroy()
		}
	}()
	b.StartTimer()

	tenth := max(n/10, 1)
	t0 := time.Now()
	for i, name := range names {
		ts := time.Now()
		c, err := s.Create(name, cfg)
		if err != nil {
			b.Fatalf("create %d of %d: %v", i+1, n, err)
		}
		cts = append(cts, c)
		if err := c.Spawn(sleepProcess()); err != nil {
			b.Fatalf("spawn %d of %d: %v", i+1, n, err)
		}
		d := time.Since(ts)
		if i < tenth {
			r.startFirst += d
		}
		if i >= n-tenth {
			r.startLast += d
		}
	}
	r.start = time.Since(t0)

	b.StopTimer()
	for _, c := range cts {
		pid, err := c.Pid()
		if err != nil || pid <= 0 {
			b.Fatalf("%s: pid %d, %v", c.Name(), pid, err)
		}
		start, ok := procStartTime(pid)
		if !ok {
			b.Fatalf("%s: init %d is gone", c.Name(), pid)
		}
		procs = append(procs, liveProc{pid, start})
		if dirs := cgroupDirs("/libct/" + c.Name()); len(dirs) == 0 {
			b.Fatalf("%s: no cgroup /libct/%s", c.Name(), c.Name())
		}
	}
	heap1, rss1 := memoryInUse(b)
	r.heapBytes, r.rssBytes, r.rssTotal = heap1-heap0, rss1-rss0, rss1
	r.fds = int64(testutil.OpenFDs(b)) - fds0
	b.StartTimer()

	t0 = time.Now()
	listed, err := s.List()
	r.list = time.Since(t0)
	if err != nil {
		b.Fatal(err)
	}
	if len(listed) != n {
		b.Fatalf("List: %d containers, want %d", len(listed), n)
	}
	// What `ct list` does: the names, then each one's state.
	t0 = time.Now()
	listed, err = s.List()
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range listed {
		c, err := s.Container(name)
		if err != nil {
			b.Fatal(err)
		}
		if st, err := c.State(); err != nil || st != libct.Running {
			b.Fatalf("%s: state %q, %v; want running", name, st, err)
		}
	}
	r.states = time.Since(t0)

	t0 = time.Now()
	for _, c := range cts {
		if err := c.Kill(syscall.SIGKILL); err != nil {
			b.Fatalf("kill %s: %v", c.Name(), err)
		}
	}
	r.kill = time.Since(t0)
	t0 = time.Now()
	for _, c := range cts {
		st, err := c.Wait()
		if err != nil || st.Signal != syscall.SIGKILL {
			b.Fatalf("wait %s: %v, %v; want killed", c.Name(), st, err)
		}
	}
	r.wait = time.Since(t0)

	t0 = time.Now()
	for _, c := range cts {
		if err := c.Destroy(); err != nil {
			b.Fatalf("destroy %s: %v", c.Name(), err)
		}
	}
	r.destroy = time.Since(t0)
	cts = nil

	b.StopTimer()
	checkNothingLeft(b, s, names, procs, children)
	leaks.verify(b)
	b.StartTimer()
	return r
}

// checkNothingLeft fails b when anything of the named containers is left:
// a state directory, a cgroup in any hierarchy, or a process.
func checkNothingLeft(b *testing.B, s *libct.Session, names []string, procs []liveProc, children []int) {
	b.Helper()
	if left, err := s.List(); err != nil || len(left) != 0 {
		b.Errorf("after destroy: List %d containers (%v), want none", len(left), err)
	}
	// The session's own empty overlay layer for the init binary stays
	// while the session lives; nothing else may.
	entries, err := os.ReadDir(s.Root())
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if err != nil || len(left) != 0 {
		b.Errorf("after destroy: %q in %s (%v), want nothing", left, s.Root(), err)
	}
	var cgroupsLeft []string
	for _, name := range names {
		cgroupsLeft = append(cgroupsLeft, cgroupDirs("/libct/"+name)...)
	}
	if len(cgroupsLeft) > 0 {
		b.Errorf("after destroy: %d cgroups left, such as %s", len(cgroupsLeft), cgroupsLeft[0])
	}
	alive := 0
	for _, p := range procs {
		if start, ok := procStartTime(p.pid); ok && start == p.start {
			alive++
		}
	}
	if alive > 0 {
		b.Errorf("after destroy: %d container processes still exist", alive)
	}
	if got := testutil.ChildPIDs(b); !slices.Equal(got, children) {
		b.Errorf("after destroy: child processes %v, before %v", got, children)
	}
}

// procStartTime reads the start time of pid, in clock ticks since boot;
// false when there is no such process (a zombie counts as one).
func procStartTime(pid int) (uint64, bool) {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, false
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, false
	}
	// After "pid (comm)": state is field 3, starttime field 22.
	fields := strings.Fields(string(data[i+1:]))
	if len(fields) < 20 {
		return 0, false
	}
	v, err := strconv.ParseUint(fields[19], 10, 64)
	return v, err == nil
}

// memoryInUse returns, after a GC, the Go heap in use and the RSS of the
// process, in bytes.
func memoryInUse(b *testing.B) (heap, rss int64) {
	b.Helper()
	settle()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			if err != nil {
				b.Fatalf("VmRSS %q: %v", v, err)
			}
			rss = kb * 1024
		}
	}
	return int64(ms.HeapInuse), rss
}
