//go:build !linux

package main

import "errors"

// pageCacheShare is only measured on Linux (mincore).
func pageCacheShare(path string) (cached, size int64, err error) {
	return 0, 0, errors.New("page cache residency is measured on Linux only")
}
