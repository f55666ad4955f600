package synth

import (
	"math"
	"math/rand/v2"
)

// Every random choice comes from a PCG stream seeded from (Config.Seed, what
// is being generated). Work units never share a stream, so they can run in
// any order on any number of cores and still produce the same bytes.

// Stream kinds, mixed into seeds so that two generators never share a stream.
const (
	streamCloudTrail uint64 = iota + 1
	streamPlan
	streamConfig
	streamFlow
	streamJunk
)

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// hash mixes parts into one well-spread 64-bit value; it derives stable
// identifiers (access key ids, session keys) that must not depend on the
// order in which units run.
func hash(parts ...uint64) uint64 {
	h := uint64(0x6a09e667f3bcc908)
	for _, p := range parts {
		h = splitmix(h ^ p)
	}
	return h
}

// strHash is FNV-1a, to fold names into seeds.
func strHash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

type rng struct {
	pcg rand.PCG
	r   *rand.Rand
}

func newRNG(seed int64, parts ...uint64) *rng {
	all := append([]uint64{uint64(seed)}, parts...)
	s1 := hash(all...)
	g := &rng{}
	g.pcg.Seed(s1, splitmix(s1^0x5851f42d4c957f2d))
	g.r = rand.New(&g.pcg)
	return g
}

func (g *rng) u64() uint64 { return g.pcg.Uint64() }

// intn returns a value in [0, n); n must be positive and below 2^32.
func (g *rng) intn(n int) int {
	return int(((g.pcg.Uint64() >> 32) * uint64(n)) >> 32)
}

func (g *rng) float() float64 { return float64(g.pcg.Uint64()>>11) / (1 << 53) }

// between returns a value in [lo, hi].
func (g *rng) between(lo, hi int) int { return lo + g.intn(hi-lo+1) }

func (g *rng) pick(s []string) string { return s[g.intn(len(s))] }

// poisson draws an event count with mean lambda (normal approximation for
// large means, which is what keeps big benchmark days cheap).
func (g *rng) poisson(lambda float64) int {
	switch {
	case lambda <= 0:
		return 0
	case lambda > 40:
		n := math.Round(lambda + math.Sqrt(lambda)*g.r.NormFloat64())
		return max(0, int(n))
	}
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= g.float()
		if p <= l {
			return k
		}
		k++
	}
}

// weighted picks an index from cumulative weights (last element = total).
func (g *rng) weighted(cum []float64) int {
	x := g.float() * cum[len(cum)-1]
	lo, hi := 0, len(cum)-1
	for lo < hi {
		m := (lo + hi) / 2
		if cum[m] > x {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

func cumulative(w []float64) []float64 {
	cum := make([]float64, len(w))
	s := 0.0
	for i, x := range w {
		s += x
		cum[i] = s
	}
	return cum
}

const hexDigits = "0123456789abcdef"

// appendUUID appends a version-4-shaped UUID built from two random words.
func appendUUID(b []byte, hi, lo uint64) []byte {
	hi = hi&^0xf000 | 0x4000           // version 4
	lo = lo&^(0xc000<<48) | 0x8000<<48 // RFC 4122 variant
	var u [36]byte
	j := 0
	put := func(v uint64, shift, n int) {
		for i := 0; i < n; i++ {
			u[j] = hexDigits[(v>>(shift-4*i-4))&0xf]
			j++
		}
	}
	put(hi, 64, 8)
	u[j] = '-'
	j++
	put(hi, 32, 4)
	u[j] = '-'
	j++
	put(hi, 16, 4)
	u[j] = '-'
	j++
	put(lo, 64, 4)
	u[j] = '-'
	j++
	put(lo, 48, 12)
	return append(b, u[:]...)
}

func (g *rng) appendUUID(b []byte) []byte { return appendUUID(b, g.u64(), g.u64()) }

func (g *rng) uuid() string { return string(g.appendUUID(nil)) }

// uuidFrom is a UUID derived from a hash, for identifiers that must be stable
// across runs without consuming a stream (resource ids, key ids).
func uuidFrom(parts ...uint64) string {
	h := hash(parts...)
	return string(appendUUID(nil, h, splitmix(h)))
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func (g *rng) appendAlnum(b []byte, n int) []byte {
	for n > 0 {
		v := g.u64()
		for i := 0; i < 10 && n > 0; i++ { // 10 x 6 bits per word
			b = append(b, alnum[int(v&63)%len(alnum)])
			v >>= 6
			n--
		}
	}
	return b
}

func (g *rng) appendHex(b []byte, n int) []byte {
	for n > 0 {
		v := g.u64()
		for i := 0; i < 16 && n > 0; i++ {
			b = append(b, hexDigits[v&15])
			v >>= 4
			n--
		}
	}
	return b
}

func (g *rng) hex(n int) string { return string(g.appendHex(nil, n)) }

// hexFrom renders n hex digits of a stable hash.
func hexFrom(n int, parts ...uint64) string {
	b := make([]byte, 0, n)
	seed := hash(parts...)
	for w := uint64(0); len(b) < n; w++ {
		h := splitmix(seed + w*0x9e3779b97f4a7c15)
		for i := 0; i < 16 && len(b) < n; i++ {
			b = append(b, hexDigits[h&15])
			h >>= 4
		}
	}
	return string(b)
}

const base32Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// awsID renders an IAM-style identifier: a four-letter prefix (AKIA, ASIA,
// AIDA, AROA) and n base32 characters derived from a stable hash.
func awsID(prefix string, n int, parts ...uint64) string {
	b := make([]byte, 0, len(prefix)+n)
	b = append(b, prefix...)
	return string(appendAWSIDTail(b, n, hash(parts...)))
}

func appendAWSIDTail(b []byte, n int, seed uint64) []byte {
	for w := uint64(0); n > 0; w++ {
		h := splitmix(seed + w*0x9e3779b97f4a7c15)
		for i := 0; i < 12 && n > 0; i++ {
			b = append(b, base32Upper[h&31])
			h >>= 5
			n--
		}
	}
	return b
}
