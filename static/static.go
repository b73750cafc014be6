// Package static holds the browser assets (CSS, htmx, the small app script),
// embedded into the binary and served under /static/.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"sort"
	"sync"
)

//go:embed app.css app.js htmx.min.js live.js
var files embed.FS

// FS returns the embedded assets.
func FS() fs.FS { return files }

// Version is a short hash of every asset: URLs carry it as ?v= so browsers
// may cache them for good and still get a new file after an upgrade.
func Version() string { return version() }

var version = sync.OnceValue(func() string {
	h := sha256.New()
	names, _ := fs.Glob(files, "*")
	sort.Strings(names)
	for _, n := range names {
		b, _ := fs.ReadFile(files, n)
		h.Write([]byte(n))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
})
