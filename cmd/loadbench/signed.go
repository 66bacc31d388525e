package main

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/signing"
)

// lsaSignedHeaders is what signing.SignRequest signs for a request
// without a body.
const lsaSignedHeaders = "host;x-auth-date;x-auth-nonce"

// presigner signs GET requests for one forwarded URL as one API key.
type presigner struct {
	keyID, secret string
	host          string // X-Forwarded-Host: the canon's host line
	path, query   string // X-Forwarded-Uri split at "?"
}

func newPresigner(rawKey, prefix, host, uri string) (presigner, error) {
	p, err := signing.ParseAPIKey([]byte(rawKey), prefix)
	if err != nil {
		return presigner{}, fmt.Errorf("signing key: %w", err)
	}
	path, query, _ := strings.Cut(uri, "?")
	return presigner{keyID: string(p.KeyID), secret: string(p.Secret), host: host, path: path, query: query}, nil
}

// authPrefix is the Authorization value up to the signature.
func (s presigner) authPrefix() string {
	return signing.LSA1Scheme + " Credential=" + s.keyID + ", SignedHeaders=" + lsaSignedHeaders + ", Signature="
}

// appendSig appends the hex signature of the request with this date and
// nonce to dst; canon is scratch space, returned for reuse.
func (s presigner) appendSig(dst, canon []byte, date, nonce string) ([]byte, []byte, error) {
	d, n := [][]byte{[]byte(date)}, [][]byte{[]byte(nonce)}
	canon, err := signing.LSA1Canonical(canon[:0], signing.LSA1Input{
		Method:        []byte("GET"),
		RawPath:       []byte(s.path),
		RawQuery:      []byte(s.query),
		Host:          []byte(s.host),
		SignedHeaders: []byte(lsaSignedHeaders),
		Header: func(name []byte) [][]byte {
			switch string(name) {
			case "x-auth-date":
				return d
			case "x-auth-nonce":
				return n
			}
			return nil
		},
	})
	if err != nil {
		return dst, canon, err
	}
	sig := signing.LSA1Signature([]byte(s.secret), canon)
	return hex.AppendEncode(dst, sig[:]), canon, nil
}

// headers of one signed request (for the single-request probe).
func (s presigner) headers(now time.Time, nonce string) ([][2]string, error) {
	date := now.UTC().Format(time.RFC3339)
	sig, _, err := s.appendSig(nil, nil, date, nonce)
	if err != nil {
		return nil, err
	}
	return [][2]string{{"X-Auth-Date", date}, {"X-Auth-Nonce", nonce}, {"Authorization", s.authPrefix() + string(sig)}}, nil
}

// writeSet writes the files lua/bench.lua reads: PREFIX.1 … PREFIX.threads,
// each with perThread requests whose nonces are noncePrefix + "<thread>-" + i
// (i from 1, as the script counts). Nonces must never repeat against the
// same gatehouse, so noncePrefix must be new for every set.
func (s presigner) writeSet(prefix string, threads, perThread int, noncePrefix string, now time.Time) error {
	if threads < 1 || perThread < 1 {
		return errors.New("presign: nothing to sign")
	}
	date := now.UTC().Format(time.RFC3339)
	errs := make([]error, threads)
	var wg sync.WaitGroup
	for t := 1; t <= threads; t++ {
		wg.Add(1)
		go func(t int) {
			defer wg.Done()
			errs[t-1] = s.writeFile(prefix+"."+strconv.Itoa(t), perThread, date, noncePrefix+strconv.Itoa(t)+"-")
		}(t)
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (s presigner) writeFile(path string, n int, date, noncePrefix string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintf(w, "%s\n%s\n%s\n", date, noncePrefix, s.authPrefix())
	var sig, canon, nonce []byte
	for i := 1; i <= n; i++ {
		nonce = strconv.AppendInt(append(nonce[:0], noncePrefix...), int64(i), 10)
		sig, canon, err = s.appendSig(sig[:0], canon, date, string(nonce))
		if err != nil {
			f.Close()
			return err
		}
		w.Write(sig)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
