package spec

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/moby/sys/user"
	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/quote"
)

// The rules below read a spec the same way for both inits: the Go init
// (internal/initstage) applies them inside the container, the parent for
// the C init (internal/cinit) applies them before it compiles a start.

// DefaultPath is the environment of a program that was given none.
const DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Credentials are what a program runs as.
type Credentials struct {
	UID, GID int
	// Groups is nil when setgroups must not be called.
	Groups []int
	// Home is the user's home directory, "/" without one.
	Home string
}

// OpenFunc opens a file of the container by its absolute path inside it
// ("/etc/passwd"). A nil reader stands for a file that cannot be opened,
// which the resolution takes as empty, as user.GetExecUserPath does.
type OpenFunc func(path string) (r io.Reader, close func())

// ResolveUser resolves p's user ("uid[:gid]" or "name[:group]", root when
// empty) and groups from the container's /etc/passwd and /etc/group, read
// through open.
func ResolveUser(p *Process, open OpenFunc) (*Credentials, error) {
	who := p.User
	if who == "" {
		who = "0:0"
	}
	passwd, closePasswd := open("/etc/passwd")
	defer closePasswd()
	group, closeGroup := open("/etc/group")
	defer closeGroup()
	u, err := user.GetExecUser(who, &user.ExecUser{Home: "/"}, passwd, group)
	if err != nil {
		return nil, fmt.Errorf("process.user %s: %w", quote.Value(p.User), err)
	}
	if len(p.AdditionalGroups) > 0 {
		// A second read of the group file: the first one was consumed.
		group, closeAgain := open("/etc/group")
		defer closeAgain()
		gids, err := user.GetAdditionalGroups(p.AdditionalGroups, group)
		if err != nil {
			return nil, fmt.Errorf("process.additionalGroups %v: %w", p.AdditionalGroups, err)
		}
		u.Sgids = append(u.Sgids, gids...)
	}
	c := &Credentials{UID: u.Uid, GID: u.Gid, Home: u.Home}
	if p.SetgroupsAllowed {
		c.Groups = u.Sgids
		if c.Groups == nil {
			c.Groups = []int{}
		}
	} else if len(p.AdditionalGroups) > 0 {
		return nil, errors.New("process.additionalGroups: setgroups is denied in this user namespace")
	}
	return c, nil
}

// Environ is the program's environment: env, or DefaultPath when it is
// empty, with one entry per name. A name given twice keeps its last value,
// in the place of that last entry, as a shell assignment would leave it.
// An empty HOME counts as none: HOME=home is added when env has no HOME
// with a value.
func Environ(env []string, home string) []string {
	if len(env) == 0 {
		env = []string{DefaultPath}
	}
	seen := make(map[string]bool, len(env))
	out := make([]string, 0, len(env)+1)
	hasHome := false
	for i := len(env) - 1; i >= 0; i-- {
		kv := env[i]
		name, value, _ := strings.Cut(kv, "=")
		if seen[name] {
			continue
		}
		seen[name] = true
		if name == "HOME" {
			if value == "" {
				continue
			}
			hasHome = true
		}
		out = append(out, kv)
	}
	slices.Reverse(out)
	if !hasHome {
		out = append(out, "HOME="+home)
	}
	return out
}

// ExecUser is who the program's exec permission is checked for when the
// init looks it up, still as root, so that a refusal comes before the
// container is created: its user, groups, and whether CAP_DAC_OVERRIDE
// stays in its effective set. Groups is nil when setgroups must not be
// called.
type ExecUser struct {
	UID, GID    int
	Groups      []int
	DACOverride bool
}

// ExecUserOf is the ExecUser of p run with cred, or nil for root, whose
// exec the mode bits alone decide at lookup.
func ExecUserOf(p *Process, cred *Credentials) *ExecUser {
	if cred.UID == 0 {
		return nil
	}
	u := &ExecUser{UID: cred.UID, GID: cred.GID, Groups: cred.Groups}
	// Without capabilities of its own the program keeps none past the
	// change to a user other than root.
	if p.Capabilities != nil {
		if m, err := p.Capabilities.Masks(); err == nil {
			u.DACOverride = m.Effective&(1<<unix.CAP_DAC_OVERRIDE) != 0
		}
	}
	return u
}

// SearchPath is the PATH a program name is looked up in: the last PATH
// of env, as execvp takes it.
func SearchPath(env []string) string {
	p := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			p = v
		}
	}
	return p
}

// SysctlPath turns a sysctl key ("net.ipv4.ip_forward") into its path
// under /proc/sys ("net/ipv4/ip_forward"); a slash in the key means it is
// a path already ("net/ipv4/conf/eth0.1/forwarding").
func SysctlPath(key string) string {
	if strings.Contains(key, "/") {
		return key
	}
	return strings.ReplaceAll(key, ".", "/")
}
