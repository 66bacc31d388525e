package redis

import (
	"encoding/binary"
	"errors"
	"time"
)

// errCorrupt is returned when a stored value cannot be decoded. The
// message never carries the bytes that failed.
var errCorrupt = errors.New("keystore/redis: corrupt record")

// writer appends length-prefixed fields. Every record starts with a
// format byte, so a later layout can be told apart from this one.
type writer struct{ b []byte }

func (w *writer) byte(v byte) { w.b = append(w.b, v) }

func (w *writer) bool(v bool) {
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}

func (w *writer) str(v string) {
	w.b = binary.AppendUvarint(w.b, uint64(len(v)))
	w.b = append(w.b, v...)
}

func (w *writer) bytes(v []byte) {
	w.b = binary.AppendUvarint(w.b, uint64(len(v)))
	w.b = append(w.b, v...)
}

func (w *writer) strs(v []string) {
	w.b = binary.AppendUvarint(w.b, uint64(len(v)))
	for _, s := range v {
		w.str(s)
	}
}

// time writes 0 for the zero time, else 1, Unix seconds and
// nanoseconds; times come back in UTC.
func (w *writer) time(t time.Time) {
	if t.IsZero() {
		w.b = append(w.b, 0)
		return
	}
	w.b = append(w.b, 1)
	w.b = binary.AppendVarint(w.b, t.Unix())
	w.b = binary.AppendUvarint(w.b, uint64(t.Nanosecond()))
}

// reader takes fields off a value read from Redis. Strings it returns
// share the (immutable) input; byte slices are fresh copies. After the
// first failure every read yields zero values and err stays set.
type reader struct {
	s   string
	err error
}

func (r *reader) fail() { r.err, r.s = errCorrupt, "" }

func (r *reader) byte() byte {
	if r.err != nil || len(r.s) == 0 {
		r.fail()
		return 0
	}
	v := r.s[0]
	r.s = r.s[1:]
	return v
}

func (r *reader) bool() bool {
	switch r.byte() {
	case 0:
		return false
	case 1:
		return true
	}
	r.fail()
	return false
}

// uvarint and varint decode by hand: binary.Uvarint wants a []byte and
// converting the string would copy it.
func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	var x uint64
	var shift uint
	for i := 0; i < len(r.s) && i < binary.MaxVarintLen64; i++ {
		c := r.s[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				break
			}
			r.s = r.s[i+1:]
			return x | uint64(c)<<shift
		}
		x |= uint64(c&0x7f) << shift
		shift += 7
	}
	r.fail()
	return 0
}

func (r *reader) varint() int64 {
	ux := r.uvarint()
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x
}

func (r *reader) raw() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.s)) {
		r.fail()
		return ""
	}
	v := r.s[:n]
	r.s = r.s[n:]
	return v
}

func (r *reader) str() string { return r.raw() }

func (r *reader) bytes() []byte {
	v := r.raw()
	if r.err != nil || len(v) == 0 {
		return nil
	}
	return []byte(v)
}

func (r *reader) strs() []string {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	// Each element takes at least one byte; a larger count is corrupt
	// and must not size an allocation.
	if n > uint64(len(r.s)) {
		r.fail()
		return nil
	}
	if n == 0 {
		return nil
	}
	out := make([]string, 0, n)
	for i := uint64(0); i < n; i++ {
		out = append(out, r.str())
	}
	if r.err != nil {
		return nil
	}
	return out
}

func (r *reader) time() time.Time {
	switch r.byte() {
	case 0:
		return time.Time{}
	case 1:
		sec, nsec := r.varint(), r.uvarint()
		if r.err != nil {
			return time.Time{}
		}
		if nsec >= 1e9 {
			r.fail()
			return time.Time{}
		}
		return time.Unix(sec, int64(nsec)).UTC()
	}
	r.fail()
	return time.Time{}
}

// done reports the first failure, or errCorrupt when bytes are left.
func (r *reader) done() error {
	if r.err != nil {
		return r.err
	}
	if len(r.s) != 0 {
		return errCorrupt
	}
	return nil
}
