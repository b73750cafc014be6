package antom

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/text/currency"
)

// antomDecimals is Antom's published currency table (section 9). It wins
// over the library; a test checks the library against every row.
var antomDecimals = map[string]int{
	"CLP": 0, "JPY": 0, "KRW": 0, "VND": 0,
	"AUD": 2, "BDT": 2, "BRL": 2, "CAD": 2, "CNY": 2, "EUR": 2, "GBP": 2, "HKD": 2,
	"IDR": 2, "MXN": 2, "MYR": 2, "NZD": 2, "PEN": 2, "PHP": 2, "PKR": 2, "PLN": 2,
	"SGD": 2, "THB": 2, "TWD": 2, "USD": 2,
}

// isoMinorUnits corrects golang.org/x/text/currency where it differs from
// ISO 4217, which Antom follows (section 9). The library reports CLDR's
// display digits, which drop the minor unit of currencies whose cents are no
// longer used in practice (IDR, PKR, COP, IQD…). On the wire that would be a
// factor of 100 or 1000, so ISO's minor unit wins. Every code the library
// knows and that is not listed here or in antomDecimals has the same value
// in both; a test checks that each row here is still a disagreement.
var isoMinorUnits = map[string]int{
	"AFN": 2, "ALL": 2, "AMD": 2, "COP": 2, "GYD": 2, "IQD": 3, "IRR": 2,
	"KPW": 2, "LAK": 2, "LBP": 2, "MGA": 2, "MMK": 2, "MNT": 2, "MUR": 2,
	"RSD": 2, "SLL": 2, "SOS": 2, "SYP": 2, "TZS": 2, "UZS": 2, "YER": 2,
}

// MaxValueDigits is the longest amount value Antom accepts (String(16)).
const MaxValueDigits = 16

// Exponent returns the number of minor-unit decimals of an ISO-4217 currency
// code: Antom's table first, then golang.org/x/text/currency corrected to
// ISO 4217. An unknown or malformed code is an error that names it.
func Exponent(code string) (int, error) {
	if len(code) != 3 || strings.ToUpper(code) != code {
		return 0, fmt.Errorf("antom: currency %q is not a three-letter upper-case ISO 4217 code", code)
	}
	if d, ok := antomDecimals[code]; ok {
		return d, nil
	}
	u, err := currency.ParseISO(code)
	if err != nil {
		return 0, fmt.Errorf("antom: currency %q is not an ISO 4217 code", code)
	}
	if d, ok := isoMinorUnits[code]; ok {
		return d, nil
	}
	scale, _ := currency.Standard.Rounding(u)
	return scale, nil
}

// ParseValue parses Antom's amount value: a string of decimal digits in minor
// units, no sign, no fraction, at most 16 digits.
func ParseValue(v string) (int64, error) {
	if v == "" {
		return 0, errors.New("antom: amount value is empty")
	}
	if len(v) > MaxValueDigits {
		return 0, fmt.Errorf("antom: amount value %q is longer than %d digits", v, MaxValueDigits)
	}
	if !allDigits(v) {
		return 0, fmt.Errorf("antom: amount value %q is not a whole number of minor units", v)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("antom: amount value %q is out of range: %w", v, err)
	}
	return n, nil
}

// FormatValue is the wire form of a minor-unit amount.
func FormatValue(minor int64) string { return strconv.FormatInt(minor, 10) }

// NewAmount builds a wire Amount from minor units.
func NewAmount(minor int64, currency string) Amount {
	return Amount{Currency: currency, Value: FormatValue(minor)}
}

// Minor returns the amount in minor units.
func (a Amount) Minor() (int64, error) { return ParseValue(a.Value) }

// FormatMinor renders minor units in the currency's decimals, with a
// thousands separator: 420000 SGD → "4,200.00", 1000 JPY → "1,000".
// An unknown currency is shown with two decimals.
func FormatMinor(minor int64, code string) string {
	exp, err := Exponent(code)
	if err != nil {
		exp = 2
	}
	neg := minor < 0
	abs := uint64(minor)
	if neg {
		abs = -abs // two's complement, so math.MinInt64 works too
	}
	s := strconv.FormatUint(abs, 10)
	for len(s) <= exp {
		s = "0" + s
	}
	whole, frac := s[:len(s)-exp], s[len(s)-exp:]
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if exp > 0 {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// ParseMajor parses an amount typed by a person in major units ("42",
// "42.5", "1,000.00") into minor units of the currency. A comma is accepted
// only as a thousands separator, so a decimal comma ("42,50") is refused
// rather than read as 4250. It refuses zero, negative amounts and more
// decimals than the currency has. Its messages are written for the person
// who typed the amount.
func ParseMajor(s, code string) (int64, error) {
	exp, err := Exponent(code)
	if err != nil {
		return 0, err
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("enter an amount")
	}
	if strings.HasPrefix(s, "-") {
		return 0, errors.New("amount must be positive")
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if strings.Contains(whole, ",") {
		groups := strings.Split(whole, ",")
		for i, g := range groups {
			if (i == 0 && (len(g) == 0 || len(g) > 3)) || (i > 0 && len(g) != 3) {
				return 0, fmt.Errorf("%q is not a number; use a dot for decimals and commas only between thousands", s)
			}
		}
		whole = strings.Join(groups, "")
	}
	if hasDot && exp == 0 {
		return 0, fmt.Errorf("%s has no decimals; enter a whole number", code)
	}
	if whole == "" {
		whole = "0"
	}
	if !allDigits(whole) || (hasDot && !allDigits(frac)) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if len(frac) > exp {
		return 0, fmt.Errorf("%s has %d decimals; %q has %d", code, exp, s, len(frac))
	}
	digits := strings.TrimLeft(whole+frac+strings.Repeat("0", exp-len(frac)), "0")
	if digits == "" {
		return 0, errors.New("amount must be greater than zero")
	}
	if len(digits) > MaxValueDigits {
		return 0, errors.New("amount is too large")
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, errors.New("amount is too large")
	}
	return n, nil
}
