package main

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// settle writes the files back and drops their pages from the page
// cache, so that the next run of each reads it back from disk.
//
// It puts every runtime's executable in one state before the
// measurements. A file that was just written, as bin/ct is by make
// build, sits in the page cache in the large folios the writes made,
// and the kernel maps a large folio whole on the first fault in it
// (Linux 6.18): a fresh bin/ct counted 0.6 to 0.7 MB more peak RSS than
// the same file read back. Installed binaries, such as crun's and its
// libraries, are in the read-back state already. Pages that a running
// process maps stay in the cache, so the shared C library is untouched.
func settle(paths []string) error {
	for _, p := range paths {
		if err := settleFile(p); err != nil {
			return err
		}
	}
	return nil
}

func settleFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fd := int(f.Fd())
	if err := unix.Fdatasync(fd); err != nil {
		return fmt.Errorf("settle %s: fdatasync: %w", path, err)
	}
	if err := unix.Fadvise(fd, 0, 0, unix.FADV_DONTNEED); err != nil {
		return fmt.Errorf("settle %s: fadvise: %w", path, err)
	}
	return nil
}
