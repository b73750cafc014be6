package store

import (
	"slices"
	"testing"
	"time"
)

// A date filter with a cursor pages through exactly the rows in the range,
// newest first, whichever of the two bounds the rows from above.
func TestKeysetPagesWithDateFilter(t *testing.T) {
	s, _ := newTestStore(t)
	f, err := s.SeedFixture(ctx, FixtureSpec{Payments: 300, End: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	from, to := f.Payment(50).CreatedAt, f.Payment(250).CreatedAt // [50, 250)

	t.Run("payments", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			cursor string
			want   []int // payment indexes, newest first
		}{
			{"no cursor", "", between(249, 50)},
			{"cursor above the range", f.Cursor(280), between(249, 50)},
			{"cursor inside the range", f.Cursor(120), between(119, 50)},
			{"cursor below the range", f.Cursor(40), nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var got []int
				cursor := tc.cursor
				for range 100 {
					page, err := s.ListPayments(ctx, PaymentFilter{From: from, To: to, Cursor: cursor, Limit: 7})
					if err != nil {
						t.Fatal(err)
					}
					for _, p := range page.Items {
						got = append(got, int(p.ID-1))
					}
					if cursor = page.NextCursor; cursor == "" {
						break
					}
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("got payments %v, want %v", got, tc.want)
				}
			})
		}
	})

	t.Run("captures", func(t *testing.T) {
		var want []string
		for i := 249; i >= 50; i-- {
			if p := f.Payment(i); p.Status == StatusSuccess {
				want = append(want, p.CaptureID)
			}
		}
		// Captures are created 5 s after their payment: shift the range.
		var got []string
		cursor := ""
		for range 100 {
			page, err := s.ListCaptures(ctx, CaptureFilter{From: from.Add(5 * time.Second), To: to.Add(5 * time.Second), Cursor: cursor, Limit: 6})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range page.Items {
				got = append(got, c.CaptureID)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("got captures %v, want %v", got, want)
		}
	})
}

// between is hi, hi-1, …, lo.
func between(hi, lo int) []int {
	var out []int
	for i := hi; i >= lo; i-- {
		out = append(out, i)
	}
	return out
}
