package main

import (
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestOversizedFields: ct refuses a field the kernel cannot take with one
// line naming config.json and the field, the value cut (never printed
// whole), and leaves nothing; and a large but valid value reaches the
// program.
func TestOversizedFields(t *testing.T) {
	e := newOCIEnv(t)
	good := []string{"sleep", "1000"}
	for _, tc := range []struct {
		name string
		edit func(*specs.Spec)
		want []string
	}{
		{
			name: "env string over MAX_ARG_STRLEN",
			edit: func(s *specs.Spec) { s.Process.Env = append(s.Process.Env, "BIG="+strings.Repeat("e", 200000)) },
			want: []string{"process.env[", `"BIG=eeee`, "…\" (200004 bytes)", "too long for an execve(2) string (MAX_ARG_STRLEN"},
		},
		{
			name: "hostname of 100 KB",
			edit: func(s *specs.Spec) { s.Hostname = strings.Repeat("h", 100000) },
			want: []string{"hostname", "…\" (100000 bytes)"},
		},
		{
			name: "argument with a NUL",
			edit: func(s *specs.Spec) { s.Process.Args = append(s.Process.Args, "a\x00b") },
			want: []string{"process.args[2]", `"a\x00b"`, "has a NUL byte"},
		},
		{
			name: "mount destination longer than PATH_MAX",
			edit: func(s *specs.Spec) {
				s.Mounts = append(s.Mounts, specs.Mount{Destination: "/" + strings.Repeat("d", 5000), Type: "tmpfs", Source: "tmpfs"})
			},
			want: []string{"mounts[", ".destination", "(5001 bytes)"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.sub(t)
			bundle := e.bundle(good, tc.edit)
			id := e.id("oversized")
			res := e.ct("create", "--bundle", bundle, id)
			if res.code != 1 || res.stdout != "" {
				t.Errorf("exit %d, stdout %q; want 1, none", res.code, res.stdout)
			}
			checkOneLine(t, res.stderr, append([]string{"ct: create: ", filepath.Join(bundle, "config.json")}, tc.want...))
			if len(res.stderr) > 500 {
				t.Errorf("a message of %d bytes: %.600s", len(res.stderr), res.stderr)
			}
			checkRootEmpty(t, e.root)
			checkNoCgroup(t, id)
		})
	}
	t.Run("env value of 100 KB runs", func(t *testing.T) {
		e := e.sub(t)
		bundle := e.bundle([]string{"sh", "-c", "echo ${#BIG}"}, func(s *specs.Spec) {
			s.Process.Env = append(s.Process.Env, "BIG="+strings.Repeat("v", 100000))
		})
		id := e.id("large-env")
		res := e.ct("run", "--bundle", bundle, id)
		if res.code != 0 || res.stdout != "100000\n" || res.stderr != "" {
			t.Errorf("exit %d, stdout %q, stderr %.300q; want 0, 100000", res.code, res.stdout, res.stderr)
		}
		checkNoCgroup(t, id)
		checkRootEmpty(t, e.root)
	})
}
