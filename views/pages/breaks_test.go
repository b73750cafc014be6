package pages

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func TestBreakParts(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"SUCCESS", []string{"SUCCESS"}},
		{"F ISSUER_REJECTS_TRANSACTION", []string{"F ISSUER_", "REJECTS_", "TRANSACTION"}},
		{"PAYMENT_RESULT|2026|F", []string{"PAYMENT_", "RESULT|", "2026|", "F"}},
		{"trailing_", []string{"trailing_"}},
		{"__", []string{"_", "_"}},
	}
	for _, tc := range tests {
		if got := breakParts(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("breakParts(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestBreakableKeepsTheTextExact(t *testing.T) {
	var sb strings.Builder
	if err := breakable(`F ISSUER_REJECTS_<x>&"`).Render(context.Background(), &sb); err != nil {
		t.Fatal(err)
	}
	if got, want := sb.String(), `F ISSUER_<wbr>REJECTS_<wbr>&lt;x&gt;&amp;&#34;`; got != want {
		t.Errorf("breakable rendered %q, want %q", got, want)
	}
}
