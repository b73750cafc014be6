package pages

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
)

func TestIDParts(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"ORD-20457", []string{"ORD-20457"}},
		{"pay_mx9lfkug_bbea0a888198d794", []string{"pay_", "mx9lfkug_", "bbea0a888198d794"}},
		{"20220919194010890100111740275820195", []string{"20220919194010", "890100111740275820195"}},
		{"auto_20220919194010890100111740275820195_1", []string{"auto_", "20220919194010", "890100111740275820195_", "1"}},
		// 23 digits: not one of Antom's long numeric IDs, kept whole.
		{"12345678901234567890123", []string{"12345678901234567890123"}},
		{"x" + strings.Repeat("9", 50), []string{"x99999999999999", strings.Repeat("9", 14), strings.Repeat("9", 22)}},
		{"", nil},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got := idParts(tc.in)
			if !slices.Equal(got, tc.want) {
				t.Errorf("idParts(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if strings.Join(got, "") != tc.in {
				t.Errorf("the parts of %q do not join back to it", tc.in)
			}
		})
	}
}

// TestIDTextKeepsTheValue: the rendered ID's text is exactly the ID, each
// part in an unbreakable span, the breaks only between parts.
func TestIDTextKeepsTheValue(t *testing.T) {
	var b bytes.Buffer
	if err := idText("cap_<1>_20220919194010890100111740275820195").Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	want := `<span class="id-part">cap_</span><wbr><span class="id-part">&lt;1&gt;_</span><wbr>` +
		`<span class="id-part">20220919194010</span><wbr><span class="id-part">890100111740275820195</span>`
	if b.String() != want {
		t.Errorf("idText rendered\n%s\nwant\n%s", b.String(), want)
	}
}

func TestCopyable(t *testing.T) {
	for in, want := range map[string]bool{
		"20220919194010890100111740275820195": true,
		"https://example.com/notify":          true,
		"BRa9HSDl8BQgckgAikhC7ZH/zKwH…":       false,
		"F ISSUER_REJECTS_TRANSACTION":        false,
		"642 bytes · SHA-256 6d57":            false,
	} {
		if got := copyable(in); got != want {
			t.Errorf("copyable(%q) = %v, want %v", in, got, want)
		}
	}
}
