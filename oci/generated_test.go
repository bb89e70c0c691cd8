package oci

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/libct/libct/internal/testutil"
)

// The generated decoder of linuxSpec must read what encoding/json reads,
// and leave every other document to it.

// TestGeneratedSpecDecoderMatchesEncodingJSON: a spec with every field
// set, each field alone, the zero spec and the default specs decode the
// same both ways. A field of a new runtime-spec that the generated code
// does not know fails here (run go generate).
func TestGeneratedSpecDecoderMatchesEncodingJSON(t *testing.T) {
	var full linuxSpec
	testutil.FillAll(t, reflect.ValueOf(&full).Elem(), nil)
	docs := map[string]any{"every field": &full, "zero": &linuxSpec{}}
	for i := 0; i < reflect.TypeFor[linuxSpec]().NumField(); i++ {
		one := new(linuxSpec)
		reflect.ValueOf(one).Elem().Field(i).Set(reflect.ValueOf(full).Field(i))
		docs["only "+reflect.TypeFor[linuxSpec]().Field(i).Name] = one
	}
	docs["default"] = DefaultSpec(false)
	docs["default rootless"] = DefaultSpec(true)
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			data, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			var want, got linuxSpec
			if err := json.Unmarshal(data, &want); err != nil {
				t.Fatal(err)
			}
			if !decodeGenerated(data, &got) {
				t.Fatalf("the generated decoder refused\n%s", data)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("the generated decoder read\n%+v\nencoding/json read\n%+v", got, want)
			}
		})
	}
}

// TestGeneratedSpecDecoderDefers: documents that encoding/json reads in
// its own way go to it, and LoadSpec's result is encoding/json's.
func TestGeneratedSpecDecoderDefers(t *testing.T) {
	for _, tc := range []struct{ name, doc string }{
		{"key in another case", `{"ociVersion": "1.0.2", "Hostname": "h", "process": {"Cwd": "/", "args": ["sh"]}}`},
		{"unknown key", `{"ociVersion": "1.0.2", "hostname": "h", "org.example.extension": {"a": 1}}`},
		{"unknown key inside", `{"ociVersion": "1.0.2", "process": {"cwd": "/", "future": true}}`},
		{"invalid UTF-8", "{\"ociVersion\": \"1.0.2\", \"hostname\": \"h\xff\"}"},
		{"type error", `{"ociVersion": "1.0.2", "hostname": 3}`},
		{"trailing data", `{"ociVersion": "1.0.2"} {}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s linuxSpec
			if decodeGenerated([]byte(tc.doc), &s) {
				t.Fatalf("the generated decoder took %s: %+v", tc.doc, s)
			}
			if !reflect.DeepEqual(s, linuxSpec{}) {
				t.Fatalf("a refused document left %+v", s)
			}
			var want linuxSpec
			wantErr := json.Unmarshal([]byte(tc.doc), &want)
			got, err := ParseSpec([]byte(tc.doc))
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("ParseSpec error %v, encoding/json's %v", err, wantErr)
			}
			if err == nil && !reflect.DeepEqual(got, want.spec()) {
				t.Fatalf("ParseSpec read %+v, encoding/json %+v", got, want.spec())
			}
		})
	}
}
