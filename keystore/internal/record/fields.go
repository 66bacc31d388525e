package record

import (
	"encoding/binary"
	"errors"
	"time"
)

// ErrCorrupt is the only error the decoders return. Its message carries
// no data; the back-ends wrap it with their prefix ("keystore/bolt: ...").
var ErrCorrupt = errors.New("corrupt record")

// Writer appends the fields of one record.
type Writer struct{ b []byte }

// NewWriter starts a record with its format byte; size is a capacity hint.
func NewWriter(format byte, size int) *Writer {
	w := &Writer{b: make([]byte, 0, size)}
	w.b = append(w.b, format)
	return w
}

// Encoded returns the record written so far.
func (w *Writer) Encoded() []byte { return w.b }

// Byte writes one byte.
func (w *Writer) Byte(v byte) { w.b = append(w.b, v) }

// Bool writes 1 for true, 0 for false.
func (w *Writer) Bool(v bool) {
	if v {
		w.b = append(w.b, 1)
		return
	}
	w.b = append(w.b, 0)
}

// String writes the length, then the bytes.
func (w *Writer) String(v string) {
	w.b = binary.AppendUvarint(w.b, uint64(len(v)))
	w.b = append(w.b, v...)
}

// Bytes writes the length, then the bytes: nil and empty are the same.
func (w *Writer) Bytes(v []byte) {
	w.b = binary.AppendUvarint(w.b, uint64(len(v)))
	w.b = append(w.b, v...)
}

// Uint writes v as a uvarint.
func (w *Writer) Uint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }

// Strings writes the count, then each string: nil and empty are the same.
func (w *Writer) Strings(v []string) {
	w.b = binary.AppendUvarint(w.b, uint64(len(v)))
	for _, s := range v {
		w.String(s)
	}
}

// Time writes 0 for the zero time, else 1, the Unix seconds and the
// nanoseconds. The location is not kept: times come back in UTC.
func (w *Writer) Time(t time.Time) {
	if t.IsZero() {
		w.b = append(w.b, 0)
		return
	}
	w.b = append(w.b, 1)
	w.b = binary.AppendVarint(w.b, t.Unix())
	w.b = binary.AppendUvarint(w.b, uint64(t.Nanosecond()))
}

// Reader takes the fields of one record off a string. Strings it returns
// share the input; byte slices are fresh copies. The first failure
// sticks: every later read yields a zero value and Done reports
// ErrCorrupt, so a decoder checks once, at the end.
type Reader struct {
	s   string
	err error
}

// NewReader reads the record v.
func NewReader(v string) *Reader { return &Reader{s: v} }

func (r *Reader) fail() { r.err, r.s = ErrCorrupt, "" }

// Byte reads one byte (the format byte comes first).
func (r *Reader) Byte() byte {
	if r.err != nil || len(r.s) == 0 {
		r.fail()
		return 0
	}
	v := r.s[0]
	r.s = r.s[1:]
	return v
}

// Bool reads a byte that must be 0 or 1.
func (r *Reader) Bool() bool {
	switch r.Byte() {
	case 0:
		return false
	case 1:
		return true
	}
	r.fail()
	return false
}

// uvarint decodes as binary.Uvarint does (at most ten bytes, no
// overflow), by hand: binary.Uvarint wants a []byte, and converting the
// string would copy it.
func (r *Reader) uvarint() uint64 {
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

// Uint reads a uvarint written by Writer.Uint.
func (r *Reader) Uint() uint64 { return r.uvarint() }

// varint undoes binary.AppendVarint's zig-zag encoding.
func (r *Reader) varint() int64 {
	ux := r.uvarint()
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x
}

// raw returns the next length-prefixed field, sharing the input.
func (r *Reader) raw() string {
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

// String reads a length-prefixed string; it shares the input.
func (r *Reader) String() string { return r.raw() }

// Bytes reads a length-prefixed byte slice into a fresh copy; empty is nil.
func (r *Reader) Bytes() []byte {
	v := r.raw()
	if r.err != nil || len(v) == 0 {
		return nil
	}
	return []byte(v)
}

// Strings reads a counted list of strings; empty is nil.
func (r *Reader) Strings() []string {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	// Every element takes at least one byte: a count larger than what is
	// left is corrupt and must not size an allocation.
	if n > uint64(len(r.s)) {
		r.fail()
		return nil
	}
	if n == 0 {
		return nil
	}
	out := make([]string, 0, n)
	for i := uint64(0); i < n; i++ {
		out = append(out, r.String())
	}
	if r.err != nil {
		return nil
	}
	return out
}

// Time reads a time written by Writer.Time, in UTC.
func (r *Reader) Time() time.Time {
	switch r.Byte() {
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

// Done reports the first failure, or ErrCorrupt when bytes are left over.
func (r *Reader) Done() error {
	if r.err != nil {
		return r.err
	}
	if len(r.s) != 0 {
		return ErrCorrupt
	}
	return nil
}
