package security

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/libct/libct/internal/testutil"
)

func TestKernelStructSizes(t *testing.T) {
	// struct seccomp_notif and struct seccomp_notif_resp, whose sizes the
	// ioctl numbers encode.
	if s := unsafe.Sizeof(Notification{}); s != 80 {
		t.Errorf("Notification: %d bytes, want 80", s)
	}
	if s := unsafe.Sizeof(notifResp{}); s != 24 {
		t.Errorf("notifResp: %d bytes, want 24", s)
	}
}

func TestSendRecvFd(t *testing.T) {
	for _, tc := range []struct {
		name string
		typ  int
		msg  string
		want string
	}{
		{"seqpacket with message", unix.SOCK_SEQPACKET, "hello", "hello"},
		{"stream without message", unix.SOCK_STREAM, "", "\x00"},
		{"datagram", unix.SOCK_DGRAM, "x", "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fds, err := unix.Socketpair(unix.AF_UNIX, tc.typ|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fds[0])
			defer unix.Close(fds[1])
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if err := SendFd(fds[0], int(w.Fd()), []byte(tc.msg)); err != nil {
				t.Fatal(err)
			}
			fd, msg, err := RecvFd(fds[1], 16)
			if err != nil {
				t.Fatal(err)
			}
			if string(msg) != tc.want {
				t.Errorf("message %q, want %q", msg, tc.want)
			}
			flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
			if err != nil || flags&unix.FD_CLOEXEC == 0 {
				t.Errorf("received fd not close-on-exec: %#x %v", flags, err)
			}
			// The received descriptor is the pipe's write end.
			w.Close()
			if _, err := unix.Write(fd, []byte("!")); err != nil {
				t.Fatal(err)
			}
			unix.Close(fd)
			b := make([]byte, 2)
			if n, _ := r.Read(b); string(b[:n]) != "!" {
				t.Errorf("read %q through the pipe", b[:n])
			}
		})
	}
	t.Run("no descriptor", func(t *testing.T) {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fds[0])
		defer unix.Close(fds[1])
		unix.Write(fds[0], []byte("plain"))
		if _, _, err := RecvFd(fds[1], 16); err == nil || !strings.Contains(err.Error(), "no descriptor") {
			t.Fatalf("err %v", err)
		}
		unix.Close(fds[0])
		if _, _, err := RecvFd(fds[1], 16); err == nil {
			t.Fatal("no error at end of stream")
		}
	})
}

func TestValidateOOMScoreAdj(t *testing.T) {
	for _, tc := range []struct {
		v    int
		want string
	}{
		{0, ""}, {-1000, ""}, {1000, ""}, {-1001, "oomScoreAdj -1001: out of range -1000..1000"},
		{1001, "oomScoreAdj 1001: out of range -1000..1000"},
	} {
		t.Run(strconv.Itoa(tc.v), func(t *testing.T) {
			err := ValidateOOMScoreAdj(tc.v)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Fatalf("%q, want %q", got, tc.want)
			}
			if tc.want != "" {
				if err := SetOOMScoreAdj(tc.v); err == nil || err.Error() != tc.want {
					t.Fatalf("SetOOMScoreAdj: %v", err)
				}
			}
		})
	}
}

type privsArg struct {
	OOM      int
	DropCaps bool
	NNP      bool
	Exec     []string
}

type privsResult struct {
	OOMErrno  int
	NNPBefore bool
	NNPAfter  bool
}

func init() {
	roles["privs"] = func(raw json.RawMessage) (any, error) {
		var a privsArg
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, err
		}
		var r privsResult
		if a.DropCaps {
			c := DefaultCapabilities()
			if err := c.PrepareForUserChange(); err != nil {
				return nil, err
			}
			if err := c.Apply(); err != nil {
				return nil, err
			}
		}
		r.OOMErrno = errnoOf(SetOOMScoreAdj(a.OOM))
		var err error
		if r.NNPBefore, err = NoNewPrivs(); err != nil {
			return nil, err
		}
		if a.NNP {
			if err := SetNoNewPrivs(); err != nil {
				return nil, err
			}
		}
		if r.NNPAfter, err = NoNewPrivs(); err != nil {
			return nil, err
		}
		return execAfter{r, a.Exec}, nil
	}
}

func TestNoNewPrivsAndOOMScoreAdj(t *testing.T) {
	requireRoot(t)
	exe := []string{testutil.BusyboxPath, "sh", "-c", "cat /proc/self/oom_score_adj; grep NoNewPrivs /proc/self/status"}
	// Root may lack CAP_SYS_RESOURCE too, in a container.
	rootOOM, rootTail := 0, "-900\nNoNewPrivs:\t0\n"
	if !holds(t, unix.CAP_SYS_RESOURCE) {
		t.Log("this root lacks CAP_SYS_RESOURCE: it cannot lower its score either")
		rootOOM, rootTail = int(unix.EACCES), "0\nNoNewPrivs:\t0\n"
	}
	tests := []struct {
		name     string
		arg      privsArg
		wantOOM  int
		wantTail string
	}{
		{"no_new_privs and a high score", privsArg{OOM: 700, NNP: true}, 0, "700\nNoNewPrivs:\t1\n"},
		{"a low score as root", privsArg{OOM: -900}, rootOOM, rootTail},
		// Lowering the score needs CAP_SYS_RESOURCE, which the
		// default set lacks: hence before the capabilities.
		{"a low score without CAP_SYS_RESOURCE", privsArg{OOM: -900, DropCaps: true}, int(unix.EACCES), "0\nNoNewPrivs:\t0\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.arg.Exec = exe
			var r privsResult
			tail := child{role: "privs", arg: tc.arg}.run(t, &r)
			if r.OOMErrno != tc.wantOOM {
				t.Errorf("SetOOMScoreAdj: errno %d, want %d", r.OOMErrno, tc.wantOOM)
			}
			if r.NNPBefore || r.NNPAfter != tc.arg.NNP {
				t.Errorf("NoNewPrivs before %v, after %v", r.NNPBefore, r.NNPAfter)
			}
			if tail != tc.wantTail {
				t.Errorf("after exec: %q, want %q", tail, tc.wantTail)
			}
		})
	}
}

// holds reports whether this thread has capability nr in its effective
// set.
func holds(t *testing.T, nr int) bool {
	t.Helper()
	sets, err := threadSets()
	if err != nil {
		t.Fatal(err)
	}
	return sets["CapEff"]&(1<<uint(nr)) != 0
}
