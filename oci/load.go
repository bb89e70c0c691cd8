package oci

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mailru/easyjson/jlexer"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/libct/libct/internal/quote"
	"github.com/libct/libct/internal/sysfile"
)

// linuxSpec's generated decoder (oci_easyjson.go), without its one use of
// package easyjson, which would bring net/http and crypto into ct.
//go:generate go tool easyjson -no_std_marshalers -disallow_unknown_fields -pkg .
//go:generate sed -i -e /mailru.easyjson.$/d -e /easyjson.Marshaler$/d oci_easyjson.go

// ConfigName is the name of the spec in a bundle.
const ConfigName = "config.json"

// LoadSpec reads BUNDLE/config.json. Errors name the file and, for a
// value of the wrong JSON type, the JSON path of the value
// ("/b/config.json: process.user.uid: cannot be a string (want uint32)");
// a syntax error names the line and column.
//
// The sections of other platforms (solaris, windows, vm, zos, freebsd)
// are not decoded: a present one comes back as an empty, non-nil value,
// which Convert refuses. A document the generated decoder takes costs
// no reflection (see decodeGenerated); on the others, encoding/json
// prepares the decoding of every type a struct can hold the first time it
// meets the struct, and those sections are a third of the spec's types.
func LoadSpec(bundle string) (*specs.Spec, error) {
	data, file, err := readConfig(bundle)
	if err != nil {
		return nil, err
	}
	s, err := ParseSpec(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return s, nil
}

// LoadProcess reads the process of BUNDLE/config.json, with LoadSpec's
// errors; it is nil when the spec has none. It decodes nothing else with
// encoding/json, for the commands that need no more (ct exec).
func LoadProcess(bundle string) (*specs.Process, error) {
	p, _, err := LoadExecDefaults(bundle)
	return p, err
}

// LoadExecDefaults reads what a process exec'd into the container of
// BUNDLE/config.json takes from it, with LoadSpec's errors: the process
// (nil when the spec has none) and the container's personality
// (linux.personality converted as Convert does; nil when unset), which
// an OCI runtime applies to every process of the container.
func LoadExecDefaults(bundle string) (*specs.Process, *uint32, error) {
	data, file, err := readConfig(bundle)
	if err != nil {
		return nil, nil, err
	}
	var s linuxSpec
	if !decodeGenerated(data, &s) {
		var p struct {
			Process *specs.Process `json:"process,omitempty"`
			Linux   *struct {
				Personality *specs.LinuxPersonality `json:"personality,omitempty"`
			} `json:"linux,omitempty"`
		}
		if err := json.Unmarshal(data, &p); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", file, describeJSONError(data, err))
		}
		s.Process = p.Process
		if p.Linux != nil {
			s.Linux = &specs.Linux{Personality: p.Linux.Personality}
		}
	}
	if s.Linux == nil || s.Linux.Personality == nil {
		return s.Process, nil, nil
	}
	per, err := convertPersonality(s.Linux.Personality)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	return s.Process, per, nil
}

// readConfig reads BUNDLE/config.json, and returns it with its path.
func readConfig(bundle string) (data []byte, file string, err error) {
	if fi, err := os.Stat(bundle); err != nil {
		return nil, "", fmt.Errorf("bundle %s: %w", quote.Value(bundle), unwrapPath(err))
	} else if !fi.IsDir() {
		return nil, "", fmt.Errorf("bundle %s: not a directory", quote.Value(bundle))
	}
	file = filepath.Join(bundle, ConfigName)
	data, err = sysfile.Read(file)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", file, unwrapPath(err))
	}
	return data, file, nil
}

// decodeGenerated decodes data with the generated decoder of linuxSpec
// (oci_easyjson.go), which knows the spec's types without the reflection
// encoding/json pays for on its first use in a process, a cost every ct
// create would carry (bench/results.md). It succeeds only on a document that
// encoding/json reads the same way: valid UTF-8 (encoding/json replaces
// invalid bytes, the generated decoder keeps them), every key one of the
// spec's own, spelled as the spec spells it (encoding/json ignores case
// and skips unknown keys; the generated decoder refuses both). On
// anything else, errors included, it leaves s empty and reports false:
// encoding/json then reads the document as runc does and places the
// errors.
func decodeGenerated(data []byte, s *linuxSpec) bool {
	if !utf8.Valid(data) {
		return false
	}
	l := jlexer.Lexer{Data: data}
	s.UnmarshalEasyJSON(&l)
	if l.Error() != nil {
		*s = linuxSpec{}
		return false
	}
	return true
}

// ParseSpec decodes a spec, with LoadSpec's errors minus the file name,
// and like LoadSpec leaves the sections of other platforms empty.
func ParseSpec(data []byte) (*specs.Spec, error) {
	var s linuxSpec
	if !decodeGenerated(data, &s) {
		if err := json.Unmarshal(data, &s); err != nil {
			return nil, describeJSONError(data, err)
		}
	}
	return s.spec(), nil
}

// linuxSpec is specs.Spec with the sections of other platforms left
// undecoded. Its decoder is generated (see decodeGenerated); regenerate it
// with go generate after upgrading runtime-spec.
//
//easyjson:json
type linuxSpec struct {
	Version     string            `json:"ociVersion"`
	Process     *specs.Process    `json:"process,omitempty"`
	Root        *specs.Root       `json:"root,omitempty"`
	Hostname    string            `json:"hostname,omitempty"`
	Domainname  string            `json:"domainname,omitempty"`
	Mounts      []specs.Mount     `json:"mounts,omitempty"`
	Hooks       *specs.Hooks      `json:"hooks,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Linux       *specs.Linux      `json:"linux,omitempty"`
	Solaris     json.RawMessage   `json:"solaris,omitempty"`
	Windows     json.RawMessage   `json:"windows,omitempty"`
	VM          json.RawMessage   `json:"vm,omitempty"`
	ZOS         json.RawMessage   `json:"zos,omitempty"`
	FreeBSD     json.RawMessage   `json:"freebsd,omitempty"`
}

func (l *linuxSpec) spec() *specs.Spec {
	s := &specs.Spec{
		Version: l.Version, Process: l.Process, Root: l.Root, Hostname: l.Hostname, Domainname: l.Domainname,
		Mounts: l.Mounts, Hooks: l.Hooks, Annotations: l.Annotations, Linux: l.Linux,
	}
	present := func(raw json.RawMessage) bool { return len(raw) > 0 && string(raw) != "null" }
	if present(l.Solaris) {
		s.Solaris = &specs.Solaris{}
	}
	if present(l.Windows) {
		s.Windows = &specs.Windows{}
	}
	if present(l.VM) {
		s.VM = &specs.VM{}
	}
	if present(l.ZOS) {
		s.ZOS = &specs.ZOS{}
	}
	if present(l.FreeBSD) {
		s.FreeBSD = &specs.FreeBSD{}
	}
	return s
}

// describeJSONError places a decoding error: the JSON path of a value of
// the wrong type, the line and column of a syntax error.
func describeJSONError(data []byte, err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		path := pathAt(data, te.Offset)
		if path == "" {
			path = te.Field
		}
		if path == "" {
			return fmt.Errorf("the document is a JSON %s, not an object", te.Value)
		}
		return &FieldError{Path: path, Err: fmt.Errorf("cannot be a JSON %s (want %s)", te.Value, te.Type)}
	case errors.As(err, &se):
		// Offset is just past the offending byte.
		off := se.Offset
		if off > 0 && off <= int64(len(data)) && !strings.Contains(se.Error(), "unexpected end") {
			off--
		}
		line, col := lineCol(data, off)
		return fmt.Errorf("line %d, column %d: %v", line, col, se)
	}
	return err
}

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// pathAt returns the JSON path ("mounts[2].options[0]") of the value
// being read when a decoder had read off bytes of data: UnmarshalTypeError
// gives the offset just past the value it refused.
func pathAt(data []byte, off int64) string {
	type frame struct {
		array   bool
		key     string
		idx     int
		needKey bool
	}
	var st []frame
	render := func() string {
		var b bytes.Buffer
		for i, f := range st {
			switch {
			case f.array:
				b.WriteString("[" + strconv.Itoa(f.idx) + "]")
			case i == 0:
				b.WriteString(f.key)
			default:
				b.WriteString("." + f.key)
			}
		}
		return b.String()
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		if n := len(st); n > 0 {
			top := &st[n-1]
			if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
				st = st[:n-1]
				if m := len(st); m > 0 && !st[m-1].array {
					st[m-1].needKey = true
				}
				continue
			}
			if !top.array && top.needKey {
				top.key, _ = tok.(string)
				top.needKey = false
				continue
			}
			if top.array {
				top.idx++
			}
		}
		// tok starts a value, at the path render gives.
		if dec.InputOffset() >= off {
			return render()
		}
		if d, ok := tok.(json.Delim); ok {
			st = append(st, frame{array: d == '[', idx: -1, needKey: d == '{'})
			continue
		}
		if n := len(st); n > 0 && !st[n-1].array {
			st[n-1].needKey = true
		}
	}
}

// unwrapPath drops the *os.PathError that repeats the path the caller
// already names.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
