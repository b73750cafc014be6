package handlers

import (
	"bytes"
	"strings"
	"testing"
)

func TestPrettyBounded(t *testing.T) {
	deep := func(n int) []byte { return append(bytes.Repeat([]byte("["), n), bytes.Repeat([]byte("]"), n)...) }
	for _, tc := range []struct {
		name    string
		in      []byte
		pretty  bool
		refused string // in the reason; "" when none
	}{
		{"object", []byte(`{"a":{"b":[1,2]}}`), true, ""},
		{"at the depth limit", deep(maxPrettyDepth), true, ""},
		{"one level too deep", deep(maxPrettyDepth + 1), false, "nested deeper than 32"},
		{"the 20 KB bomb", deep(10_000), false, "nested deeper"},
		{"brackets inside strings do not count", []byte(`{"a":"` + strings.Repeat("[", 100) + `\"` + strings.Repeat("{", 100) + `"}`), true, ""},
		{"too large", []byte(`"` + strings.Repeat("x", maxPrettyInput) + `"`), false, "larger than 64 KiB"},
		{"too large once indented", []byte(strings.Repeat("[", 20) + strings.Repeat("1,", 20_000) + "1" + strings.Repeat("]", 20)), false, "once indented"},
		{"not JSON", []byte(`{"a":`), false, ""},
		{"empty", nil, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, refused := prettyBounded(tc.in)
			if (p != "") != tc.pretty || !strings.Contains(refused, tc.refused) || (tc.refused == "" && refused != "") {
				t.Errorf("pretty %d bytes, refused %q; want pretty %v, refused %q", len(p), refused, tc.pretty, tc.refused)
			}
			if len(p) > maxPrettyOutput {
				t.Errorf("pretty output %d bytes, bound %d", len(p), maxPrettyOutput)
			}
		})
	}
}

func TestClipAndDetailText(t *testing.T) {
	if got, cut := clipText([]byte("abc"), 8); got != "abc" || cut {
		t.Errorf("clipText short = %q, %v", got, cut)
	}
	// A rune split by the cut is left out whole.
	if got, cut := clipText([]byte("aé"), 2); got != "a" || !cut {
		t.Errorf("clipText split rune = %q, %v; want \"a\", true", got, cut)
	}
	if got, _ := clipText([]byte("\xff\xff\xff\xff\xff"), 2); got != `\xff\xff` {
		t.Errorf("clipText of bytes = %q", got)
	}
	if got := detailText([]byte(`{"a":1}`)); got != "{\n  \"a\": 1\n}" {
		t.Errorf("detailText of JSON = %q", got)
	}
	if got := detailText([]byte("not json")); got != "" {
		t.Errorf("detailText of text = %q, want empty as before", got)
	}
	bomb := append(bytes.Repeat([]byte("["), 20_000), bytes.Repeat([]byte("]"), 20_000)...)
	got := detailText(bomb)
	if len(got) > rawShown+200 || !strings.Contains(got, "nested deeper than 32 levels") || !strings.Contains(got, "the first 8 KiB of 40,000 bytes") {
		t.Errorf("detailText of a bomb: %d bytes, ends %q", len(got), got[max(0, len(got)-120):])
	}
}

func TestGroupIntAndByteSize(t *testing.T) {
	for in, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 65537: "65,537", -1234567: "-1,234,567"} {
		if got := groupInt(in); got != want {
			t.Errorf("groupInt(%d) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[int]string{1: "1 byte", 4096: "4 KiB", 20000: "20,000 bytes", 65537: "65,537 bytes"} {
		if got := byteSize(in); got != want {
			t.Errorf("byteSize(%d) = %q, want %q", in, got, want)
		}
	}
}
