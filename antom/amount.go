package antom

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/text/currency"
)

// antomDecimals is Antom's published currency table (section 9). The library
// exponent is used for any other ISO-4217 currency; a test checks that the
// library agrees with every row here.
var antomDecimals = map[string]int{
	"CLP": 0, "JPY": 0, "KRW": 0, "VND": 0,
	"AUD": 2, "BDT": 2, "BRL": 2, "CAD": 2, "CNY": 2, "EUR": 2, "GBP": 2, "HKD": 2,
	"IDR": 2, "MXN": 2, "MYR": 2, "NZD": 2, "PEN": 2, "PHP": 2, "PKR": 2, "PLN": 2,
	"SGD": 2, "THB": 2, "TWD": 2, "USD": 2,
}

// MaxValueDigits is the longest amount value Antom accepts (String(16)).
const MaxValueDigits = 16

// Exponent returns the number of minor-unit decimals of an ISO-4217 currency
// code, or an error naming the problem.
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
	scale, _ := currency.Standard.Rounding(u)
	return scale, nil
}

// ParseValue parses Antom's amount value: a string of decimal digits in minor
// units, no sign, no fraction, at most 16 digits.
func ParseValue(v string) (int64, error) {
	if v == "" {
		return 0, errors.New("amount value is empty")
	}
	if len(v) > MaxValueDigits {
		return 0, fmt.Errorf("amount value %q is longer than %d digits", v, MaxValueDigits)
	}
	for _, r := range v {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("amount value %q is not a whole number of minor units", v)
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("amount value %q is out of range", v)
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
	if neg {
		minor = -minor
	}
	s := strconv.FormatInt(minor, 10)
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
// "42.5", "1,000.00") into minor units of the currency. It refuses negative
// amounts and more decimals than the currency has.
func ParseMajor(s, code string) (int64, error) {
	exp, err := Exponent(code)
	if err != nil {
		return 0, err
	}
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	if s == "" {
		return 0, errors.New("enter an amount")
	}
	if strings.HasPrefix(s, "-") {
		return 0, errors.New("amount must be positive")
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if hasDot && exp == 0 {
		return 0, fmt.Errorf("%s has no decimals; enter a whole number", code)
	}
	if len(frac) > exp {
		return 0, fmt.Errorf("%s has %d decimals; %q has %d", code, exp, s, len(frac))
	}
	if whole == "" {
		whole = "0"
	}
	digits := whole + frac + strings.Repeat("0", exp-len(frac))
	for _, r := range digits {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("%q is not a number", s)
		}
	}
	digits = strings.TrimLeft(digits, "0")
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
