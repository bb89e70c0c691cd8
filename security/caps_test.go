package security

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/testutil"
)

func TestCapabilityNames(t *testing.T) {
	tests := []struct {
		name string
		in   string
		nr   int
		ok   bool
	}{
		{"canonical", "CAP_NET_ADMIN", unix.CAP_NET_ADMIN, true},
		{"without prefix", "NET_ADMIN", unix.CAP_NET_ADMIN, true},
		{"lower case", "cap_sys_admin", unix.CAP_SYS_ADMIN, true},
		{"mixed case without prefix", "Chown", unix.CAP_CHOWN, true},
		{"last known", "CAP_CHECKPOINT_RESTORE", unix.CAP_CHECKPOINT_RESTORE, true},
		{"unknown", "CAP_FOO", 0, false},
		{"prefix only", "CAP_", 0, false},
		{"empty", "", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nr, ok := CapabilityNumber(tc.in)
			if nr != tc.nr || ok != tc.ok {
				t.Fatalf("CapabilityNumber(%q) = %d, %v; want %d, %v", tc.in, nr, ok, tc.nr, tc.ok)
			}
		})
	}
	all := AllCapabilityNames()
	if len(all) != unix.CAP_LAST_CAP+1 {
		t.Fatalf("%d names, want %d", len(all), unix.CAP_LAST_CAP+1)
	}
	for nr, n := range all {
		if got, ok := CapabilityNumber(n); !ok || got != nr {
			t.Errorf("%s: number %d, %v; want %d", n, got, ok, nr)
		}
	}
}

func TestCapabilitiesValidate(t *testing.T) {
	tests := []struct {
		name string
		caps *Capabilities
		want string
	}{
		{name: "nil"},
		{name: "empty", caps: &Capabilities{}},
		{name: "default", caps: DefaultCapabilities()},
		{name: "all", caps: AllCapabilities()},
		{name: "libct all target", caps: CapabilitiesFor([]string{"NET_ADMIN"}, TargetAll)},
		{
			name: "spellings",
			caps: &Capabilities{Bounding: []string{"chown", "Cap_Kill", "CAP_NET_RAW"}, Effective: []string{"kill"}, Permitted: []string{"KILL"}},
		},
		{
			name: "ambient",
			caps: CapabilitiesFor([]string{"CAP_NET_BIND_SERVICE"}, TargetAll|TargetAmbient),
		},
		{
			name: "unknown in bounding",
			caps: &Capabilities{Bounding: []string{"CAP_CHOWN", "CAP_KILL", "CAP_FOO"}},
			want: `capabilities.bounding[2] "CAP_FOO": unknown capability`,
		},
		{
			name: "unknown in effective",
			caps: &Capabilities{Effective: []string{"NET_ADMINS"}},
			want: `capabilities.effective[0] "NET_ADMINS": unknown capability`,
		},
		{
			name: "unknown in permitted",
			caps: &Capabilities{Permitted: []string{"CAP_CHOWN", ""}},
			want: `capabilities.permitted[1] "": unknown capability`,
		},
		{
			name: "unknown in inheritable",
			caps: &Capabilities{Inheritable: []string{"CAP_ALL"}},
			want: `capabilities.inheritable[0] "CAP_ALL": unknown capability`,
		},
		{
			name: "unknown in ambient",
			caps: &Capabilities{Ambient: []string{"CAP_SYS_FOO"}},
			want: `capabilities.ambient[0] "CAP_SYS_FOO": unknown capability`,
		},
		{
			name: "effective outside permitted",
			caps: &Capabilities{Effective: []string{"CAP_KILL", "CAP_CHOWN"}, Permitted: []string{"CAP_KILL"}},
			want: `capabilities.effective[1] "CAP_CHOWN": not in the permitted set`,
		},
		{
			name: "ambient outside inheritable",
			caps: &Capabilities{Permitted: []string{"CAP_KILL"}, Ambient: []string{"CAP_KILL"}},
			want: `capabilities.ambient[0] "CAP_KILL": not in both the permitted and the inheritable set`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.caps.Validate()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Fatalf("Validate() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCapabilitiesFor(t *testing.T) {
	names := []string{"CAP_KILL"}
	c := CapabilitiesFor(names, TargetProcess)
	if c.Bounding != nil || c.Ambient != nil || len(c.Effective) != 1 || len(c.Permitted) != 1 || len(c.Inheritable) != 1 {
		t.Fatalf("TargetProcess: %+v", c)
	}
	c = CapabilitiesFor(names, TargetAll)
	if len(c.Bounding) != 1 || len(c.Inheritable) != 1 || c.Ambient != nil {
		t.Fatalf("TargetAll: %+v", c)
	}
	c.Bounding[0] = "CAP_CHOWN"
	if names[0] != "CAP_KILL" || c.Effective[0] != "CAP_KILL" {
		t.Fatal("CapabilitiesFor shares its slices")
	}
	d := DefaultCapabilities()
	if len(d.Bounding) != 14 || !slices.Equal(d.Bounding, d.Effective) || !slices.Equal(d.Bounding, d.Permitted) || d.Inheritable != nil || d.Ambient != nil {
		t.Fatalf("DefaultCapabilities: %+v", d)
	}
}

// capsArg is what the caps role does: apply Caps in the init's order,
// optionally switching to UID/GID, try the privileged operations, report
// the thread's sets, then exec Exec if given.
type capsArg struct {
	Caps      *Capabilities
	UID, GID  int // -1: stay root
	ChownPath string
	Hostname  bool
	Exec      []string
}

type capsResult struct {
	Sets       map[string]uint64
	ChownErrno int
	HostErrno  int
	KeepCaps   int
}

// execAfter is a result after which the child execs argv.
type execAfter struct {
	res  any
	argv []string
}

func init() {
	roles["caps"] = func(raw json.RawMessage) (any, error) {
		var a capsArg
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, err
		}
		if err := a.Caps.PrepareForUserChange(); err != nil {
			return nil, err
		}
		if a.UID >= 0 {
			if err := unix.Setgroups(nil); err != nil {
				return nil, err
			}
			if err := unix.Setresgid(a.GID, a.GID, a.GID); err != nil {
				return nil, err
			}
			if err := unix.Setresuid(a.UID, a.UID, a.UID); err != nil {
				return nil, err
			}
		}
		if err := a.Caps.Apply(); err != nil {
			return nil, err
		}
		var r capsResult
		var err error
		if r.Sets, err = threadSets(); err != nil {
			return nil, err
		}
		r.KeepCaps, _ = unix.PrctlRetInt(unix.PR_GET_KEEPCAPS, 0, 0, 0, 0)
		if a.ChownPath != "" {
			r.ChownErrno = errnoOf(unix.Chown(a.ChownPath, 4242, -1))
		}
		if a.Hostname {
			r.HostErrno = errnoOf(unix.Sethostname([]byte("libct-caps-test")))
		}
		if len(a.Exec) > 0 {
			return execAfter{r, a.Exec}, nil
		}
		return r, nil
	}
}

func TestCapabilitiesApply(t *testing.T) {
	requireRoot(t)
	busybox := testutil.BusyboxPath
	catStatus := []string{busybox, "cat", "/proc/self/status"}
	def := DefaultCapabilities()
	withoutChown := DefaultCapabilities()
	for _, set := range []*[]string{&withoutChown.Bounding, &withoutChown.Effective, &withoutChown.Permitted} {
		*set = slices.DeleteFunc(*set, func(n string) bool { return n == "CAP_CHOWN" })
	}
	withAdmin := CapabilitiesFor(append(slices.Clone(defaultCaps), "CAP_SYS_ADMIN"), TargetBounding|TargetEffective|TargetPermitted)
	ambient := &Capabilities{
		Bounding:    defaultCaps,
		Effective:   []string{"CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_KILL"},
		Permitted:   []string{"CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_KILL"},
		Inheritable: []string{"CAP_NET_BIND_SERVICE", "CAP_NET_RAW"},
		Ambient:     []string{"net_bind_service", "NET_RAW"},
	}
	tests := []struct {
		name       string
		caps       *Capabilities
		uid        int
		cloneflags uintptr
		chown      bool
		hostname   bool
		wantChown  int
		wantHost   int
		// after exec, as the kernel computes the sets
		execEff, execPrm, execInh, execAmb []string
	}{
		{
			name: "default as root", caps: def, uid: -1, chown: true,
			execEff: defaultCaps, execPrm: defaultCaps,
		},
		{
			name: "without CAP_CHOWN", caps: withoutChown, uid: -1, chown: true, wantChown: int(unix.EPERM),
			execEff: withoutChown.Effective, execPrm: withoutChown.Permitted,
		},
		{
			name: "uts namespace without CAP_SYS_ADMIN", caps: def, uid: -1, cloneflags: unix.CLONE_NEWUTS,
			hostname: true, wantHost: int(unix.EPERM), execEff: defaultCaps, execPrm: defaultCaps,
		},
		{
			name: "uts namespace with CAP_SYS_ADMIN", caps: withAdmin, uid: -1, cloneflags: unix.CLONE_NEWUTS,
			hostname: true, execEff: withAdmin.Effective, execPrm: withAdmin.Permitted,
		},
		{
			name: "no capabilities as root", caps: &Capabilities{}, uid: -1, chown: true, wantChown: int(unix.EPERM),
		},
		{
			name: "nil capabilities as root", caps: nil, uid: -1, chown: true, wantChown: int(unix.EPERM),
		},
		{
			name: "non-root keeps its sets until exec", caps: def, uid: testutil.AliceUID,
		},
		{
			name: "non-root with ambient capabilities", caps: ambient, uid: testutil.AliceUID,
			execEff: ambient.Ambient, execPrm: ambient.Ambient, execInh: ambient.Inheritable, execAmb: ambient.Ambient,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := capsArg{Caps: tc.caps, UID: tc.uid, GID: tc.uid, Hostname: tc.hostname, Exec: catStatus}
			if tc.chown {
				a.ChownPath = filepath.Join(t.TempDir(), "file")
				if err := os.WriteFile(a.ChownPath, nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var r capsResult
			tail := child{role: "caps", arg: a, cloneflags: tc.cloneflags}.run(t, &r)
			c := tc.caps
			if c == nil {
				c = &Capabilities{}
			}
			want := map[string]uint64{
				"CapBnd": maskOf(t, c.Bounding), "CapEff": maskOf(t, c.Effective), "CapPrm": maskOf(t, c.Permitted),
				"CapInh": maskOf(t, c.Inheritable), "CapAmb": maskOf(t, c.Ambient),
			}
			compareSets(t, "before exec", r.Sets, want)
			if r.KeepCaps != 0 {
				t.Errorf("keepcaps still set after Apply")
			}
			if r.ChownErrno != tc.wantChown {
				t.Errorf("chown: errno %d, want %d", r.ChownErrno, tc.wantChown)
			}
			if r.HostErrno != tc.wantHost {
				t.Errorf("sethostname: errno %d, want %d", r.HostErrno, tc.wantHost)
			}
			after, err := statusSets(tail)
			if err != nil {
				t.Fatalf("status after exec: %v\n%s", err, tail)
			}
			want = map[string]uint64{
				"CapBnd": maskOf(t, c.Bounding), "CapEff": maskOf(t, tc.execEff), "CapPrm": maskOf(t, tc.execPrm),
				"CapInh": maskOf(t, tc.execInh), "CapAmb": maskOf(t, tc.execAmb),
			}
			compareSets(t, "after exec", after, want)
		})
	}
}

func compareSets(t *testing.T, when string, got, want map[string]uint64) {
	t.Helper()
	for _, k := range []string{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"} {
		if got[k] != want[k] {
			t.Errorf("%s: %s = %016x, want %016x", when, k, got[k], want[k])
		}
	}
}

func init() {
	roles["reapply"] = func(raw json.RawMessage) (any, error) {
		var caps []*Capabilities
		if err := json.Unmarshal(raw, &caps); err != nil {
			return nil, err
		}
		var errs []string
		for _, c := range caps {
			msg := ""
			if err := c.Apply(); err != nil {
				msg = err.Error()
			}
			errs = append(errs, msg)
		}
		return errs, nil
	}
}

// TestCapabilitiesApplyMissing: capset cannot give back what the caller
// lost; the error says which capabilities those are.
func TestCapabilitiesApplyMissing(t *testing.T) {
	requireRoot(t)
	few := CapabilitiesFor([]string{"CAP_KILL", "CAP_SETPCAP"}, TargetEffective|TargetPermitted)
	more := CapabilitiesFor([]string{"CAP_KILL", "CAP_CHOWN", "CAP_NET_RAW"}, TargetEffective|TargetPermitted)
	var errs []string
	child{role: "reapply", arg: []*Capabilities{few, more}}.run(t, &errs)
	want := []string{"", "capabilities: capset: operation not permitted (not held by the caller: CAP_CHOWN, CAP_NET_RAW)"}
	if !slices.Equal(errs, want) {
		t.Fatalf("errors %q, want %q", errs, want)
	}
}
