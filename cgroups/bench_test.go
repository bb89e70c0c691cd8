package cgroups

import (
	"strconv"
	"testing"
)

// BenchmarkCreateDestroy measures what a container start and destroy pay
// for their cgroup: Create (every controller, or a few with limits) and
// Destroy of an empty cgroup, next to another container's.
func BenchmarkCreateDestroy(b *testing.B) {
	for _, bc := range []struct {
		name string
		cfg  Config
	}{
		{"all", Config{}},
		{"memory+pids+cpu", Config{Controllers: []string{"memory", "pids", "cpu"},
			Resources: Resources{MemoryLimit: 64 << 20, PidsMax: 100, CPUQuota: 50000}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			requireCgroups(b)
			// Another container keeps /libct, as a busy host does.
			holder, err := Create(&Config{Path: testPath(b) + "-holder", Controllers: bc.cfg.Controllers})
			if err != nil {
				b.Fatal(err)
			}
			defer holder.Destroy()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				cfg := bc.cfg
				cfg.Path = testPath(b) + "-" + strconv.Itoa(i)
				m, err := Create(&cfg)
				if err != nil {
					b.Fatal(err)
				}
				if err := m.Destroy(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
