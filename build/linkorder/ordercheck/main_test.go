package main

import (
	"strings"
	"testing"
)

func TestReadOrder(t *testing.T) {
	got, err := readOrder(strings.NewReader("a\n\n  b  \nunique.Make[go.shape.struct { x int }]\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a", "b", "unique.Make[go.shape.struct { x int }]"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("readOrder = %q, want %q", got, want)
	}
	if _, err := readOrder(strings.NewReader("\n \n")); err == nil {
		t.Error("readOrder of an empty file: no error")
	}
}

func TestReadText(t *testing.T) {
	nm := "  401000 T _init\n  4015c0 t runtime.text\n  4015c0 t main.main\n  6e0888 r $f32.358637bd\n"
	got, err := readText(strings.NewReader(nm))
	if err != nil {
		t.Fatal(err)
	}
	if want := "_init runtime.text main.main"; strings.Join(got, " ") != want {
		t.Errorf("readText = %q, want %q", got, want)
	}
	if _, err := readText(strings.NewReader("  6e0888 r x\n")); err == nil {
		t.Error("readText without text symbols: no error")
	}
}

func TestCheck(t *testing.T) {
	order := []string{"libct_cinit", "main.main", "runtime.memmove.abi0", "os.Open", "gone.Func", "main.main"}
	tests := []struct {
		name string
		text []string
		want result
	}{
		{
			name: "laid out",
			text: []string{"_start", "libct_cinit", "runtime.text",
				"main.main", "runtime.memmove.abi0", "runtime.memmove", "os.Open",
				"fmt.Println", "os.Close"},
			// 5 distinct names, 4 present; the Go text's ordered
			// functions include memmove's ABI wrapper.
			want: result{named: 5, present: 4, window: 4, leading: 4},
		},
		{
			name: "stock layout",
			text: []string{"_start", "libct_cinit", "runtime.text",
				"fmt.Println", "main.main", "os.Close", "runtime.memmove.abi0", "os.Open"},
			want: result{named: 5, present: 4, window: 3, leading: 1},
		},
		{
			name: "stale order",
			text: []string{"runtime.text", "main.main", "other.F"},
			want: result{named: 5, present: 1, window: 1, leading: 1},
		},
		{
			name: "no runtime.text",
			text: []string{"main.main", "os.Open", "x"},
			want: result{named: 5, present: 2, window: 2, leading: 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := check(order, tt.text); got != tt.want {
				t.Errorf("check = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestPercent(t *testing.T) {
	if got := percent(0, 0); got != 0 {
		t.Errorf("percent(0, 0) = %v", got)
	}
	if got := percent(9, 10); got != 90 {
		t.Errorf("percent(9, 10) = %v", got)
	}
}
