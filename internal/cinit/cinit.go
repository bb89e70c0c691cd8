//go:build cgo

package cinit

// #cgo CFLAGS: -Wall -O2
// #include <stddef.h>
// #include "ops.h"
// int libct_cinit_func(const char **name, const char **arg, size_t *arglen, char ***env, int *envc);
import "C"

import "unsafe"

// Available tells whether the C init is linked in.
const Available = true

// PendingFunc reports the registered function that a program ending in
// OP_FUNC left to run, once the C init returned to the Go runtime: its
// name, argument and environment. ok is false in every other process.
func PendingFunc() (name string, arg []byte, env []string, ok bool) {
	var (
		cname, carg *C.char
		arglen      C.size_t
		cenv        **C.char
		envc        C.int
	)
	if C.libct_cinit_func(&cname, &carg, &arglen, &cenv, &envc) == 0 {
		return "", nil, nil, false
	}
	name = C.GoString(cname)
	arg = C.GoBytes(unsafe.Pointer(carg), C.int(arglen))
	for _, s := range unsafe.Slice(cenv, int(envc)) {
		env = append(env, C.GoString(s))
	}
	return name, arg, env, true
}

// The operation numbers of ops.go and ops.h must agree: each line fails
// to compile (a constant index out of range) when they do not.
var (
	_ = [1]struct{}{}[opMark-C.OP_MARK]
	_ = [1]struct{}{}[C.OP_MARK-opMark]
	_ = [1]struct{}{}[opSendTrace-C.OP_SEND_TRACE]
	_ = [1]struct{}{}[C.OP_SEND_TRACE-opSendTrace]
	_ = [1]struct{}{}[opUnshare-C.OP_UNSHARE]
	_ = [1]struct{}{}[C.OP_UNSHARE-opUnshare]
	_ = [1]struct{}{}[opLoopback-C.OP_LOOPBACK]
	_ = [1]struct{}{}[C.OP_LOOPBACK-opLoopback]
	_ = [1]struct{}{}[opWriteFile-C.OP_WRITE_FILE]
	_ = [1]struct{}{}[C.OP_WRITE_FILE-opWriteFile]
	_ = [1]struct{}{}[opSethostname-C.OP_SETHOSTNAME]
	_ = [1]struct{}{}[C.OP_SETHOSTNAME-opSethostname]
	_ = [1]struct{}{}[opSetdomainname-C.OP_SETDOMAINNAME]
	_ = [1]struct{}{}[C.OP_SETDOMAINNAME-opSetdomainname]
	_ = [1]struct{}{}[opOpenProcFD-C.OP_OPEN_PROCFD]
	_ = [1]struct{}{}[C.OP_OPEN_PROCFD-opOpenProcFD]
	_ = [1]struct{}{}[opMount-C.OP_MOUNT]
	_ = [1]struct{}{}[C.OP_MOUNT-opMount]
	_ = [1]struct{}{}[opOpenRoot-C.OP_OPEN_ROOT]
	_ = [1]struct{}{}[C.OP_OPEN_ROOT-opOpenRoot]
	_ = [1]struct{}{}[opTarget-C.OP_TARGET]
	_ = [1]struct{}{}[C.OP_TARGET-opTarget]
	_ = [1]struct{}{}[opMountTarget-C.OP_MOUNT_TARGET]
	_ = [1]struct{}{}[C.OP_MOUNT_TARGET-opMountTarget]
	_ = [1]struct{}{}[opReopenTarget-C.OP_REOPEN_TARGET]
	_ = [1]struct{}{}[C.OP_REOPEN_TARGET-opReopenTarget]
	_ = [1]struct{}{}[opRemountBind-C.OP_REMOUNT_BIND]
	_ = [1]struct{}{}[C.OP_REMOUNT_BIND-opRemountBind]
	_ = [1]struct{}{}[opSetattr-C.OP_SETATTR]
	_ = [1]struct{}{}[C.OP_SETATTR-opSetattr]
	_ = [1]struct{}{}[opPropagateTarget-C.OP_PROPAGATE_TARGET]
	_ = [1]struct{}{}[C.OP_PROPAGATE_TARGET-opPropagateTarget]
	_ = [1]struct{}{}[opMinimalDev-C.OP_MINIMAL_DEV]
	_ = [1]struct{}{}[C.OP_MINIMAL_DEV-opMinimalDev]
	_ = [1]struct{}{}[opDevice-C.OP_DEVICE]
	_ = [1]struct{}{}[C.OP_DEVICE-opDevice]
	_ = [1]struct{}{}[opReadonlyPath-C.OP_READONLY_PATH]
	_ = [1]struct{}{}[C.OP_READONLY_PATH-opReadonlyPath]
	_ = [1]struct{}{}[opMaskPath-C.OP_MASK_PATH]
	_ = [1]struct{}{}[C.OP_MASK_PATH-opMaskPath]
	_ = [1]struct{}{}[opCloseRoot-C.OP_CLOSE_ROOT]
	_ = [1]struct{}{}[C.OP_CLOSE_ROOT-opCloseRoot]
	_ = [1]struct{}{}[opPivot-C.OP_PIVOT]
	_ = [1]struct{}{}[C.OP_PIVOT-opPivot]
	_ = [1]struct{}{}[opRemountRO-C.OP_REMOUNT_RO]
	_ = [1]struct{}{}[C.OP_REMOUNT_RO-opRemountRO]
	_ = [1]struct{}{}[opCheckCwd-C.OP_CHECK_CWD]
	_ = [1]struct{}{}[C.OP_CHECK_CWD-opCheckCwd]
	_ = [1]struct{}{}[opLookPath-C.OP_LOOKPATH]
	_ = [1]struct{}{}[C.OP_LOOKPATH-opLookPath]
	_ = [1]struct{}{}[opReady-C.OP_READY]
	_ = [1]struct{}{}[C.OP_READY-opReady]
	_ = [1]struct{}{}[opRlimit-C.OP_RLIMIT]
	_ = [1]struct{}{}[C.OP_RLIMIT-opRlimit]
	_ = [1]struct{}{}[opUmask-C.OP_UMASK]
	_ = [1]struct{}{}[C.OP_UMASK-opUmask]
	_ = [1]struct{}{}[opTerminal-C.OP_TERMINAL]
	_ = [1]struct{}{}[C.OP_TERMINAL-opTerminal]
	_ = [1]struct{}{}[opOOMScoreAdj-C.OP_OOM_SCORE_ADJ]
	_ = [1]struct{}{}[C.OP_OOM_SCORE_ADJ-opOOMScoreAdj]
	_ = [1]struct{}{}[opCapsPrepare-C.OP_CAPS_PREPARE]
	_ = [1]struct{}{}[C.OP_CAPS_PREPARE-opCapsPrepare]
	_ = [1]struct{}{}[opCloseRange-C.OP_CLOSE_RANGE]
	_ = [1]struct{}{}[C.OP_CLOSE_RANGE-opCloseRange]
	_ = [1]struct{}{}[opSeccomp-C.OP_SECCOMP]
	_ = [1]struct{}{}[C.OP_SECCOMP-opSeccomp]
	_ = [1]struct{}{}[opSetgroups-C.OP_SETGROUPS]
	_ = [1]struct{}{}[C.OP_SETGROUPS-opSetgroups]
	_ = [1]struct{}{}[opSetresgid-C.OP_SETRESGID]
	_ = [1]struct{}{}[C.OP_SETRESGID-opSetresgid]
	_ = [1]struct{}{}[opSetresuid-C.OP_SETRESUID]
	_ = [1]struct{}{}[C.OP_SETRESUID-opSetresuid]
	_ = [1]struct{}{}[opChdir-C.OP_CHDIR]
	_ = [1]struct{}{}[C.OP_CHDIR-opChdir]
	_ = [1]struct{}{}[opCapsApply-C.OP_CAPS_APPLY]
	_ = [1]struct{}{}[C.OP_CAPS_APPLY-opCapsApply]
	_ = [1]struct{}{}[opPdeathsig-C.OP_PDEATHSIG]
	_ = [1]struct{}{}[C.OP_PDEATHSIG-opPdeathsig]
	_ = [1]struct{}{}[opNoNewPrivs-C.OP_NO_NEW_PRIVS]
	_ = [1]struct{}{}[C.OP_NO_NEW_PRIVS-opNoNewPrivs]
	_ = [1]struct{}{}[opExec-C.OP_EXEC]
	_ = [1]struct{}{}[C.OP_EXEC-opExec]
	_ = [1]struct{}{}[opFunc-C.OP_FUNC]
	_ = [1]struct{}{}[C.OP_FUNC-opFunc]
	_ = [1]struct{}{}[opAnnounceExec-C.OP_ANNOUNCE_EXEC]
	_ = [1]struct{}{}[C.OP_ANNOUNCE_EXEC-opAnnounceExec]
	_ = [1]struct{}{}[opJoinCgroup-C.OP_JOIN_CGROUP]
	_ = [1]struct{}{}[C.OP_JOIN_CGROUP-opJoinCgroup]
	_ = [1]struct{}{}[opRecvMountFDs-C.OP_RECV_MOUNT_FDS]
	_ = [1]struct{}{}[C.OP_RECV_MOUNT_FDS-opRecvMountFDs]
	_ = [1]struct{}{}[opMoveMountFD-C.OP_MOVE_MOUNT_FD]
	_ = [1]struct{}{}[C.OP_MOVE_MOUNT_FD-opMoveMountFD]
	_ = [1]struct{}{}[opCount-C.OP_COUNT]
	_ = [1]struct{}{}[C.OP_COUNT-opCount]
)
