package oci

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	b := t.TempDir()
	if err := os.WriteFile(filepath.Join(b, ConfigName), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLoadSpec(t *testing.T) {
	b := writeConfig(t, `{"ociVersion": "1.0.2", "process": {"args": ["sh"], "cwd": "/"}, "root": {"path": "rootfs"}}`)
	s, err := LoadSpec(b)
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != "1.0.2" || s.Root.Path != "rootfs" || s.Process.Args[0] != "sh" {
		t.Errorf("loaded %+v", s)
	}
}

func TestLoadSpecErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	cases := []struct {
		name    string
		bundle  func(t *testing.T) string
		want    []string
		notExit bool
	}{
		{
			name:   "missing bundle",
			bundle: func(*testing.T) string { return missing },
			want:   []string{`bundle "` + missing + `": no such file or directory`},
		},
		{
			name: "bundle is a file",
			bundle: func(t *testing.T) string {
				f := filepath.Join(t.TempDir(), "f")
				os.WriteFile(f, nil, 0o644)
				return f
			},
			want: []string{"not a directory"},
		},
		{
			name:   "missing config.json",
			bundle: func(t *testing.T) string { return t.TempDir() },
			want:   []string{"config.json: no such file or directory"},
		},
		{
			name:   "syntax error",
			bundle: func(t *testing.T) string { return writeConfig(t, "{\n  \"ociVersion\": \"1.0.0\",\n  \"root\": }\n") },
			want:   []string{"config.json: line 3, column 11: invalid character '}'"},
		},
		{
			name:   "truncated",
			bundle: func(t *testing.T) string { return writeConfig(t, `{"ociVersion": "1.0.0"`) },
			want:   []string{"config.json: line 1, column", "unexpected end of JSON input"},
		},
		{
			name:   "not an object",
			bundle: func(t *testing.T) string { return writeConfig(t, `[1]`) },
			want:   []string{"config.json: the document is a JSON array, not an object"},
		},
		{
			name:   "nested type error",
			bundle: func(t *testing.T) string { return writeConfig(t, `{"process": {"user": {"uid": "root"}}}`) },
			want:   []string{"config.json: process.user.uid: cannot be a JSON string (want uint32)"},
		},
		{
			name: "type error in an array",
			bundle: func(t *testing.T) string {
				return writeConfig(t, `{"mounts": [{"destination": "/a"}, {"destination": "/b", "options": ["ro", 7]}]}`)
			},
			want: []string{"config.json: mounts[1].options[1]: cannot be a JSON number (want string)"},
		},
		{
			name: "type error after nested objects",
			bundle: func(t *testing.T) string {
				return writeConfig(t, `{"root": {"path": "r"}, "linux": {"namespaces": [{"type": "pid"}], "resources": {"memory": {"limit": "1g"}}}}`)
			},
			want: []string{"config.json: linux.resources.memory.limit: cannot be a JSON string (want int64)"},
		},
		{
			name:   "object for a string",
			bundle: func(t *testing.T) string { return writeConfig(t, `{"hostname": {"a": 1}}`) },
			want:   []string{"config.json: hostname: cannot be a JSON object (want string)"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadSpec(tc.bundle(t))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Count(err.Error(), "\n") > 0 {
				t.Errorf("error %q is not one line", err)
			}
		})
	}
	if _, err := LoadSpec(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing bundle: errors.Is(%v, fs.ErrNotExist) is false", err)
	}
}

func TestPathAt(t *testing.T) {
	doc := `{"a": {"b": [1, {"c": [true, "x"]}], "d": 2}, "e": "f"}`
	for _, tc := range []struct {
		after string // the offset is just past the first occurrence
		want  string
	}{
		{`[1`, "a.b[0]"},
		{`true`, "a.b[1].c[0]"},
		{`"x"`, "a.b[1].c[1]"},
		{`"d": 2`, "a.d"},
		{`"f"`, "e"},
	} {
		off := strings.Index(doc, tc.after) + len(tc.after)
		if got := pathAt([]byte(doc), int64(off)); got != tc.want {
			t.Errorf("pathAt after %q = %q, want %q", tc.after, got, tc.want)
		}
	}
}

// TestLinuxSpecHasEveryField: the decoding type keeps every section of
// specs.Spec, so that a new one is not silently dropped.
func TestLinuxSpecHasEveryField(t *testing.T) {
	tags := func(typ reflect.Type) []string {
		var out []string
		for f := range typ.Fields() {
			out = append(out, f.Tag.Get("json"))
		}
		return out
	}
	want, got := tags(reflect.TypeFor[specs.Spec]()), tags(reflect.TypeFor[linuxSpec]())
	if !slices.Equal(want, got) {
		t.Errorf("linuxSpec's JSON fields %q, specs.Spec's %q", got, want)
	}
}

// TestOtherPlatformsKeptEmpty: a section of another platform comes back
// present (Convert refuses it) without being decoded; LoadProcess reads
// the process alone.
func TestOtherPlatformsKeptEmpty(t *testing.T) {
	b := writeConfig(t, `{"ociVersion":"1.3.0","process":{"args":["sh"],"cwd":"/"},"windows":{"layerFolders":["c:\\"]},"vm":null}`)
	s, err := LoadSpec(b)
	if err != nil {
		t.Fatal(err)
	}
	if s.Windows == nil || s.VM != nil || s.Solaris != nil || s.Process == nil || s.Process.Args[0] != "sh" {
		t.Errorf("windows %v vm %v solaris %v process %v", s.Windows, s.VM, s.Solaris, s.Process)
	}
	p, err := LoadProcess(b)
	if err != nil || p == nil || p.Cwd != "/" {
		t.Errorf("LoadProcess: %v %v", p, err)
	}
	if _, err := LoadProcess(writeConfig(t, `{"process":{"args":"sh"}}`)); err == nil || !strings.Contains(err.Error(), "process.args") {
		t.Errorf("LoadProcess of a bad process: %v", err)
	}
}

func TestLoadExecDefaults(t *testing.T) {
	tests := []struct {
		name        string
		config      string
		wantArgs    string // process.args[0], "" for no process
		personality int    // -1 for none
		wantErr     string
	}{
		{
			name:        "LINUX32",
			config:      `{"process":{"args":["sh"],"cwd":"/"},"linux":{"personality":{"domain":"LINUX32"}}}`,
			wantArgs:    "sh",
			personality: 0x0008,
		},
		{
			name:        "LINUX, read past a field the generated decoder does not know",
			config:      `{"process":{"args":["sh"],"cwd":"/"},"linux":{"personality":{"domain":"LINUX"}},"x-unknown":1}`,
			wantArgs:    "sh",
			personality: 0,
		},
		{
			name:        "no personality",
			config:      `{"process":{"args":["sh"],"cwd":"/"},"linux":{}}`,
			wantArgs:    "sh",
			personality: -1,
		},
		{
			name:        "no linux section, no process",
			config:      `{"ociVersion":"1.3.0"}`,
			personality: -1,
		},
		{
			name:    "unknown domain",
			config:  `{"linux":{"personality":{"domain":"LINUX64"}}}`,
			wantErr: "linux.personality.domain",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, per, err := LoadExecDefaults(writeConfig(t, tc.config))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (p == nil) != (tc.wantArgs == "") || p != nil && p.Args[0] != tc.wantArgs {
				t.Errorf("process %+v, want args[0] %q", p, tc.wantArgs)
			}
			switch {
			case tc.personality < 0 && per != nil:
				t.Errorf("personality %#x, want none", *per)
			case tc.personality >= 0 && (per == nil || *per != uint32(tc.personality)):
				t.Errorf("personality %v, want %#x", per, tc.personality)
			}
		})
	}
}
