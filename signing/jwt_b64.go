package signing

// jwtB64 maps the base64url alphabet to its values (0-63); every other byte
// is 0xff, so the OR of several looked-up values has its top bit set when
// any of them is invalid.
var jwtB64 = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// jwtB64DecodedLen is the decoded length of n unpadded base64url
// characters, or -1 when n is not a possible length (n%4 == 1).
func jwtB64DecodedLen(n int) int {
	switch n % 4 {
	case 1:
		return -1
	case 0:
		return n / 4 * 3
	default: // 2 or 3 characters: 1 or 2 bytes
		return n/4*3 + n%4 - 1
	}
}

// jwtB64Decode decodes unpadded base64url src into dst strictly: only the
// URL alphabet, no padding, no white space (CR and LF included), canonical
// trailing bits; a dst too short for the result fails. It returns the
// decoded bytes (a prefix of dst) and allocates nothing. On failure dst may
// hold partial output.
//
// It decodes four characters (three bytes) per step through one table
// lookup each (docs/design.md, "Hot path costs");
// FuzzJWTB64DecodeMatchesStdlib holds it equal to encoding/base64's strict
// RawURLEncoding with CR and LF refused.
func jwtB64Decode(dst, src []byte) ([]byte, bool) {
	n := jwtB64DecodedLen(len(src))
	if n < 0 || n > len(dst) {
		return nil, false
	}
	out := dst[:n]
	dst = out
	// len(dst) >= 3 always holds here (n counts three bytes per quantum);
	// it is spelled out so the compiler drops the bounds checks.
	for len(src) >= 4 && len(dst) >= 3 {
		a, b, c, e := jwtB64[src[0]], jwtB64[src[1]], jwtB64[src[2]], jwtB64[src[3]]
		if (a|b|c|e)&0x80 != 0 {
			return nil, false
		}
		v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6 | uint32(e)
		dst[0], dst[1], dst[2] = byte(v>>16), byte(v>>8), byte(v)
		src, dst = src[4:], dst[3:]
	}
	switch len(src) {
	case 2:
		a, b := jwtB64[src[0]], jwtB64[src[1]]
		// 12 bits: one byte and 4 trailing bits, which must be zero.
		if (a|b)&0x80 != 0 || b&0x0f != 0 || len(dst) < 1 {
			return nil, false
		}
		dst[0] = a<<2 | b>>4
	case 3:
		a, b, c := jwtB64[src[0]], jwtB64[src[1]], jwtB64[src[2]]
		// 18 bits: two bytes and 2 trailing bits, which must be zero.
		if (a|b|c)&0x80 != 0 || c&0x03 != 0 || len(dst) < 2 {
			return nil, false
		}
		v := uint32(a)<<12 | uint32(b)<<6 | uint32(c)
		dst[0], dst[1] = byte(v>>10), byte(v>>2)
	}
	return out, true
}
