package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/libct/libct/internal/quote"
)

// logger writes ct's log: the --log file, or standard error without one,
// as text (time="..." level=... msg="...") or as JSON lines
// ({"level":"error","msg":"...","time":"..."}), the formats engines read:
// containerd's shim takes the last "error" line of the --log file as the
// reason a runtime command failed.
type logger struct {
	mu    sync.Mutex
	w     io.Writer
	json  bool
	debug bool
	// file is set when the log is a file of its own, not standard error.
	file *os.File
}

// newLogger opens the log. path "" logs to stderr; format is "text" or
// "json".
func newLogger(path, format string, debug bool, stderr io.Writer) (*logger, error) {
	l := &logger{w: stderr, debug: debug}
	switch format {
	case "", "text":
	case "json":
		l.json = true
	default:
		return nil, fmt.Errorf("--log-format %s: want text or json", quote.Value(format))
	}
	if path != "" {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_SYNC, 0o644)
		if err != nil {
			return nil, fmt.Errorf("--log: %w", err)
		}
		l.w, l.file = f, f
	}
	return l, nil
}

// close closes the log file.
func (l *logger) close() {
	if l != nil && l.file != nil {
		l.file.Close()
	}
}

// toFile reports whether the log goes to a file rather than stderr.
func (l *logger) toFile() bool { return l != nil && l.file != nil }

func (l *logger) write(level, msg string) {
	if l == nil {
		return
	}
	now := time.Now().Format(time.RFC3339Nano)
	var line []byte
	if l.json {
		line, _ = json.Marshal(struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
			Time  string `json:"time"`
		}{level, msg, now})
	} else {
		line = fmt.Appendf(nil, "time=%q level=%s msg=%q", now, level, msg)
	}
	line = append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	l.w.Write(line)
}

func (l *logger) errorf(format string, args ...any) { l.write("error", fmt.Sprintf(format, args...)) }

func (l *logger) warnf(format string, args ...any) { l.write("warning", fmt.Sprintf(format, args...)) }

// debugf logs only with --debug.
func (l *logger) debugf(format string, args ...any) {
	if l != nil && l.debug {
		l.write("debug", fmt.Sprintf(format, args...))
	}
}

// oneLine folds a message onto a single line: ct's errors are one line on
// stderr and one entry in the log.
func oneLine(s string) string {
	s = strings.TrimRight(s, "\n")
	return strings.ReplaceAll(s, "\n", "; ")
}
