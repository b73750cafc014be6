package store

// postgres reports whether the store runs on PostgreSQL. Stand-in until the
// PostgreSQL backend's plumbing (store.go) is merged; delete it then.
func (s *Store) postgres() bool { return false }
