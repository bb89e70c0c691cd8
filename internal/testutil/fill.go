package testutil

import (
	"reflect"
	"strconv"
	"testing"
)

// FillAll sets every exported field below v to a value that is not zero:
// strings, numbers and booleans, slices and maps of two entries, and
// pointers to filled values, each value different. Codec tests use it to
// see every field of a type written and read. custom sets a value FillAll
// cannot make up (a type whose text form is checked, say) and reports
// whether it did; it may be nil.
func FillAll(t testing.TB, v reflect.Value, custom func(reflect.Value) bool) {
	n := 0
	fill(t, v, custom, &n)
}

func fill(t testing.TB, v reflect.Value, custom func(reflect.Value) bool, n *int) {
	*n++
	if custom != nil && custom(v) {
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
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(*n) + 0.5)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), custom, n)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 { // []byte, json.RawMessage
			v.SetBytes([]byte(`"s` + strconv.Itoa(*n) + `"`))
			return
		}
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := 0; i < 2; i++ {
			fill(t, v.Index(i), custom, n)
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		for i := 0; i < 2; i++ {
			k := reflect.New(v.Type().Key()).Elem()
			fill(t, k, custom, n)
			e := reflect.New(v.Type().Elem()).Elem()
			fill(t, e, custom, n)
			v.SetMapIndex(k, e)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(t, v.Field(i), custom, n)
			}
		}
	default:
		t.Fatalf("testutil.FillAll: no value for %s (%s)", v.Type(), v.Kind())
	}
}
