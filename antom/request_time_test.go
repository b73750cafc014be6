package antom

import (
	"testing"
	"time"
)

func TestParseRequestTime(t *testing.T) {
	want := time.Date(2024, 5, 11, 2, 13, 6, 0, time.UTC)
	for _, tc := range []struct {
		name, in string
		want     time.Time
	}{
		{"epoch milliseconds (section 3.4)", "1715393586000", want},
		{"epoch milliseconds with a fraction of a second", "1715393586871", want.Add(871 * time.Millisecond)},
		{"epoch seconds", "1715393586", want},
		{"epoch microseconds", "1715393586000000", want},
		{"epoch nanoseconds (Go SDK before v1.2.19)", "1715393586000000000", want},
		{"RFC 3339, UTC", "2024-05-11T02:13:06Z", want},
		{"RFC 3339 with an offset (Python)", "2024-05-11T10:13:06+08:00", want},
		{"ISO 8601 offset without a colon (PHP)", "2024-05-11T10:13:06+0800", want},
		{".NET round trip", "2024-05-11T02:13:06.0000000Z", want},
		{"surrounding spaces", " 1715393586000 ", want},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRequestTime(tc.in)
			if err != nil {
				t.Fatalf("ParseRequestTime(%q): %v", tc.in, err)
			}
			if !got.Equal(tc.want) {
				t.Errorf("ParseRequestTime(%q) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
	for _, in := range []string{"", "yesterday", "2024-05-11T02:13:06", "2024-05-11", "-1715393586000",
		"17153935860000000000000", "0x1715393586", "1715393586000ms"} {
		if got, err := ParseRequestTime(in); err == nil {
			t.Errorf("ParseRequestTime(%q) = %s, want an error", in, got)
		}
	}
}
