package cinit

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/moby/sys/user"

	"github.com/libct/libct/internal/spec"
	"github.com/libct/libct/rootfs"
)

// credentials are the user and groups the program runs as.
type credentials struct {
	uid, gid int
	// groups is nil when setgroups must not be called.
	groups []int
	home   string
}

// errUnsafe is why the user is left to the Go init.
var errUnsafe = errors.New("the container's /etc/passwd and /etc/group may differ from the host's view of its root")

// resolveUser resolves the program's user from the root's /etc/passwd and
// /etc/group, read by the parent through the host's view of the root. The
// Go init reads them inside the container once its mounts are made, so
// this is done only when no mount can cover them: nothing is mounted at
// /etc or at either file, and neither they nor /etc are symbolic links
// (through which a mount elsewhere could cover them). Otherwise, and for
// any error, the start goes through the Go init, which reports errors with
// the container's view.
func resolveUser(s *spec.Init) (*credentials, error) {
	for _, m := range s.Rootfs.Mounts {
		rel, err := rootfs.InRoot(m.Destination)
		if err != nil || rel == "etc" || rel == "etc/passwd" || rel == "etc/group" {
			return nil, errUnsafe
		}
	}
	root, err := os.OpenRoot(s.Rootfs.Root)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	for _, name := range []string{"etc", "etc/passwd", "etc/group"} {
		fi, err := root.Lstat(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return nil, errUnsafe
		}
	}
	return userIn(root, &s.Process)
}

// userIn resolves the user of p from the /etc/passwd and /etc/group of
// root, as the Go init does from the container's.
func userIn(root *os.Root, p *spec.Process) (*credentials, error) {
	who := p.User
	if who == "" {
		who = "0:0"
	}
	passwd, closePasswd := openOptional(root, "etc/passwd")
	defer closePasswd()
	group, closeGroup := openOptional(root, "etc/group")
	defer closeGroup()
	u, err := user.GetExecUser(who, &user.ExecUser{Home: "/"}, passwd, group)
	if err != nil {
		return nil, err
	}
	if len(p.AdditionalGroups) > 0 {
		// The group file is read a second time, as the Go init does.
		group, closeAgain := openOptional(root, "etc/group")
		defer closeAgain()
		gids, err := user.GetAdditionalGroups(p.AdditionalGroups, group)
		if err != nil {
			return nil, err
		}
		u.Sgids = append(u.Sgids, gids...)
	}
	c := &credentials{uid: u.Uid, gid: u.Gid, home: u.Home}
	if p.SetgroupsAllowed {
		c.groups = u.Sgids
		if c.groups == nil {
			c.groups = []int{}
		}
	} else if len(p.AdditionalGroups) > 0 {
		return nil, errors.New("setgroups is denied")
	}
	return c, nil
}

// openOptional opens a file of the root, or gives a nil reader when it
// cannot, as user.GetExecUserPath does.
func openOptional(root *os.Root, name string) (io.Reader, func()) {
	f, err := root.Open(name)
	if err != nil {
		return nil, func() {}
	}
	return f, func() { f.Close() }
}

// programEnv is the program's environment as the Go init makes it: PATH
// when it has none at all, HOME from the user when it has none.
func programEnv(env []string, home string) []string {
	if len(env) == 0 {
		env = []string{spec.DefaultPath}
	}
	for _, kv := range env {
		if strings.HasPrefix(kv, "HOME=") {
			return env
		}
	}
	return append(env[:len(env):len(env)], "HOME="+home)
}

// searchPath is the PATH the program is looked up in: the last one of
// env, as the Go init takes it.
func searchPath(env []string) string {
	p := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			p = v
		}
	}
	return p
}
