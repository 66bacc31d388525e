package jwks

// Set is a parsed key set: the signature keys of one JWKS document. It is
// immutable.
type Set struct {
	keys  []*Key
	byKID map[string]*Key
}

// Len is the number of signature keys in the set.
func (s *Set) Len() int { return len(s.keys) }

// Keys returns the set's keys in document order (a copy of the slice).
func (s *Set) Keys() []*Key { return append([]*Key(nil), s.keys...) }

// Key finds the key for a token's kid and alg. kid "" picks the only key
// of a one-key set (ErrKIDRequired when there are several). It never
// allocates.
func (s *Set) Key(kid, alg string) (*Key, error) {
	if algKind(alg) == kindNone {
		return nil, ErrAlgMismatch
	}
	var k *Key
	if kid == "" {
		switch len(s.keys) {
		case 0:
			return nil, ErrUnknownKID
		case 1:
			k = s.keys[0]
		default:
			return nil, ErrKIDRequired
		}
	} else if k = s.byKID[kid]; k == nil {
		return nil, ErrUnknownKID
	}
	if !k.Fits(alg) {
		return nil, ErrAlgMismatch
	}
	return k, nil
}
