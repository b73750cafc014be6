package main

import (
	"fmt"
	"log/slog"
	"os"
)

// readKeyFile reads a key file once, warning when group or others may read
// it. The contents never reach a log.
func readKeyFile(path string, log *slog.Logger) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		log.Warn("key file is readable by group or others; chmod 600 it", "file", path, "mode", st.Mode().Perm().String())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	return b, nil
}
