package testutil

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ContainerLeaks lists what a container left on the host after its
// deletion, by kind: processes still in its cgroup or running in its root
// file system (zombies are dead and not counted), cgroups of it in any
// hierarchy (v1 controllers under /sys/fs/cgroup/CTRL/, cgroup2 under
// /sys/fs/cgroup/unified or /sys/fs/cgroup itself), mounts at or under
// one of paths in this mount namespace, network devices whose name
// starts with vethPrefix (when not empty), and entries of stateRoot.
// cgroupPath is the container's cgroup
// path ("/libct/ID"). It looks only for what belongs to the container, so
// other work on the host cannot make it fail.
func ContainerLeaks(cgroupPath, rootfs, stateRoot, vethPrefix string, paths ...string) []string {
	var leaks []string
	leaks = append(leaks, processLeaks(cgroupPath, rootfs)...)
	for _, pattern := range []string{"/sys/fs/cgroup/*" + cgroupPath, "/sys/fs/cgroup" + cgroupPath} {
		dirs, _ := filepath.Glob(pattern)
		for _, d := range dirs {
			leaks = append(leaks, "cgroup "+d)
		}
	}
	leaks = append(leaks, mountLeaks(paths)...)
	if vethPrefix != "" {
		links, _ := os.ReadDir("/sys/class/net")
		for _, l := range links {
			if strings.HasPrefix(l.Name(), vethPrefix) {
				leaks = append(leaks, "network device "+l.Name())
			}
		}
	}
	entries, _ := os.ReadDir(stateRoot)
	for _, e := range entries {
		leaks = append(leaks, "state "+filepath.Join(stateRoot, e.Name()))
	}
	return leaks
}

// processLeaks lists the live processes in cgroupPath (in any hierarchy)
// or whose root directory is rootfs.
func processLeaks(cgroupPath, rootfs string) []string {
	var leaks []string
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil || zombie(pid) {
			continue
		}
		dir := "/proc/" + p.Name()
		if root, err := os.Readlink(dir + "/root"); err == nil && rootfs != "" && root == rootfs {
			leaks = append(leaks, fmt.Sprintf("process %d (root %s)", pid, root))
			continue
		}
		data, err := os.ReadFile(dir + "/cgroup")
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			// hierarchy-ID:controllers:path
			if f := strings.SplitN(sc.Text(), ":", 3); len(f) == 3 && (f[2] == cgroupPath || strings.HasPrefix(f[2], cgroupPath+"/")) {
				leaks = append(leaks, fmt.Sprintf("process %d (cgroup %s)", pid, sc.Text()))
				break
			}
		}
	}
	return leaks
}

func zombie(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // gone
	}
	i := bytes.LastIndexByte(data, ')')
	return i < 0 || i+2 >= len(data) || data[i+2] == 'Z' || data[i+2] == 'X'
}

// mountLeaks lists the mounts of this mount namespace at or under one of
// paths.
func mountLeaks(paths []string) []string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return []string{"mountinfo: " + err.Error()}
	}
	var leaks []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		for _, p := range paths {
			if p != "" && (f[4] == p || strings.HasPrefix(f[4], p+"/")) {
				leaks = append(leaks, "mount "+f[4])
				break
			}
		}
	}
	return leaks
}
