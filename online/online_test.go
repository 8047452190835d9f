package online

import (
	"bytes"
	"fmt"
	"testing"
)

// TestRecords: slots read back as written, none as nil; setting one keeps
// the others and adds slots as needed; a damaged record is an error.
func TestRecords(t *testing.T) {
	rec := EncodeRecord([][]byte{[]byte("a"), nil, []byte(""), []byte("dddd")})
	for i, want := range []string{"a", "<nil>", "", "dddd", "<nil>"} {
		got, err := RecordSlot(rec, i)
		if err != nil || (got == nil) != (want == "<nil>") || (got != nil && string(got) != want) {
			t.Fatalf("slot %d: %q, %v; want %s", i, got, err, want)
		}
	}
	rec, err := SetSlot(rec, 1, []byte("bb"))
	if err != nil {
		t.Fatal(err)
	}
	rec, err = SetSlot(rec, 6, []byte("g"))
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for i := range 7 {
		v, err := RecordSlot(rec, i)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, fmt.Sprintf("%q", v))
	}
	if fmt.Sprint(all) != `["a" "bb" "" "dddd" "" "" "g"]` {
		t.Fatalf("%v", all)
	}
	if v, _ := RecordSlot(rec, 4); v != nil {
		t.Fatalf("an added slot holds %q", v)
	}
	if _, err := RecordSlot([]byte{0x09, 'x'}, 0); err == nil {
		t.Fatal("a record shorter than it says: no error")
	}
	fresh, _ := SetSlot(nil, 2, []byte("z"))
	if !bytes.Equal(fresh, EncodeRecord([][]byte{nil, nil, []byte("z")})) {
		t.Fatalf("%q", fresh)
	}
}
