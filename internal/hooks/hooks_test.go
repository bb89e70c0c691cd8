package hooks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunner(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	sh := func(script string) Hook {
		return Hook{Path: "/bin/sh", Args: []string{"sh", "-c", script + " >" + out}}
	}
	tests := []struct {
		name   string
		runner Runner
		hook   Hook
		want   string
	}{
		{"no env: the runner's", Runner{Kind: "prestart", Env: []string{"ONE=two"}}, sh("echo $ONE"), "two"},
		{"own env wins", Runner{Kind: "prestart", Env: []string{"ONE=two"}}, withEnv(sh("echo ${ONE:-unset} $FOO"), "FOO=bar"), "unset bar"},
		{"no env anywhere", Runner{Kind: "prestart"}, sh("echo ${HOME:-none}"), "none"},
		{"working directory", Runner{Kind: "createContainer", Dir: dir}, sh("pwd"), dir},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.runner.Run([]Hook{tt.hook}, []byte("{}")); err != nil {
				t.Fatalf("Run: %v", err)
			}
			got, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if strings.TrimSpace(string(got)) != tt.want {
				t.Errorf("hook wrote %q, want %q", got, tt.want)
			}
		})
	}
}

func withEnv(h Hook, env ...string) Hook {
	h.Env = env
	return h
}

func TestRunnerErrors(t *testing.T) {
	ok, bad := Hook{Path: "/bin/true"}, Hook{Path: "/bin/false"}
	tests := []struct {
		name string
		list []Hook
		all  bool
		want []string
	}{
		{"second fails", []Hook{ok, bad}, false, []string{`error running poststart hook #1: hooks.poststart[1] "/bin/false": exit status 1`}},
		{"first fails, Run stops", []Hook{bad, ok}, false, []string{`error running poststart hook #0: hooks.poststart[0] "/bin/false": exit status 1`}},
		{"RunAll reports each", []Hook{bad, ok, bad}, true, []string{"hook #0:", "hook #2:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Runner{Kind: "poststart"}
			run := r.Run
			if tt.all {
				run = r.RunAll
			}
			err := run(tt.list, nil)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}
