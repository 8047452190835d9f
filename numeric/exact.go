package numeric

import (
	"math"
	"math/bits"
)

// ExactSum accumulates float64 values without rounding: every finite
// double is an integer number of 2^-1074 (the smallest subnormal), and
// the sum is kept as such an integer in 32-bit limbs held in int64s,
// carries deferred. Add and Sub are exact and undo each other, so a
// sliding window adds what enters and subtracts what leaves; Float64
// rounds the exact sum once, to the nearest double, ties to even: the
// result of Python's math.fsum, whatever the order of the values. Infinite
// values are counted apart (their sum is +Inf, -Inf or NaN, as IEEE's);
// NaN is the caller's to leave out.
type ExactSum struct {
	limb           [limbs]int64
	lo, hi         int // the limbs touched since the last reset: [lo, hi)
	ops            int // additions since the carries were last propagated
	posInf, negInf int
}

const (
	limbBits = 32
	limbMask = 1<<limbBits - 1
	// limbs covers 2^-1074 to past 2^1024 with room for 2^64 carries.
	limbs = (1074+1024+64)/limbBits + 2
	// carryEvery bounds the additions between carry propagations: each
	// adds less than 2^33 in magnitude to a limb.
	carryEvery = 1 << 29
)

// Reset empties the sum.
func (s *ExactSum) Reset() {
	clear(s.limb[s.lo:s.hi])
	s.lo, s.hi, s.ops, s.posInf, s.negInf = 0, 0, 0, 0, 0
}

// Add adds x exactly.
func (s *ExactSum) Add(x float64) { s.add(x, 1) }

// Sub subtracts x exactly (undoes Add(x)).
func (s *ExactSum) Sub(x float64) { s.add(x, -1) }

func (s *ExactSum) add(x float64, sign int64) {
	b := math.Float64bits(x)
	exp := int(b >> 52 & 0x7ff)
	mant := b & (1<<52 - 1)
	switch {
	case exp == 0x7ff && mant == 0: // ±Inf
		if b>>63 == 1 {
			s.negInf += int(sign)
		} else {
			s.posInf += int(sign)
		}
		return
	case exp == 0x7ff || (exp == 0 && mant == 0): // NaN (the caller's), ±0
		return
	case exp == 0: // subnormal: mant × 2^-1074
		exp = 1
	default:
		mant |= 1 << 52
	}
	if b>>63 == 1 {
		sign = -sign
	}
	p := exp - 1 // the mantissa's lowest bit, in units of 2^-1074
	k, shift := p/limbBits, uint(p%limbBits)
	t := (mant & limbMask) << shift // < 2^64
	u := (mant >> limbBits) << shift
	s.limb[k] += sign * int64(t&limbMask)
	s.limb[k+1] += sign * (int64(t>>limbBits) + int64(u&limbMask))
	s.limb[k+2] += sign * int64(u>>limbBits)
	if s.hi == 0 {
		s.lo, s.hi = k, k+3
	} else {
		s.lo, s.hi = min(s.lo, k), max(s.hi, k+3)
	}
	if s.ops++; s.ops >= carryEvery {
		s.carry()
	}
}

// carry propagates the carries: every limb but the top one touched in
// [0, 2^32), the sign in the top one.
func (s *ExactSum) carry() {
	s.ops = 0
	if s.hi == 0 {
		return
	}
	for k := s.lo; k < s.hi-1; k++ {
		c := s.limb[k] >> limbBits // arithmetic: floors
		s.limb[k] -= c << limbBits
		s.limb[k+1] += c
	}
	for s.hi < limbs {
		c := s.limb[s.hi-1] >> limbBits
		if c == 0 || c == -1 { // the top limb holds the sign
			break
		}
		s.limb[s.hi-1] -= c << limbBits
		s.limb[s.hi] += c
		s.hi++
	}
}

// Float64 is the exact sum rounded to the nearest double (ties to even);
// ±Inf past the largest double, and for infinite values added.
func (s *ExactSum) Float64() float64 {
	switch {
	case s.posInf > 0 && s.negInf > 0:
		return math.NaN()
	case s.posInf > 0:
		return math.Inf(1)
	case s.negInf > 0:
		return math.Inf(-1)
	}
	s.carry()
	var mag [limbs]uint64
	neg, top := s.magnitude(&mag)
	v := round(&mag, top)
	if neg {
		return -v
	}
	return v
}

// magnitude writes |sum| into mag as limbs in [0, 2^32), says whether
// the sum is negative, and returns the highest limb that may be set. The
// limbs must be carried.
func (s *ExactSum) magnitude(mag *[limbs]uint64) (bool, int) {
	top := s.hi - 1
	for top >= s.lo && s.limb[top] == 0 {
		top--
	}
	if top < s.lo {
		return false, -1
	}
	neg := s.limb[top] < 0
	var borrow int64
	for k := s.lo; k <= top; k++ {
		v := s.limb[k]
		if neg {
			v = -v - borrow // the two's complement, limb by limb
			borrow = 0
			if v < 0 {
				v += 1 << limbBits
				borrow = 1
			}
		}
		mag[k] = uint64(v)
	}
	if neg && mag[top] > limbMask && top+1 < limbs { // a top of exactly 2^32
		mag[top+1] += mag[top] >> limbBits
		mag[top] &= limbMask
		top++
	}
	return neg, top
}

// round is the double nearest to the integer mag × 2^-1074, whose limbs
// above top are 0.
func round(mag *[limbs]uint64, top int) float64 {
	h := top
	for h >= 0 && mag[h] == 0 {
		h--
	}
	if h < 0 {
		return 0
	}
	at := func(k int) uint64 {
		if k < 0 {
			return 0
		}
		return mag[k]
	}
	l := bits.Len64(mag[h]) // 1..32
	p := h*limbBits + l - 1 // the top bit, in units of 2^-1074
	if p < 53 {
		// Fewer than 54 bits: exact, as a subnormal or the smallest normals.
		return math.Ldexp(float64(at(1)<<limbBits|at(0)), -1074)
	}
	// The top 64 bits, and whether any bit below them is set.
	head := at(h)<<(64-l) | at(h-1)<<(32-l) | at(h-2)>>l
	sticky := at(h-2)&(1<<l-1) != 0
	for k := h - 3; k >= 0 && !sticky; k-- {
		sticky = mag[k] != 0
	}
	mant := head >> 11
	guard := head&(1<<10) != 0
	rest := head&(1<<10-1) != 0 || sticky
	if guard && (rest || mant&1 == 1) {
		mant++
	}
	exp := p - 1074 - 52 // of mant's lowest bit
	if mant == 1<<53 {
		mant >>= 1
		exp++
	}
	if exp+52 > 1023 {
		return math.Inf(1)
	}
	return math.Ldexp(float64(mant), exp)
}
