package libct

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"testing"

	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"

	"github.com/libct/libct/internal/state"
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

// fillAll sets every exported field below v to a value that is not zero:
// strings, numbers and booleans, slices and maps of two entries, and
// pointers to filled values. n makes each value different.
func fillAll(t *testing.T, v reflect.Value, n *int) {
	*n++
	if v.Type() == reflect.TypeFor[Namespaces]() {
		v.Set(reflect.ValueOf(NewPID | NewNet))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("s" + strconv.Itoa(*n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*n))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fillAll(t, v.Elem(), n)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := 0; i < 2; i++ {
			fillAll(t, v.Index(i), n)
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		keys := []reflect.Value{reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Key()).Elem()}
		if v.Type().Key() == reflect.TypeFor[Namespaces]() {
			keys[0].Set(reflect.ValueOf(NewUTS))
			keys[1].Set(reflect.ValueOf(NewIPC))
		} else {
			fillAll(t, keys[0], n)
			fillAll(t, keys[1], n)
		}
		for _, k := range keys {
			e := reflect.New(v.Type().Elem()).Elem()
			fillAll(t, e, n)
			v.SetMapIndex(k, e)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fillAll(t, v.Field(i), n)
			}
		}
	default:
		t.Fatalf("fillAll: no value for %s (%s): teach the test", v.Type(), v.Kind())
	}
}

// documentCases are values of typ to encode: zero, every field set, and
// each top-level field set alone (so that omitempty and omitzero are seen
// both ways).
func documentCases(t *testing.T, typ reflect.Type) map[string]reflect.Value {
	cases := map[string]reflect.Value{"zero": reflect.New(typ)}
	n := 0
	full := reflect.New(typ)
	fillAll(t, full.Elem(), &n)
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
	n := 0
	var cfg Config
	fillAll(t, reflect.ValueOf(&cfg).Elem(), &n)
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
