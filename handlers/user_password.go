package handlers

import (
	"crypto/rand"
	"fmt"
	"math/big"
)

// passwordAlphabet avoids look-alike characters (0/O, 1/l/I).
const passwordAlphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// GeneratePassword returns a random 20-character password (about 116 bits)
// in groups of five for reading aloud: "abcde-fghij-klmno-pqrst".
func GeneratePassword() (string, error) {
	out := make([]byte, 0, 23)
	n := big.NewInt(int64(len(passwordAlphabet)))
	for i := range 20 {
		if i > 0 && i%5 == 0 {
			out = append(out, '-')
		}
		k, err := rand.Int(rand.Reader, n)
		if err != nil {
			return "", fmt.Errorf("handlers: generate password: %w", err)
		}
		out = append(out, passwordAlphabet[k.Int64()])
	}
	return string(out), nil
}
