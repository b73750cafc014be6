package store

import "time"

// WithCommitObserver has fn called by the writer after every committed
// write transaction with how many writes it grouped and how long its
// COMMIT (the fsync) took: metrics watch group commit with it. fn runs on
// the writer goroutine and must return quickly.
func WithCommitObserver(fn func(batch int, commit time.Duration)) Option {
	return func(s *Store) { s.onCommit = fn }
}
