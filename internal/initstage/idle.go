package initstage

import (
	"bufio"
	"bytes"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// releaseFilePages drops from the init's resident set the pages of its
// binary and libraries that are the file's own (code and read-only data),
// before it waits for Start: a prepared container may wait a long time,
// and those pages are in the page cache anyway. Whatever it touches again
// faults back in from there.
//
// Only mappings without a private copy of any page are dropped. A
// writable mapping has them; so has the read-only part of a dynamically
// linked object that the loader relocated before it made it read-only
// (RELRO: the GOT and the pointers of .data.rel.ro). Dropping those
// would bring back the file's unrelocated bytes, and the next call
// through them would jump to nowhere. smaps counts those copies as
// "Anonymous" memory of the mapping.
func releaseFilePages() {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return
	}
	defer f.Close()
	var cur struct {
		start, end uint64
		fileOnly   bool // read-only, backed by a file
	}
	drop := func() {
		if cur.fileOnly && cur.end > cur.start {
			unix.Syscall(unix.SYS_MADVISE, uintptr(cur.start), uintptr(cur.end-cur.start), unix.MADV_DONTNEED)
		}
		cur.fileOnly = false
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Bytes()
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && bytes.IndexByte(k, ' ') < 0 {
			// A field of the current mapping.
			if string(k) == "Anonymous" && string(bytes.TrimSpace(v)) != "0 kB" {
				cur.fileOnly = false
			}
			continue
		}
		// The header of the next mapping: address perms offset dev inode path.
		drop()
		fields := bytes.Fields(line)
		if len(fields) < 6 || string(fields[4]) == "0" || bytes.IndexByte(fields[1], 'w') >= 0 {
			continue
		}
		lo, hi, ok := bytes.Cut(fields[0], []byte("-"))
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(string(lo), 16, 64)
		end, err2 := strconv.ParseUint(string(hi), 16, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		cur.start, cur.end, cur.fileOnly = start, end, true
	}
	if sc.Err() == nil {
		drop()
	}
}
