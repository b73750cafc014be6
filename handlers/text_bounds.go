package handlers

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// Bounds of what a page renders from stored bytes that anyone may have sent
// (issue 9, part 3): an unsigned 20 KB body of nested brackets once made a
// 200 MB page. Past a bound the page shows the first rawShown bytes as text
// and links to the download.
const (
	maxPrettyInput  = 64 << 10  // bytes of JSON pretty-printed at most
	maxPrettyDepth  = 32        // nesting levels pretty-printed at most
	maxPrettyOutput = 256 << 10 // bytes of indented output at most
	rawShown        = 8 << 10   // bytes of raw text shown when cut
)

// prettyBounded indents a JSON document within the bounds above. It
// returns "" and why not ("" when raw is simply not JSON) when it will not.
func prettyBounded(raw []byte) (pretty, refused string) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0:
		return "", ""
	case len(raw) > maxPrettyInput:
		return "", "larger than " + byteSize(maxPrettyInput)
	case jsonDepth(raw, maxPrettyDepth) > maxPrettyDepth:
		return "", "nested deeper than " + strconv.Itoa(maxPrettyDepth) + " levels"
	case !json.Valid(raw):
		return "", ""
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return "", ""
	}
	if buf.Len() > maxPrettyOutput {
		return "", "more than " + byteSize(maxPrettyOutput) + " once indented"
	}
	return buf.String(), ""
}

// jsonDepth is the deepest nesting of arrays and objects in raw, outside
// strings, counted up to stop+1.
func jsonDepth(raw []byte, stop int) int {
	depth, deepest, inString := 0, 0, false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case inString && c == '\\':
			i++
		case inString:
			inString = c != '"'
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
			if depth > deepest {
				if deepest = depth; deepest > stop {
					return deepest
				}
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return deepest
}

// clipText is b as text (rawText), cut to its first max bytes; cut says
// whether anything was left out. A UTF-8 rune split by the cut is left out
// whole.
func clipText(b []byte, max int) (text string, cut bool) {
	if len(b) <= max {
		return rawText(b), false
	}
	n := max
	for n > max-utf8.UTFMax && n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	if !utf8.RuneStart(b[n]) {
		n = max // not UTF-8 here: rawText escapes the bytes
	}
	return rawText(b[:n]), true
}

// detailText is a timeline entry's detail as shown: the JSON pretty-printed
// ("" when it is not JSON), or past the bounds the raw text,
// cut to rawShown bytes, with a note saying so.
func detailText(raw []byte) string {
	p, refused := prettyBounded(raw)
	if refused == "" {
		return p
	}
	text, cut := clipText(raw, rawShown)
	note := "\n… not pretty-printed: " + refused
	if cut {
		note += "; the first " + byteSize(rawShown) + " of " + byteSize(len(raw)) + " are shown"
	}
	return text + note
}

// byteSize says how many bytes in words: "512 bytes", "4 KiB", "65,537 bytes".
func byteSize(n int) string {
	if n >= 1<<10 && n%(1<<10) == 0 {
		return groupInt(int64(n>>10)) + " KiB"
	}
	if n == 1 {
		return "1 byte"
	}
	return groupInt(int64(n)) + " bytes"
}

// groupInt writes n with thousands separators: 65537 → "65,537".
func groupInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var b []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	if neg {
		return "-" + string(b)
	}
	return string(b)
}
