package main

import (
	"os"
	"path/filepath"
	"testing"
)

// A file just written and read is in the page cache, and never more of it
// than its size; a missing file is an error.
func TestPageCacheShare(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	data := make([]byte, 1<<20+123)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := os.ReadFile(path); err != nil {
		t.Fatal(err)
	}
	cached, size, err := pageCacheShare(path)
	if err != nil {
		t.Fatal(err)
	}
	if size != int64(len(data)) || cached <= 0 || cached > size {
		t.Errorf("pageCacheShare = %d cached of %d, want some of %d", cached, size, len(data))
	}
	if _, _, err := pageCacheShare(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing file: no error")
	}
}
