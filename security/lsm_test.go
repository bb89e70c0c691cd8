package security

import (
	_ "embed"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/libct/libct/internal/testutil"
)

func TestDetectLSMs(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  LSMs
	}{
		{name: "nothing"},
		{
			name:  "apparmor listed and enabled",
			files: map[string]string{"sys/kernel/security/lsm": "lockdown,capability,landlock,yama,apparmor\n", "sys/module/apparmor/parameters/enabled": "Y\n"},
			want:  LSMs{AppArmor: true},
		},
		{
			name:  "apparmor enabled, securityfs not mounted",
			files: map[string]string{"sys/module/apparmor/parameters/enabled": "Y\n"},
			want:  LSMs{AppArmor: true},
		},
		{
			name:  "apparmor built in but disabled",
			files: map[string]string{"sys/kernel/security/lsm": "capability,yama", "sys/module/apparmor/parameters/enabled": "N\n"},
		},
		{
			name:  "apparmor not in the active list",
			files: map[string]string{"sys/kernel/security/lsm": "capability,selinux", "sys/module/apparmor/parameters/enabled": "Y\n"},
		},
		{
			name:  "selinux",
			files: map[string]string{"sys/kernel/security/lsm": "capability,selinux", "sys/fs/selinux/enforce": "1"},
			want:  LSMs{SELinux: true},
		},
		{
			name:  "selinuxfs without selinux in the list",
			files: map[string]string{"sys/kernel/security/lsm": "capability,yama", "sys/fs/selinux/enforce": "1"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			for name, content := range tc.files {
				p := filepath.Join(root, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got := detectLSMs(root); got != tc.want {
				t.Fatalf("%+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestLabelsValidate(t *testing.T) {
	both, none := LSMs{AppArmor: true, SELinux: true}, LSMs{}
	tests := []struct {
		name   string
		labels *Labels
		host   LSMs
		want   string
	}{
		{name: "nil", host: none},
		{name: "empty", labels: &Labels{}, host: none},
		{name: "apparmor", labels: &Labels{AppArmorProfile: "libct-default"}, host: LSMs{AppArmor: true}},
		{name: "selinux", labels: &Labels{SELinuxLabel: "system_u:system_r:container_t:s0:c1,c2", SELinuxMountLabel: "system_u:object_r:container_file_t:s0"}, host: LSMs{SELinux: true}},
		{
			name: "apparmor on a host without it", labels: &Labels{AppArmorProfile: "libct-default"}, host: LSMs{SELinux: true},
			want: `lsm.apparmorProfile "libct-default": AppArmor is not enabled on this host`,
		},
		{
			name: "selinux label on a host without it", labels: &Labels{SELinuxLabel: "u:r:t:s0"}, host: LSMs{AppArmor: true},
			want: `lsm.selinuxLabel "u:r:t:s0": SELinux is not enabled on this host`,
		},
		{
			name: "selinux mount label on a host without it", labels: &Labels{SELinuxMountLabel: "u:object_r:t"}, host: none,
			want: `lsm.selinuxMountLabel "u:object_r:t": SELinux is not enabled on this host`,
		},
		{
			name: "malformed selinux label", labels: &Labels{SELinuxLabel: "container_t"}, host: both,
			want: `lsm.selinuxLabel "container_t": not a user:role:type[:level] SELinux context`,
		},
		{
			name: "selinux label with a quote", labels: &Labels{SELinuxMountLabel: `u:r:t:s0",nosuid`}, host: both,
			want: `lsm.selinuxMountLabel "u:r:t:s0\",nosuid": invalid character in SELinux context`,
		},
		{
			name: "apparmor profile with a newline", labels: &Labels{AppArmorProfile: "a\nchangeprofile b"}, host: both,
			want: `lsm.apparmorProfile "a\nchangeprofile b": not a profile name`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.labels.validate(tc.host)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Fatalf("%q, want %q", got, tc.want)
			}
		})
	}
}

// TestLabelsValidateHost asks this host for both kinds of labels.
func TestLabelsValidateHost(t *testing.T) {
	host := DetectLSMs()
	t.Logf("host LSMs: %+v", host)
	err := (&Labels{AppArmorProfile: "libct-test"}).Validate()
	if host.AppArmor != (err == nil) {
		t.Errorf("AppArmor %v, Validate: %v", host.AppArmor, err)
	}
	if !host.AppArmor && (err == nil || err.Error() != `lsm.apparmorProfile "libct-test": AppArmor is not enabled on this host`) {
		t.Errorf("Validate: %v", err)
	}
	err = (&Labels{SELinuxLabel: "system_u:system_r:container_t:s0"}).Validate()
	if host.SELinux != (err == nil) {
		t.Errorf("SELinux %v, Validate: %v", host.SELinux, err)
	}
}

func TestMountLabel(t *testing.T) {
	for _, tc := range []struct{ data, label, want string }{
		{"", "", ""},
		{"mode=755", "", "mode=755"},
		{"", "u:object_r:t:s0", `context="u:object_r:t:s0"`},
		{"mode=755,size=64k", "u:object_r:t:s0:c1,c2", `mode=755,size=64k,context="u:object_r:t:s0:c1,c2"`},
		{`context="a:b:c"`, "u:object_r:t", `context="a:b:c"`},
	} {
		if got := WithMountLabel(tc.data, tc.label); got != tc.want {
			t.Errorf("WithMountLabel(%q, %q) = %q, want %q", tc.data, tc.label, got, tc.want)
		}
	}
}

type lsmArg struct {
	Labels Labels
	Exec   []string
}

func init() {
	roles["lsm"] = func(raw json.RawMessage) (any, error) {
		var a lsmArg
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, err
		}
		if err := a.Labels.Apply(); err != nil {
			return nil, err
		}
		return execAfter{true, a.Exec}, nil
	}
}

// The AppArmor profile of TestAppArmor allows everything but reading
// apparmorSecret, and its policy compiled for Debian 12's kernel (by
// apparmor_parser 3.0.8 -Q -o apparmor-deny-read.bin
// apparmor-deny-read.profile), for hosts that have AppArmor but no
// apparmor_parser, such as the VM of ../shared/vm.
var (
	//go:embed testdata/apparmor-deny-read.profile
	apparmorProfile string
	//go:embed testdata/apparmor-deny-read.bin
	apparmorPolicy []byte
)

const (
	apparmorProfileName = "libct-test-deny-read"
	apparmorSecret      = "/tmp/libct-apparmor-secret"
)

// TestAppArmor: on a host with AppArmor, a profile that denies reading a
// file is enforced on the program after exec. The profile is loaded with
// apparmor_parser when there is one, else as the precompiled policy
// (LIBCT_TEST_APPARMOR_POLICY names another file; "none" tests without
// loading anything: then only the refusal of a profile the kernel does
// not have is checked). On a host without AppArmor, asking for a profile
// is the error Validate names.
func TestAppArmor(t *testing.T) {
	requireRoot(t)
	if !DetectLSMs().AppArmor {
		err := (&Labels{AppArmorProfile: apparmorProfileName}).Validate()
		if err == nil || !strings.Contains(err.Error(), "AppArmor is not enabled on this host") {
			t.Fatalf("Validate on a host without AppArmor: %v", err)
		}
		t.Log("AppArmor is not enabled here: checked the error only")
		return
	}
	secret := apparmorSecret
	if err := os.WriteFile(secret, []byte("secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(secret)
	public := filepath.Join(t.TempDir(), "public")
	if err := os.WriteFile(public, []byte("public\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	loaded, how := loadAppArmor(t)
	if !loaded {
		// Without a loader the kernel still answers for a profile it
		// does not have.
		cmd, stdout, stderr := child{role: "lsm", arg: lsmArg{
			Labels: Labels{AppArmorProfile: "libct-test-not-loaded"},
			Exec:   []string{testutil.BusyboxPath, "true"},
		}}.command(t)
		cmd.Run()
		if !strings.Contains(stdout.String(), `lsm.apparmorProfile \"libct-test-not-loaded\"`) || !strings.Contains(stdout.String(), "no such file") {
			t.Fatalf("Apply of a profile not loaded: %s %s", stdout, stderr)
		}
		t.Logf("no AppArmor loader (%s): checked that an unknown profile is refused, not enforcement", how)
		return
	}
	defer unloadAppArmor(apparmorProfileName)
	tail := child{role: "lsm", arg: lsmArg{
		Labels: Labels{AppArmorProfile: apparmorProfileName},
		Exec:   []string{testutil.BusyboxPath, "sh", "-c", "cat /proc/self/attr/current; cat " + public + "; cat " + secret + " 2>&1; echo rc=$?"},
	}}.run(t, nil)
	want := apparmorProfileName + " (enforce)\npublic\ncat: can't open '" + secret + "': Permission denied\nrc=1\n"
	if tail != want {
		t.Fatalf("under the profile: %q, want %q", tail, want)
	}
	t.Logf("profile loaded with %s and enforced", how)
}

// loadAppArmor loads the test profile with apparmor_parser, or writes a
// compiled policy to the kernel.
func loadAppArmor(t *testing.T) (bool, string) {
	policy, how := apparmorPolicy, "the precompiled policy"
	switch p := os.Getenv("LIBCT_TEST_APPARMOR_POLICY"); p {
	case "none":
		return false, "LIBCT_TEST_APPARMOR_POLICY=none"
	case "":
		if parser, err := exec.LookPath("apparmor_parser"); err == nil {
			cmd := exec.Command(parser, "-r")
			cmd.Stdin = strings.NewReader(apparmorProfile)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("apparmor_parser: %v\n%s", err, out)
			}
			return true, "apparmor_parser"
		}
	default:
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		policy, how = b, p
	}
	f, err := os.OpenFile("/sys/kernel/security/apparmor/.replace", os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Write(policy)
	f.Close()
	if err != nil {
		t.Fatalf("load %s: %v (regenerate it with apparmor_parser for this kernel)", how, err)
	}
	return true, how
}

func unloadAppArmor(name string) {
	f, err := os.OpenFile("/sys/kernel/security/apparmor/.remove", os.O_WRONLY, 0)
	if err != nil {
		return
	}
	f.Write([]byte(name))
	f.Close()
}

// TestLabelsApplyWithoutLSM: on a host without the LSM, writing the
// attribute fails rather than silently doing nothing.
func TestLabelsApplyWithoutLSM(t *testing.T) {
	requireRoot(t)
	if DetectLSMs().SELinux {
		t.Log("SELinux is enabled: nothing to check")
		return
	}
	cmd, stdout, stderr := child{role: "lsm", arg: lsmArg{
		Labels: Labels{SELinuxLabel: "system_u:system_r:container_t:s0"},
		Exec:   []string{testutil.BusyboxPath, "true"},
	}}.command(t)
	if err := cmd.Run(); err != nil {
		t.Fatal(err, stderr)
	}
	var out childResult
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatal(err, stdout)
	}
	if !strings.HasPrefix(out.Err, `lsm.selinuxLabel "system_u:system_r:container_t:s0": `) {
		t.Fatalf("Apply: %q", out.Err)
	}
	t.Logf("Apply: %s", out.Err)
}
