package libct_test

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/libct/libct"
	"github.com/libct/libct/cgroups"
	"github.com/libct/libct/internal/testutil"
)

// TestCgroupEnterV2InitFallback: on cgroup v2, once the init moved into a
// sub-cgroup and a domain controller is on in the container's cgroup,
// which then takes no processes, an entered process joins the init's
// cgroup; SubCgroups picks one, and "/" (the container's own) fails.
func TestCgroupEnterV2InitFallback(t *testing.T) {
	s := newSession(t)
	if mode, err := cgroups.Detect(); err != nil || mode != cgroups.ModeV2 {
		t.Skipf("needs a cgroup v2 host (%v, %v)", mode, err)
	}
	configs := []struct {
		name  string
		cfg   *libct.Config
		stage bool
	}{
		// Entered through the enter stage, forked into the pid namespace.
		{"busybox", cgroupConfig(t, libct.Resources{}), true},
		// Entered without it too, when the build has none.
		{"host root", &libct.Config{Namespaces: libct.NewUTS | libct.NewIPC, Cgroup: &libct.Cgroup{}}, false},
	}
	for _, cc := range configs {
		t.Run(cc.name, func(t *testing.T) {
			if cc.stage {
				testutil.RequireEnterStage(t)
			}
			checkEnterInitFallback(t, sleeper(t, s, cc.cfg))
		})
	}
}

func checkEnterInitFallback(t *testing.T, c *libct.Container) {
	t.Helper()
	cfg, err := c.Config()
	if err != nil {
		t.Fatal(err)
	}
	pid, err := c.Pid()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("/sys/fs/cgroup", cfg.Cgroup.Path)
	for _, sub := range []string{"init", "other"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "init", "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cgroup.subtree_control"), []byte("+memory"), 0); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		subs    map[string]string
		want    string
		wantErr string
	}{
		{name: "the init's cgroup", want: cfg.Cgroup.Path + "/init"},
		{name: "a sub-cgroup", subs: map[string]string{"": "other"}, want: cfg.Cgroup.Path + "/other"},
		{name: "the container's own", subs: map[string]string{"": "/"}, wantErr: "/cgroup.procs: device or resource busy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, w := pipe(t)
			task, err := c.Enter(&libct.Process{Args: []string{"cat", "/proc/self/cgroup"}, Stdout: w, SubCgroups: tc.subs})
			w.Close()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), "adding pid") || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Enter: %v, want an error with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			out, _ := io.ReadAll(r)
			if st, err := task.Wait(); err != nil || st.Code != 0 {
				t.Fatalf("task: %v %v", st, err)
			}
			if got := strings.TrimSpace(string(out)); got != "0::"+tc.want {
				t.Errorf("the process is in %q, want 0::%s", got, tc.want)
			}
		})
	}
}
