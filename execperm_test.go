package libct_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/libct/libct"
	"github.com/libct/libct/internal/cinit"
)

// TestExecPermissionOfTheUser: whether the program may be executed is
// decided for the user it runs as, with its groups and what is left of
// its capabilities, and a refusal fails the start before the container
// is created; the PATH search passes over a program that user may not
// execute, as execvp would. For both inits.
func TestExecPermissionOfTheUser(t *testing.T) {
	s := newSession(t)
	bin := t.TempDir()
	os.Chmod(bin, 0o755)
	first, second := filepath.Join(bin, "first"), filepath.Join(bin, "second")
	os.MkdirAll(first, 0o755)
	os.MkdirAll(second, 0o755)
	script := func(path, says string, mode os.FileMode, gid int) {
		if err := os.WriteFile(path, []byte("#!/bin/sh\necho "+says+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(path, 0, gid); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
	script(filepath.Join(first, "rootonly"), "root-only", 0o744, 0)
	script(filepath.Join(first, "group100"), "group-100", 0o750, 100)
	script(filepath.Join(first, "group50"), "group-50", 0o750, 50)
	script(filepath.Join(first, "prog"), "first", 0o744, 0)
	script(filepath.Join(second, "prog"), "second", 0o755, 0)
	dacOverride := &libct.Capabilities{Bounding: []string{"CAP_DAC_OVERRIDE"}, Effective: []string{"CAP_DAC_OVERRIDE"},
		Permitted: []string{"CAP_DAC_OVERRIDE"}}
	// Not the default set: it has CAP_DAC_OVERRIDE.
	none := &libct.Capabilities{}
	for _, tc := range []struct {
		name string
		caps *libct.Capabilities
		p    libct.Process
		want string // what the program says, or "" for a refused start
	}{
		{"root may", none, libct.Process{Args: []string{"/opt/first/rootonly"}}, "root-only"},
		{"another user may not", none, libct.Process{Args: []string{"/opt/first/rootonly"}, User: "1000:100"}, ""},
		{"another user with CAP_DAC_OVERRIDE may", dacOverride, libct.Process{Args: []string{"/opt/first/rootonly"}, User: "1000:100"}, "root-only"},
		{"the file's group may", none, libct.Process{Args: []string{"/opt/first/group100"}, User: "1000:100"}, "group-100"},
		{"another group may not", none, libct.Process{Args: []string{"/opt/first/group50"}, User: "1000:100"}, ""},
		{"a supplementary group may", none, libct.Process{Args: []string{"/opt/first/group50"}, User: "1000:100", AdditionalGroups: []string{"50"}}, "group-50"},
		{"the PATH search passes over what the user may not run", none,
			libct.Process{Args: []string{"prog"}, User: "1000:100", Env: []string{"PATH=/opt/first:/opt/second"}}, "second"},
		{"root runs the first in the PATH", none,
			libct.Process{Args: []string{"prog"}, Env: []string{"PATH=/opt/first:/opt/second"}}, "first"},
	} {
		for _, goInit := range []bool{false, true} {
			name := tc.name + "/C init"
			if goInit {
				name = tc.name + "/Go init"
			}
			t.Run(name, func(t *testing.T) {
				if !goInit && !cinit.Available {
					t.Skip("the C init is not linked in")
				}
				if goInit {
					t.Setenv("LIBCT_INIT", "go")
				} else {
					t.Setenv("LIBCT_INIT", "")
				}
				cfg := busybox(t)
				cfg.Mounts = []libct.Mount{{Source: bin, Destination: "/opt", Flags: libct.MountBind | libct.MountReadOnly}}
				cfg.Security.Capabilities = tc.caps
				c, err := s.Create(uniqueName(t), cfg)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Destroy()
				p := tc.p
				if tc.want == "" {
					// Refused by Prepare, which stops before the exec.
					err := c.Prepare(&p)
					var se *libct.StartError
					if !errors.As(err, &se) || se.Step != "exec" || se.Errno != syscall.EACCES {
						t.Fatalf("prepare: %v (%T), want a StartError at exec with EACCES", err, err)
					}
					return
				}
				out, st, err := spawnAndWait(c, &p)
				if err != nil || st != (libct.ExitStatus{}) || strings.TrimSpace(out) != tc.want {
					t.Errorf("start: %v, %v, said %q; want %q", err, st, out, tc.want)
				}
			})
		}
	}
}
