package initstage

import (
	"os"
	"os/exec"
	"os/user"
	"runtime"
	"testing"
)

// TestReleaseFilePagesKeepsRelocatedPages: after releaseFilePages a
// process still runs its C library and its own code. The loader writes
// relocations into read-only-after-relocation pages (RELRO) of a
// dynamically linked binary and of its libraries: dropping those pages
// would bring back their unrelocated contents from the file, and the next
// call through them would crash. The check runs in a child, which calls
// into the C library (cgo's user lookup, a new thread) afterwards.
func TestReleaseFilePagesKeepsRelocatedPages(t *testing.T) {
	if os.Getenv("LIBCT_TEST_RELEASE_PAGES") == "1" {
		releaseFilePages()
		for i := 0; i < 20; i++ {
			if _, err := user.Current(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { runtime.LockOSThread(); close(done) }()
			<-done
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestReleaseFilePagesKeepsRelocatedPages$", "-test.count", "1")
	cmd.Env = append(os.Environ(), "LIBCT_TEST_RELEASE_PAGES=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("after releaseFilePages the process failed: %v\n%s", err, out)
	}
}
