package store

import (
	"bytes"
	"crypto/rand"
	"sync"
	"testing"
)

// TestSharedSecret: replicas asking at once for a secret nobody stored yet
// all get the one value the first stored; later asks get it too.
func TestSharedSecret(t *testing.T) {
	for _, b := range sharedBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			stores := []*Store{b.open(t), b.open(t)}
			gen := func() ([]byte, error) {
				k := make([]byte, 48)
				_, err := rand.Read(k)
				return k, err
			}
			got := make([][]byte, 20)
			var wg sync.WaitGroup
			for i := range got {
				wg.Add(1)
				go func() {
					defer wg.Done()
					k, err := stores[i%2].SharedSecret(ctx, SecretSessionKey, gen)
					if err != nil {
						t.Errorf("SharedSecret: %v", err)
					}
					got[i] = k
				}()
			}
			wg.Wait()
			for i, k := range got {
				if len(k) != 48 || !bytes.Equal(k, got[0]) {
					t.Fatalf("replica ask %d: %x, want the first's %x", i, k, got[0])
				}
			}
			again, err := stores[1].SharedSecret(ctx, SecretSessionKey, gen)
			if err != nil || !bytes.Equal(again, got[0]) {
				t.Errorf("asked again: %x, %v; want %x", again, err, got[0])
			}
			other, err := stores[0].SharedSecret(ctx, "another", gen)
			if err != nil || bytes.Equal(other, got[0]) {
				t.Errorf("another name: %x, %v; want a value of its own", other, err)
			}
		})
	}
}
