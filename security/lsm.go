package security

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/libct/libct/internal/quote"
	"github.com/libct/libct/internal/sysfile"
)

// LSM names as the kernel spells them in /sys/kernel/security/lsm.
const (
	LSMAppArmor = "apparmor"
	LSMSELinux  = "selinux"
)

// LSMs tells which label-based security modules the host has enabled.
type LSMs struct {
	AppArmor bool
	SELinux  bool
}

// DetectLSMs looks at the running system:
//
//   - /sys/kernel/security/lsm (securityfs), the list of active modules,
//     when it can be read;
//   - AppArmor: /sys/module/apparmor/parameters/enabled reads "Y", and the
//     module is in the list when the list could be read;
//   - SELinux: selinuxfs is mounted (/sys/fs/selinux/enforce exists), and
//     the module is in the list when the list could be read.
func DetectLSMs() LSMs {
	return detectLSMs("/")
}

func detectLSMs(root string) LSMs {
	var active []string
	listed := func(string) bool { return true }
	if b, err := sysfile.ReadPseudo(filepath.Join(root, "sys/kernel/security/lsm")); err == nil {
		active = strings.Split(strings.TrimSpace(string(b)), ",")
		listed = func(name string) bool { return slices.Contains(active, name) }
	}
	var l LSMs
	if b, err := sysfile.ReadPseudo(filepath.Join(root, "sys/module/apparmor/parameters/enabled")); err == nil {
		l.AppArmor = strings.HasPrefix(string(b), "Y") && listed(LSMAppArmor)
	}
	if _, err := os.Stat(filepath.Join(root, "sys/fs/selinux/enforce")); err == nil {
		l.SELinux = listed(LSMSELinux)
	}
	return l
}

// Labels are the LSM labels of a process and its mounts (libct's
// set_lsm_label). Only the labels of an LSM the host has may be set.
type Labels struct {
	// AppArmorProfile is the profile the program runs under, which must
	// be loaded in the kernel by the time of exec.
	AppArmorProfile string `json:"apparmorProfile,omitempty"`
	// SELinuxLabel is the process context (user:role:type[:level]).
	SELinuxLabel string `json:"selinuxLabel,omitempty"`
	// SELinuxMountLabel is the context of the container's mounts; see
	// MountLabelOption.
	SELinuxMountLabel string `json:"selinuxMountLabel,omitempty"`
}

// Validate checks the labels' syntax and that the host has the LSM of each
// label given. Errors name the field:
//
//	lsm.apparmorProfile "p": AppArmor is not enabled on this host
func (l *Labels) Validate() error {
	if l == nil || *l == (Labels{}) {
		// Most containers set no label: the host need not be asked.
		return nil
	}
	return l.validate(DetectLSMs())
}

func (l *Labels) validate(host LSMs) error {
	if l == nil {
		return nil
	}
	if p := l.AppArmorProfile; p != "" {
		if strings.ContainsAny(p, "\x00\n") || strings.TrimSpace(p) != p {
			return fmt.Errorf("lsm.apparmorProfile %s: not a profile name", quote.Value(p))
		}
		if !host.AppArmor {
			return fmt.Errorf("lsm.apparmorProfile %s: AppArmor is not enabled on this host", quote.Value(p))
		}
	}
	for _, f := range []struct{ name, label string }{
		{"lsm.selinuxLabel", l.SELinuxLabel},
		{"lsm.selinuxMountLabel", l.SELinuxMountLabel},
	} {
		if f.label == "" {
			continue
		}
		if err := checkSELinuxContext(f.label); err != nil {
			return fmt.Errorf("%s %s: %w", f.name, quote.Value(f.label), err)
		}
		if !host.SELinux {
			return fmt.Errorf("%s %s: SELinux is not enabled on this host", f.name, quote.Value(f.label))
		}
	}
	return nil
}

// checkSELinuxContext checks the shape user:role:type[:level]; the level
// itself may hold colons (s0:c1,c2).
func checkSELinuxContext(c string) error {
	if strings.ContainsAny(c, "\x00\n\" ") {
		return errors.New("invalid character in SELinux context")
	}
	parts := strings.SplitN(c, ":", 4)
	if len(parts) < 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" || (len(parts) == 4 && parts[3] == "") {
		return errors.New("not a user:role:type[:level] SELinux context")
	}
	return nil
}

// Apply sets the labels the program gets at exec, on the calling thread
// (the attributes are per thread, and are written through
// /proc/thread-self): the AppArmor profile ("exec <profile>" to
// attr/apparmor/exec, or attr/exec on kernels without the per-LSM
// directory) and the SELinux process label (attr/exec). Both take effect
// at the next exec of this thread; an AppArmor profile that is not loaded
// fails here with ENOENT. The mount label is not applied here: the mounts
// carry it (MountLabelOption).
func (l *Labels) Apply() error {
	if l == nil {
		return nil
	}
	if p := l.AppArmorProfile; p != "" {
		path := "/proc/thread-self/attr/apparmor/exec"
		if _, err := os.Stat(path); err != nil {
			path = "/proc/thread-self/attr/exec"
		}
		if err := writeAttr(path, "exec "+p); err != nil {
			return fmt.Errorf("lsm.apparmorProfile %s: %w", quote.Value(p), err)
		}
	}
	if c := l.SELinuxLabel; c != "" {
		if err := writeAttr("/proc/thread-self/attr/exec", c); err != nil {
			return fmt.Errorf("lsm.selinuxLabel %s: %w", quote.Value(c), err)
		}
	}
	return nil
}

// writeAttr writes an LSM attribute in one write(2), as the kernel wants.
func writeAttr(path, value string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.Write([]byte(value))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// MountLabelOption returns the mount option that labels every file of a
// mount with the SELinux context label: context="label". It returns ""
// for an empty label.
func MountLabelOption(label string) string {
	if label == "" {
		return ""
	}
	return `context="` + label + `"`
}

// WithMountLabel adds the context option of label to the mount data
// string data (comma-separated options), unless label is empty or data
// already has a context option.
func WithMountLabel(data, label string) string {
	if label == "" {
		return data
	}
	for _, o := range strings.Split(data, ",") {
		if strings.HasPrefix(o, "context=") {
			return data
		}
	}
	if data == "" {
		return MountLabelOption(label)
	}
	return data + "," + MountLabelOption(label)
}
