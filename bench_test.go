package libct_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/libct/libct"
)

// cpuMeter reports the CPU time (user and system) of the benchmark's own
// process and of the containers it reaped, per operation: wall time alone
// hides work on the other core and the RCU waits of a loaded machine.
type cpuMeter struct{ start time.Duration }

func cpuNow() time.Duration {
	var self, children syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	total := func(r *syscall.Rusage) time.Duration {
		return time.Duration(r.Utime.Nano() + r.Stime.Nano())
	}
	return total(&self) + total(&children)
}

func startCPU() cpuMeter { return cpuMeter{cpuNow()} }

func (m cpuMeter) report(b *testing.B) {
	b.ReportMetric(float64(cpuNow()-m.start)/float64(b.N)/1e6, "cpu-ms/op")
}

// BenchmarkSpawnWait measures the start path: spawn /bin/true in a
// container with mount, pid, uts and ipc namespaces and a busybox root
// (pivot_root, /proc, minimal /dev), and wait for it. The container is
// created once and spawned again and again, as a frontend would.
func BenchmarkSpawnWait(b *testing.B) {
	s := newSession(b)
	c, err := s.Create(uniqueName(b), busybox(b))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Destroy()
	p := &libct.Process{Args: []string{"/bin/true"}}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	defer cpu.report(b)
	for i := 0; i < b.N; i++ {
		if err := c.Spawn(p); err != nil {
			b.Fatal(err)
		}
		if st, err := c.Wait(); err != nil || st.Code != 0 {
			b.Fatal(st, err)
		}
	}
}

// BenchmarkCreateSpawnDestroy adds what a one-shot container costs on top:
// the state directory written and removed.
func BenchmarkCreateSpawnDestroy(b *testing.B) {
	s := newSession(b)
	cfg := busybox(b)
	p := &libct.Process{Args: []string{"/bin/true"}}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	defer cpu.report(b)
	for i := 0; i < b.N; i++ {
		c, err := s.Create(uniqueName(b), cfg)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Spawn(p); err != nil {
			b.Fatal(err)
		}
		if _, err := c.Wait(); err != nil {
			b.Fatal(err)
		}
		if err := c.Destroy(); err != nil {
			b.Fatal(err)
		}
	}
}
