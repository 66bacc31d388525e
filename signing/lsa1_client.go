package signing

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"
)

// lsaDefaultSigned are the headers SignRequest signs (plus
// x-auth-content-sha256 when there is a body).
var lsaDefaultSigned = []string{"host", "x-auth-date", "x-auth-nonce"}

// SignRequest signs r for LSA1-HMAC-SHA256 as key keyID with secret (the
// text after the "." of the raw API key): it sets X-Auth-Date (now, RFC 3339
// in now's zone: pass a UTC time to get "Z"), X-Auth-Nonce, X-Auth-Content-SHA256 when body is not empty,
// and Authorization, signing host, x-auth-date, x-auth-nonce and, with a
// body, x-auth-content-sha256. body must be the bytes r will send; r.Body is
// not read or changed. nonce should be unique per request (e.g. NewJTI).
func SignRequest(r *http.Request, keyID, secret string, now time.Time, nonce string, body []byte) error {
	signed := lsaDefaultSigned
	if len(body) > 0 {
		signed = append(signed[:len(signed):len(signed)], "x-auth-content-sha256")
	}
	return SignRequestHeaders(r, keyID, secret, now, nonce, body, signed)
}

// SignRequestHeaders is SignRequest with an explicit, ordered list of
// lower-case header names to sign. The list must include host, x-auth-date,
// x-auth-nonce, and x-auth-content-sha256 when body is not empty.
func SignRequestHeaders(r *http.Request, keyID, secret string, now time.Time, nonce string, body []byte, signedHeaders []string) error {
	if r == nil || r.URL == nil {
		return errors.New("signing: lsa1: request without URL")
	}
	if keyID == "" || len(keyID) > LSA1MaxKeyIDLen || !lsaIsB64URL([]byte(keyID)) {
		return errors.New("signing: lsa1: key id must be 1-128 base64url characters")
	}
	if !ValidLSA1Nonce(AppendLSA1HeaderValue(nil, []byte(nonce))) {
		return ErrLSA1Nonce
	}
	list := strings.Join(signedHeaders, ";")
	if err := lsaCheckSignedHeaders([]byte(list)); err != nil {
		return err
	}
	for _, need := range lsaDefaultSigned {
		if !lsaListHas([]byte(list), need) {
			return ErrLSA1SignedHeaders
		}
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	if host == "" {
		return errors.New("signing: lsa1: request has no host")
	}
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	r.Header.Set("X-Auth-Date", now.Format(time.RFC3339))
	r.Header.Set("X-Auth-Nonce", nonce)
	var bodyHex []byte
	if len(body) > 0 {
		if !lsaListHas([]byte(list), "x-auth-content-sha256") {
			return ErrLSA1SignedHeaders
		}
		sum := sha256.Sum256(body)
		bodyHex = hex.AppendEncode(nil, sum[:])
		r.Header.Set("X-Auth-Content-SHA256", string(bodyHex))
	}
	// The path and query exactly as net/http will write them.
	uri := r.URL.RequestURI()
	path, query, _ := strings.Cut(uri, "?")
	canon, err := LSA1Canonical(nil, LSA1Input{
		Method:        []byte(r.Method),
		RawPath:       []byte(path),
		RawQuery:      []byte(query),
		Host:          []byte(host),
		SignedHeaders: []byte(list),
		Header: func(name []byte) [][]byte {
			vs := r.Header.Values(string(name))
			out := make([][]byte, len(vs))
			for i, v := range vs {
				out[i] = []byte(v)
			}
			return out
		},
		BodySHA256Hex: bodyHex,
	})
	if err != nil {
		return err
	}
	sig := LSA1Signature([]byte(secret), canon)
	r.Header.Set("Authorization", LSA1Scheme+" Credential="+keyID+", SignedHeaders="+list+", Signature="+hex.EncodeToString(sig[:]))
	return nil
}
