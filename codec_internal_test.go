package libct

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"

	"github.com/libct/libct/internal/state"
	"github.com/libct/libct/internal/testutil"
)

// The documents of a container's state directory (Config, record,
// hookConfig) have generated codecs, libct_easyjson.go, made by
// `go generate` from the types. These tests hold them to encoding/json:
// the same documents out (up to the order of map keys), the same values
// in. A field added without
// regenerating, or a tag changed, fails them.

// generatedCodec is what easyjson generates, which internal/state uses.
type generatedCodec interface {
	MarshalEasyJSON(*jwriter.Writer)
	UnmarshalEasyJSON(*jlexer.Lexer)
}

// storedDocuments are the types with a generated codec.
func storedDocuments() []any { return []any{&Config{}, &record{}, &hookConfig{}} }

// fillAll fills v with testutil.FillAll. Namespaces get known sets,
// whose names their text form checks, each different from the one before
// (map keys).
func fillAll(t *testing.T, v reflect.Value) {
	sets := []Namespaces{NewUTS, NewIPC, NewPID | NewNet}
	testutil.FillAll(t, v, func(v reflect.Value) bool {
		if v.Type() != reflect.TypeFor[Namespaces]() {
			return false
		}
		v.Set(reflect.ValueOf(sets[0]))
		sets = append(sets[1:], sets[0])
		return true
	})
}

// documentCases are values of typ to encode: zero, every field set, and
// each top-level field set alone (so that omitempty and omitzero are seen
// both ways).
func documentCases(t *testing.T, typ reflect.Type) map[string]reflect.Value {
	cases := map[string]reflect.Value{"zero": reflect.New(typ)}
	full := reflect.New(typ)
	fillAll(t, full.Elem())
	cases["every field"] = full
	for i := 0; i < typ.NumField(); i++ {
		one := reflect.New(typ)
		one.Elem().Field(i).Set(full.Elem().Field(i))
		cases["only "+typ.Field(i).Name] = one
	}
	return cases
}

// canonical is data with the keys of its objects sorted: the generated
// codec writes a map in Go's order, encoding/json sorts it.
func canonical(t *testing.T, data []byte) []byte {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", data, err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestStoredDocumentCodecsMatchEncodingJSON(t *testing.T) {
	for _, doc := range storedDocuments() {
		typ := reflect.TypeOf(doc).Elem()
		for name, v := range documentCases(t, typ) {
			t.Run(typ.Name()+"/"+name, func(t *testing.T) {
				want, err := json.Marshal(v.Interface())
				if err != nil {
					t.Fatal(err)
				}
				if _, ok := v.Interface().(generatedCodec); !ok {
					t.Fatalf("%s has no generated codec (run go generate)", typ)
				}
				got, err := state.Marshal(v.Interface())
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(canonical(t, got), canonical(t, want)) {
					t.Fatalf("the generated codec wrote\n%s\nencoding/json wrote\n%s\n(run go generate after changing a stored type)", got, want)
				}
				fromJSON, fromCodec := reflect.New(typ), reflect.New(typ)
				if err := json.Unmarshal(want, fromJSON.Interface()); err != nil {
					t.Fatal(err)
				}
				if err := state.Unmarshal(want, fromCodec.Interface()); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(fromCodec.Interface(), fromJSON.Interface()) {
					t.Fatalf("the generated codec read\n%+v\nencoding/json read\n%+v", fromCodec.Elem(), fromJSON.Elem())
				}
			})
		}
	}
}

// TestConfigClone: a clone equals its original, shares nothing with it,
// and keeps what validation must still see (namespace bits without a
// name).
func TestConfigClone(t *testing.T) {
	var cfg Config
	fillAll(t, reflect.ValueOf(&cfg).Elem())
	c := cfg.clone()
	if !reflect.DeepEqual(c, &cfg) {
		t.Fatalf("clone\n%+v\nof\n%+v", c, &cfg)
	}
	c.Mounts[0].Destination = "/elsewhere"
	c.Network.Veths[0].Host.Addresses[0] = "10.9.9.9/24"
	c.Cgroup.Controllers[0] = "other"
	c.Security.Capabilities.Bounding[0] = "CAP_OTHER"
	c.Hooks.Poststop[0].Args[0] = "other"
	c.Annotations["other"] = "x"
	if reflect.DeepEqual(c, &cfg) {
		t.Fatal("editing the clone edited the original")
	}

	odd := &Config{Namespaces: NewPID | 1<<40, NamespacePaths: map[Namespaces]string{NewNet: "/proc/1/ns/net"}}
	if got := odd.clone(); !reflect.DeepEqual(got, odd) {
		t.Fatalf("clone of %+v is %+v", odd, got)
	}
	if err := odd.validate(); err == nil {
		t.Fatal("a config with an unknown namespace bit passed validation")
	}
}
