package antom

import (
	"math"
	"strings"
	"testing"

	"golang.org/x/text/currency"
)

// libraryDigits asks golang.org/x/text/currency directly, bypassing
// Exponent, so the cross-checks below can fail.
func libraryDigits(t *testing.T, code string) int {
	t.Helper()
	u, err := currency.ParseISO(code)
	if err != nil {
		t.Fatalf("library does not know %s: %v", code, err)
	}
	d, _ := currency.Standard.Rounding(u)
	return d
}

// knownLibraryDisagreements are rows of Antom's table where CLDR (and so
// the library) drops the minor unit that ISO 4217 and Antom keep.
var knownLibraryDisagreements = map[string]bool{"IDR": true, "PKR": true}

func TestLibraryAgreesWithAntomTable(t *testing.T) {
	if len(antomDecimals) != 24 {
		t.Errorf("Antom's table has %d rows, want the 24 of section 9", len(antomDecimals))
	}
	for code, want := range antomDecimals {
		t.Run(code, func(t *testing.T) {
			got := libraryDigits(t, code)
			if knownLibraryDisagreements[code] {
				// If the library ever agrees, drop the exception.
				if got == want {
					t.Errorf("library now agrees on %s (%d); remove it from knownLibraryDisagreements", code, got)
				}
				return
			}
			if got != want {
				t.Errorf("library says %s has %d decimals, Antom's table says %d", code, got, want)
			}
		})
	}
}

func TestISOCorrectionsAreStillNeeded(t *testing.T) {
	for code, iso := range isoMinorUnits {
		if _, ok := antomDecimals[code]; ok {
			t.Errorf("%s is in both tables", code)
		}
		if got := libraryDigits(t, code); got == iso {
			t.Errorf("library now says %s has %d decimals like ISO 4217; remove the correction", code, got)
		}
	}
}

func TestExponent(t *testing.T) {
	tests := []struct {
		code string
		want int
	}{
		{"JPY", 0}, {"KRW", 0}, {"CLP", 0}, {"VND", 0},
		{"SGD", 2}, {"USD", 2}, {"EUR", 2}, {"IDR", 2}, {"PKR", 2}, {"TWD", 2},
		{"KWD", 3}, {"BHD", 3}, {"JOD", 3}, {"OMR", 3}, {"TND", 3}, {"LYD", 3},
		{"IQD", 3}, {"COP", 2}, {"ISK", 0}, {"UGX", 0}, {"CHF", 2}, {"CLF", 4},
	}
	for _, tc := range tests {
		got, err := Exponent(tc.code)
		if err != nil || got != tc.want {
			t.Errorf("Exponent(%s): got %d, %v; want %d", tc.code, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "sgd", "SG", "SGDX", "ZZZ", "12$", "ＳＧＤ"} {
		if _, err := Exponent(bad); err == nil {
			t.Errorf("Exponent(%q): got no error", bad)
		}
	}
}

func TestParseValue(t *testing.T) {
	valid := []struct {
		in   string
		want int64
	}{
		{"0", 0}, {"1", 1}, {"4200", 4200}, {"007", 7},
		{"9999999999999999", 9999999999999999},
	}
	for _, tc := range valid {
		got, err := ParseValue(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseValue(%q): got %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	invalid := []struct{ in, msg string }{
		{"", "empty"},
		{"-1", "not a whole number"},
		{"+1", "not a whole number"},
		{"1.5", "not a whole number"},
		{"1e3", "not a whole number"},
		{" 1", "not a whole number"},
		{"1 ", "not a whole number"},
		{"１", "not a whole number"}, // full-width digit one
		{"٤", "not a whole number"}, // Arabic-Indic four
		{"12345678901234567", "longer than 16 digits"},
		{"0x10", "not a whole number"},
	}
	for _, tc := range invalid {
		_, err := ParseValue(tc.in)
		wantErrContains(t, err, tc.msg)
	}
}

func TestAmountRoundTrip(t *testing.T) {
	a := NewAmount(4200, "SGD")
	if a != (Amount{Currency: "SGD", Value: "4200"}) {
		t.Errorf("NewAmount: got %+v", a)
	}
	for _, n := range []int64{0, 1, 99, 4200, 9999999999999999} {
		got, err := NewAmount(n, "USD").Minor()
		if err != nil || got != n {
			t.Errorf("round trip %d: got %d, %v", n, got, err)
		}
	}
}

func TestFormatMinor(t *testing.T) {
	tests := []struct {
		minor int64
		code  string
		want  string
	}{
		{420000, "SGD", "4,200.00"},
		{4200, "SGD", "42.00"},
		{5, "SGD", "0.05"},
		{0, "SGD", "0.00"},
		{1000, "JPY", "1,000"},
		{7, "JPY", "7"},
		{1234567, "KRW", "1,234,567"},
		{1, "KWD", "0.001"},
		{1234567, "KWD", "1,234.567"},
		{-4200, "SGD", "-42.00"},
		{-1, "SGD", "-0.01"},
		{-1000000, "JPY", "-1,000,000"},
		{150000, "IDR", "1,500.00"},
		{math.MaxInt64, "USD", "92,233,720,368,547,758.07"},
		{math.MinInt64, "USD", "-92,233,720,368,547,758.08"},
		{4200, "???", "42.00"}, // unknown currency: two decimals
	}
	for _, tc := range tests {
		if got := FormatMinor(tc.minor, tc.code); got != tc.want {
			t.Errorf("FormatMinor(%d, %s): got %q, want %q", tc.minor, tc.code, got, tc.want)
		}
	}
}

func TestParseMajor(t *testing.T) {
	valid := []struct {
		in, code string
		want     int64
	}{
		{"42", "SGD", 4200},
		{"42.5", "SGD", 4250},
		{"42.50", "SGD", 4250},
		{"0.01", "SGD", 1},
		{".5", "SGD", 50},
		{" 42 ", "SGD", 4200},
		{"1,000.00", "SGD", 100000},
		{"1,234,567.89", "USD", 123456789},
		{"1000", "JPY", 1000},
		{"1,000", "JPY", 1000},
		{"1.234", "KWD", 1234},
		{"0.001", "KWD", 1},
		{"15000", "IDR", 1500000},
		{"0042", "SGD", 4200},
	}
	for _, tc := range valid {
		got, err := ParseMajor(tc.in, tc.code)
		if err != nil || got != tc.want {
			t.Errorf("ParseMajor(%q, %s): got %d, %v; want %d", tc.in, tc.code, got, err, tc.want)
		}
	}
	invalid := []struct{ in, code, msg string }{
		{"", "SGD", "enter an amount"},
		{"  ", "SGD", "enter an amount"},
		{"-1", "SGD", "must be positive"},
		{"0", "SGD", "greater than zero"},
		{"0.00", "SGD", "greater than zero"},
		{"42.505", "SGD", "SGD has 2 decimals"},
		{"1.5", "JPY", "JPY has no decimals"},
		{"1.0001", "KWD", "KWD has 3 decimals"},
		{"42,50", "EUR", "use a dot for decimals"}, // a decimal comma is not 4250.00
		{"1,00", "SGD", "use a dot for decimals"},
		{",100", "SGD", "use a dot for decimals"},
		{"1,0000", "SGD", "use a dot for decimals"},
		{"abc", "SGD", "not a number"},
		{"1e3", "SGD", "not a number"},
		{"+5", "SGD", "not a number"},
		{"4 2", "SGD", "not a number"},
		{"42.", "SGD", "not a number"},
		{"1.2.3", "SGD", "not a number"},
		{"１", "SGD", "not a number"},
		{"99999999999999999", "JPY", "too large"},
		{"42", "sgd", "not a three-letter upper-case"},
		{"42", "ZZZ", "not an ISO 4217 code"},
	}
	for _, tc := range invalid {
		_, err := ParseMajor(tc.in, tc.code)
		if err == nil {
			t.Errorf("ParseMajor(%q, %s): got no error, want %q", tc.in, tc.code, tc.msg)
			continue
		}
		if !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("ParseMajor(%q, %s): got %q, want it to contain %q", tc.in, tc.code, err, tc.msg)
		}
	}
}

func TestParseMajorFormatMinorRoundTrip(t *testing.T) {
	for _, code := range []string{"SGD", "JPY", "KWD", "IDR"} {
		for _, minor := range []int64{1, 42, 4200, 123456789} {
			s := FormatMinor(minor, code)
			got, err := ParseMajor(s, code)
			if err != nil || got != minor {
				t.Errorf("%s %d → %q → %d, %v", code, minor, s, got, err)
			}
		}
	}
}
