package security

import "sort"

//go:generate go run mksyscalls.go

// sysEntry is one syscall of an ABI: its name as the kernel's syscall
// table and libseccomp spell it, and its number.
type sysEntry struct {
	name string
	nr   uint32
}

// sysTable is a syscall name table sorted by name. It is a plain array
// literal, laid out by the linker: looking a name up costs no start-up
// work, which matters for the init stage.
type sysTable []sysEntry

// lookup returns the number of the syscall called name.
func (t sysTable) lookup(name string) (uint32, bool) {
	i := sort.Search(len(t), func(i int) bool { return t[i].name >= name })
	if i < len(t) && t[i].name == name {
		return t[i].nr, true
	}
	return 0, false
}

// SyscallNumber returns the x86_64 number of the syscall called name, and
// whether the table knows it.
func SyscallNumber(name string) (int, bool) {
	nr, ok := sysX86_64.lookup(name)
	return int(nr), ok
}
