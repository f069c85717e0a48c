package pvesim

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// newSalt is PVE::Tools::encrypt_pw's salt: 8 characters of a base64 SHA-1,
// '+' replaced by 'X' (crypt does not want '+').
func newSalt() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return strings.ReplaceAll(base64.StdEncoding.EncodeToString(b)[:8], "+", "X")
}

const cryptAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// sha256Crypt is glibc crypt() with a "$5$<salt>$" setting (Ulrich
// Drepper's SHA-crypt, 5000 rounds), what encrypt_pw calls.
func sha256Crypt(password, salt string) string {
	if len(salt) > 16 {
		salt = salt[:16]
	}
	p, s := []byte(password), []byte(salt)
	sum := func(parts ...[]byte) []byte {
		h := sha256.New()
		for _, part := range parts {
			h.Write(part)
		}
		return h.Sum(nil)
	}
	b := sum(p, s, p)
	a := sha256.New()
	a.Write(p)
	a.Write(s)
	i := len(p)
	for ; i > 32; i -= 32 {
		a.Write(b)
	}
	a.Write(b[:i])
	for i = len(p); i > 0; i >>= 1 {
		if i&1 != 0 {
			a.Write(b)
		} else {
			a.Write(p)
		}
	}
	c := a.Sum(nil)
	repeat := func(digest []byte, n int) []byte {
		out := make([]byte, 0, n)
		for len(out)+32 <= n {
			out = append(out, digest...)
		}
		return append(out, digest[:n-len(out)]...)
	}
	dp := sha256.New()
	for range p {
		dp.Write(p)
	}
	pseq := repeat(dp.Sum(nil), len(p))
	ds := sha256.New()
	for range 16 + int(c[0]) {
		ds.Write(s)
	}
	sseq := repeat(ds.Sum(nil), len(s))
	for r := range 5000 {
		h := sha256.New()
		if r&1 != 0 {
			h.Write(pseq)
		} else {
			h.Write(c)
		}
		if r%3 != 0 {
			h.Write(sseq)
		}
		if r%7 != 0 {
			h.Write(pseq)
		}
		if r&1 != 0 {
			h.Write(c)
		} else {
			h.Write(pseq)
		}
		c = h.Sum(nil)
	}
	var out strings.Builder
	out.WriteString("$5$" + salt + "$")
	put := func(b2, b1, b0 byte, n int) {
		w := uint(b2)<<16 | uint(b1)<<8 | uint(b0)
		for range n {
			out.WriteByte(cryptAlphabet[w&0x3f])
			w >>= 6
		}
	}
	for _, t := range [][3]int{{0, 10, 20}, {21, 1, 11}, {12, 22, 2}, {3, 13, 23}, {24, 4, 14}, {15, 25, 5}, {6, 16, 26}, {27, 7, 17}, {18, 28, 8}, {9, 19, 29}} {
		put(c[t[0]], c[t[1]], c[t[2]], 4)
	}
	put(0, c[31], c[30], 3)
	return out.String()
}
