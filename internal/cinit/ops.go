package cinit

// The operations of a program, as ops.h numbers them.
const (
	opMark uint32 = iota + 1
	opSendTrace
	opUnshare
	opLoopback
	opWriteFile
	opSethostname
	opSetdomainname
	opOpenProcFD
	opMount
	opOpenRoot
	opTarget
	opMountTarget
	opReopenTarget
	opRemountBind
	opSetattr
	opPropagateTarget
	opMinimalDev
	opDevice
	opReadonlyPath
	opMaskPath
	opCloseRoot
	opPivot
	opRemountRO
	opCheckCwd
	opLookPath
	opReady
	opRlimit
	opUmask
	opTerminal
	opOOMScoreAdj
	opCapsPrepare
	opCloseRange
	opSeccomp
	opSetgroups
	opSetresgid
	opSetresuid
	opChdir
	opCapsApply
	opPdeathsig
	opNoNewPrivs
	opExec
	opFunc
	opAnnounceExec
	opJoinCgroup
	opSourceFD
	opRecvMountFDs
	opMoveMountFD
	opCount
)
