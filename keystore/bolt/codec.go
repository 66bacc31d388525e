package bolt

import (
	"encoding/binary"
	"errors"
	"time"
)

// errCorrupt is returned when a stored record cannot be decoded. The
// message never carries the bytes that failed to decode.
var errCorrupt = errors.New("keystore/bolt: corrupt record")

// enc appends fields to a byte slice. Every record starts with a format
// byte so that a later schema migration can tell old encodings from new.
type enc struct{ b []byte }

func (e *enc) byte(v byte) { e.b = append(e.b, v) }

func (e *enc) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
		return
	}
	e.b = append(e.b, 0)
}

func (e *enc) bytes(v []byte) {
	e.b = binary.AppendUvarint(e.b, uint64(len(v)))
	e.b = append(e.b, v...)
}

func (e *enc) string(v string) {
	e.b = binary.AppendUvarint(e.b, uint64(len(v)))
	e.b = append(e.b, v...)
}

func (e *enc) strings(v []string) {
	e.b = binary.AppendUvarint(e.b, uint64(len(v)))
	for _, s := range v {
		e.string(s)
	}
}

// time writes 0 for the zero time, else 1, seconds and nanoseconds. The
// location is not kept: times come back in UTC.
func (e *enc) time(t time.Time) {
	if t.IsZero() {
		e.b = append(e.b, 0)
		return
	}
	e.b = append(e.b, 1)
	e.b = binary.AppendVarint(e.b, t.Unix())
	e.b = binary.AppendUvarint(e.b, uint64(t.Nanosecond()))
}

// dec reads fields written by enc. Once a read fails every later read
// returns zero values and err stays set, so callers check err once.
type dec struct {
	b   []byte
	err error
}

func (d *dec) fail() { d.err = errCorrupt; d.b = nil }

func (d *dec) byte() byte {
	if d.err != nil || len(d.b) < 1 {
		d.fail()
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *dec) bool() bool {
	switch d.byte() {
	case 0:
		return false
	case 1:
		return true
	default:
		d.fail()
		return false
	}
}

func (d *dec) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

// raw returns the next length-prefixed field, still aliasing the input.
func (d *dec) raw() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

// bytes returns a copy: the input may be memory-mapped and valid only
// inside the transaction.
func (d *dec) bytes() []byte {
	v := d.raw()
	if d.err != nil || len(v) == 0 {
		return nil
	}
	out := make([]byte, len(v))
	copy(out, v)
	return out
}

func (d *dec) string() string { return string(d.raw()) }

func (d *dec) strings() []string {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	// Every element takes at least one byte: a count larger than what is
	// left is corrupt and must not drive an allocation.
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	if n == 0 {
		return nil
	}
	out := make([]string, 0, n)
	for i := uint64(0); i < n; i++ {
		out = append(out, d.string())
	}
	if d.err != nil {
		return nil
	}
	return out
}

func (d *dec) time() time.Time {
	switch d.byte() {
	case 0:
		return time.Time{}
	case 1:
		sec := d.varint()
		nsec := d.uvarint()
		if d.err != nil {
			return time.Time{}
		}
		if nsec >= 1e9 {
			d.fail()
			return time.Time{}
		}
		return time.Unix(sec, int64(nsec)).UTC()
	default:
		d.fail()
		return time.Time{}
	}
}

// done reports the first error, or errCorrupt when bytes are left over.
func (d *dec) done() error {
	if d.err != nil {
		return d.err
	}
	if len(d.b) != 0 {
		return errCorrupt
	}
	return nil
}
