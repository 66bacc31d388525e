package signing

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/sync/semaphore"
)

// PasswordParams are the argon2id cost parameters and output sizes.
type PasswordParams struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8  // lanes
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultPasswordParams is RFC 9106's second recommended set: m=64 MiB, t=3, p=4,
// with a 16-byte salt and a 32-byte tag.
var DefaultPasswordParams = PasswordParams{Memory: 64 * 1024, Time: 3, Threads: 4, SaltLen: 16, KeyLen: 32}

// Password length policy defaults, counted in characters (runes).
const (
	DefaultPasswordMinLen = 12
	DefaultPasswordMaxLen = 128
)

// Bounds on argon2id parameters, both for a Hasher's own settings and for
// parameters read back from a stored hash. A stored hash outside them is
// refused before any work is spent, so a hostile row cannot exhaust memory or
// CPU.
const (
	PasswordMaxMemoryKiB = 4 * 1024 * 1024 // 4 GiB
	PasswordMaxTime      = 64
	PasswordMinSaltLen   = 8
	PasswordMaxSaltLen   = 64
	PasswordMinKeyLen    = 16
	PasswordMaxKeyLen    = 64

	// passwordMinHasherMemoryKiB is the least memory a Hasher may be configured
	// with; stored hashes may use less (down to argon2's 8 KiB per lane).
	pwMinHasherMemoryKiB = 1024
	// pwBcryptMaxCost bounds the work of an imported bcrypt hash (2^16 rounds
	// is already several seconds); higher costs are refused as hostile.
	pwBcryptMaxCost = 16
	// pwBcryptMaxPassword is the number of password bytes bcrypt reads; longer
	// passwords never match an imported bcrypt hash rather than matching on a
	// truncated prefix.
	pwBcryptMaxPassword = 72
	// pwMaxEncodedLen bounds the stored string we are willing to parse.
	pwMaxEncodedLen = 512
)

// Password errors. None of them carries the password or the stored hash.
var (
	ErrPasswordParams    = errors.New("signing: invalid password hashing parameters")
	ErrPasswordHash      = errors.New("signing: unrecognised or malformed password hash")
	ErrPasswordTooShort  = errors.New("signing: password too short")
	ErrPasswordTooLong   = errors.New("signing: password too long")
	ErrPasswordEncoding  = errors.New("signing: password is not valid UTF-8")
	ErrPasswordPolicyArg = errors.New("signing: invalid password length policy")
	// ErrHashBusy: every hashing slot stayed taken for the whole bounded
	// wait (or the context ended first); no work was spent. Callers answer
	// "busy, retry later" (the portal: 429 RATE_LIMITED with Retry-After),
	// never "wrong password".
	ErrHashBusy = errors.New("signing: too many password hashes in progress")
)

// Concurrency bound defaults. Each argon2id computation holds its memory
// cost for as long as it runs, so the number running at once, not the
// request rate, decides the process's peak memory.
const (
	// HashMemoryBudget is the memory (bytes) the automatic bound lets
	// concurrent hashes hold together.
	HashMemoryBudget = 512 << 20
	// DefaultHashWait is how long a hash waits for a free slot before it
	// fails with ErrHashBusy.
	DefaultHashWait = 2 * time.Second
)

// AutoMaxConcurrentHashes is the bound used when none is configured:
// max(1, min(GOMAXPROCS / threads, HashMemoryBudget / memory)), memory in
// KiB. Each hash already runs threads lanes in parallel, so GOMAXPROCS /
// threads hashes keep every CPU busy; more would add memory, not
// throughput, and would queue the verifier's goroutines behind more
// CPU-bound ones. At the default cost (64 MiB, 4 lanes) that is one hash
// per 4 CPUs, at most 8.
func AutoMaxConcurrentHashes(memoryKiB uint32, threads uint8) int {
	n := runtime.GOMAXPROCS(0) / max(int(threads), 1)
	if memoryKiB > 0 {
		if byMem := int(uint64(HashMemoryBudget) / (uint64(memoryKiB) * 1024)); byMem < n {
			n = byMem
		}
	}
	return max(n, 1)
}

// HasherOption tunes NewHasher.
type HasherOption func(*Hasher)

// WithMaxConcurrentHashes bounds how many hashes (Hash, Verify,
// VerifyDummy) run at once; n <= 0 means AutoMaxConcurrentHashes.
func WithMaxConcurrentHashes(n int) HasherOption {
	return func(h *Hasher) { h.slots = n }
}

// WithHashWait sets how long a hash waits for a free slot before
// ErrHashBusy; d <= 0 means DefaultHashWait.
func WithHashWait(d time.Duration) HasherOption {
	return func(h *Hasher) { h.wait = d }
}

// WithMemoryReturn makes the Hasher give its memory back to the operating
// system once hashing stops: when the last running computation finishes
// and none starts within quiet, it runs debug.FreeOSMemory (at most once
// per quiet period). Without it an argon2id run's memory cost (64 MiB by
// default) stays in the process's resident set long after the login that
// spent it, because the Go runtime returns freed heap only slowly. A
// server process wants this; a short-lived command does not need it.
func WithMemoryReturn(quiet time.Duration) HasherOption {
	return func(h *Hasher) {
		h.quiet = max(quiet, time.Millisecond)
		h.freeOS = debug.FreeOSMemory
	}
}

// Hasher hashes and verifies passwords with argon2id under fixed parameters.
// It is safe for concurrent use. The zero value is not usable: build one
// with NewHasher.
//
// Every computation (Hash, Verify, VerifyDummy and their Context forms,
// and so HashRecoveryCodes and MatchRecoveryCode) first takes a slot of
// one semaphore, so at most MaxConcurrent() run at once and peak memory
// stays near MaxConcurrent() times the memory cost whatever the request
// load. A computation waits at most the hash wait (2 s by default) for a
// slot, then fails with ErrHashBusy without spending any work. A slot is
// sized for the Hasher's own memory cost; verifying a stored argon2id
// hash with a larger cost takes as many slots as it needs (at most all).
type Hasher struct {
	p     PasswordParams
	dummy string // a hash of a random password under p, for VerifyDummy
	slots int
	wait  time.Duration
	sem   *semaphore.Weighted

	// Memory return (WithMemoryReturn): running counts computations
	// holding slots; pending is set while a release is scheduled.
	quiet   time.Duration
	freeOS  func()
	running atomic.Int64
	pending atomic.Bool
}

// NewHasher validates p and returns a Hasher. It spends no hashing work:
// the dummy hash used by VerifyDummy is random bytes in the PHC form.
func NewHasher(p PasswordParams, opts ...HasherOption) (*Hasher, error) {
	if err := pwCheckParams(p, true); err != nil {
		return nil, err
	}
	h := &Hasher{p: p}
	for _, o := range opts {
		o(h)
	}
	if h.slots <= 0 {
		h.slots = AutoMaxConcurrentHashes(p.Memory, p.Threads)
	}
	if h.wait <= 0 {
		h.wait = DefaultHashWait
	}
	h.sem = semaphore.NewWeighted(int64(h.slots))
	// The dummy is a well-formed hash under p with a random salt and a
	// random tag: verifying against it costs exactly one Verify, and no
	// password matches it (that would take a 2^-(8*KeyLen) guess). No
	// argon2 run is spent on it, so a process that never checks a
	// password never touches the memory cost (idle RSS, docs/design.md).
	salt := make([]byte, p.SaltLen)
	tag := make([]byte, p.KeyLen)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("signing: reading random bytes: %w", err)
	}
	if _, err := rand.Read(tag); err != nil {
		return nil, fmt.Errorf("signing: reading random bytes: %w", err)
	}
	h.dummy = pwFormatPHC(p, salt, tag)
	return h, nil
}

// Params returns the parameters new hashes are made with.
func (h *Hasher) Params() PasswordParams { return h.p }

// MaxConcurrent reports how many hashes may run at once.
func (h *Hasher) MaxConcurrent() int { return h.slots }

// acquire takes weight slots (clamped to 1..MaxConcurrent), waiting at
// most the hash wait or until ctx ends; it returns ErrHashBusy otherwise.
func (h *Hasher) acquire(ctx context.Context, weight int64) (func(), error) {
	weight = min(max(weight, 1), int64(h.slots))
	if !h.sem.TryAcquire(weight) {
		ctx, cancel := context.WithTimeout(ctx, h.wait)
		defer cancel()
		if err := h.sem.Acquire(ctx, weight); err != nil {
			return nil, ErrHashBusy
		}
	}
	h.running.Add(1)
	return func() {
		h.sem.Release(weight)
		if h.running.Add(-1) == 0 && h.freeOS != nil {
			h.scheduleMemoryReturn()
		}
	}, nil
}

// scheduleMemoryReturn returns freed memory to the OS after the quiet
// period, unless a computation is running by then (its own end schedules
// the next one).
func (h *Hasher) scheduleMemoryReturn() {
	if !h.pending.CompareAndSwap(false, true) {
		return
	}
	time.AfterFunc(h.quiet, func() {
		h.pending.Store(false)
		if h.running.Load() == 0 {
			h.freeOS()
		}
	})
}

// Reserve takes n slots (clamped to 1..MaxConcurrent) as a hash would,
// waiting at most the hash wait or until ctx ends (ErrHashBusy otherwise).
// Hashes cannot use them until release is called: other memory-heavy work
// can share the bound this way, and tests saturate the Hasher with it.
func (h *Hasher) Reserve(ctx context.Context, n int) (release func(), err error) {
	return h.acquire(ctx, int64(n))
}

// weightOf is the number of slots a computation at memKiB needs.
func (h *Hasher) weightOf(memKiB uint32) int64 {
	return int64((uint64(memKiB) + uint64(h.p.Memory) - 1) / uint64(h.p.Memory))
}

// Hash returns the PHC string of a fresh argon2id hash of password:
// $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<tag> (unpadded standard base64).
// It is HashContext without a context (the wait is still bounded).
func (h *Hasher) Hash(password string) (string, error) {
	return h.HashContext(context.Background(), password)
}

// HashContext is Hash, giving up with ErrHashBusy when no slot frees up
// within the hash wait or before ctx ends.
func (h *Hasher) HashContext(ctx context.Context, password string) (string, error) {
	salt := make([]byte, h.p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("signing: reading random bytes: %w", err)
	}
	release, err := h.acquire(ctx, 1)
	if err != nil {
		return "", err
	}
	defer release()
	key := argon2.IDKey([]byte(password), salt, h.p.Time, h.p.Memory, h.p.Threads, h.p.KeyLen)
	return pwFormatPHC(h.p, salt, key), nil
}

// Verify checks password against encoded, an argon2id PHC string or an
// imported bcrypt hash ($2a$, $2b$, $2y$).
//
// ok reports a match. needsRehash is true only when ok and the stored hash
// was made with parameters other than the Hasher's, or is bcrypt: the caller
// should then store h.Hash(password). A mismatch is (false, false, nil).
// An unknown or malformed format, or one whose parameters are out of bounds,
// is an error wrapping ErrPasswordHash (fail closed); the error never contains
// encoded or password. When no hashing slot is free in time it is
// ErrHashBusy, which is neither a match nor a mismatch.
func (h *Hasher) Verify(encoded, password string) (ok bool, needsRehash bool, err error) {
	return h.VerifyContext(context.Background(), encoded, password)
}

// VerifyContext is Verify, giving up with ErrHashBusy when no slot frees
// up within the hash wait or before ctx ends.
func (h *Hasher) VerifyContext(ctx context.Context, encoded, password string) (ok bool, needsRehash bool, err error) {
	switch {
	case strings.HasPrefix(encoded, "$argon2id$"):
		ph, err := pwParsePHC(encoded)
		if err != nil {
			return false, false, err
		}
		release, err := h.acquire(ctx, h.weightOf(ph.params.Memory))
		if err != nil {
			return false, false, err
		}
		defer release()
		got := argon2.IDKey([]byte(password), ph.salt, ph.params.Time, ph.params.Memory, ph.params.Threads, ph.params.KeyLen)
		if subtle.ConstantTimeCompare(got, ph.key) != 1 {
			return false, false, nil
		}
		return true, ph.params != h.p, nil
	case strings.HasPrefix(encoded, "$2a$"), strings.HasPrefix(encoded, "$2b$"), strings.HasPrefix(encoded, "$2y$"):
		if err := pwCheckBcrypt(encoded); err != nil {
			return false, false, err
		}
		if len(password) > pwBcryptMaxPassword {
			return false, false, nil
		}
		release, err := h.acquire(ctx, 1)
		if err != nil {
			return false, false, err
		}
		defer release()
		switch err := bcrypt.CompareHashAndPassword([]byte(encoded), []byte(password)); {
		case err == nil:
			return true, true, nil
		case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
			return false, false, nil
		default:
			return false, false, ErrPasswordHash
		}
	default:
		return false, false, ErrPasswordHash
	}
}

// VerifyDummy spends the work of one Verify under the Hasher's parameters and
// always fails. Call it when the identifier is unknown, so the answer takes as
// long as for a known user with a wrong password. It takes a hashing slot
// like Verify and returns ErrHashBusy, or nil once the work is spent, so
// a busy server answers an unknown user exactly as it answers a known one.
func (h *Hasher) VerifyDummy(password string) error {
	return h.VerifyDummyContext(context.Background(), password)
}

// VerifyDummyContext is VerifyDummy with a context for the slot wait.
func (h *Hasher) VerifyDummyContext(ctx context.Context, password string) error {
	_, _, err := h.VerifyContext(ctx, h.dummy, password)
	if errors.Is(err, ErrHashBusy) {
		return err
	}
	return nil
}

// CheckPasswordLength enforces a length policy counted in characters (runes).
// It returns ErrPasswordTooShort, ErrPasswordTooLong, ErrPasswordEncoding for
// invalid UTF-8, or ErrPasswordPolicyArg when min < 1 or max < min.
func CheckPasswordLength(pw string, min, max int) error {
	if min < 1 || max < min {
		return ErrPasswordPolicyArg
	}
	// Refuse absurd inputs before counting: a rune is at most 4 bytes.
	if len(pw) > 4*max {
		return ErrPasswordTooLong
	}
	if !utf8.ValidString(pw) {
		return ErrPasswordEncoding
	}
	n := utf8.RuneCountInString(pw)
	switch {
	case n < min:
		return ErrPasswordTooShort
	case n > max:
		return ErrPasswordTooLong
	}
	return nil
}

// pwCheckParams validates parameters. forHasher applies the stricter floor
// for parameters we choose ourselves.
func pwCheckParams(p PasswordParams, forHasher bool) error {
	minMem := uint32(8) * uint32(p.Threads)
	if forHasher && minMem < pwMinHasherMemoryKiB {
		minMem = pwMinHasherMemoryKiB
	}
	switch {
	case p.Threads < 1,
		p.Memory < minMem, p.Memory > PasswordMaxMemoryKiB,
		p.Time < 1, p.Time > PasswordMaxTime,
		p.SaltLen < PasswordMinSaltLen, p.SaltLen > PasswordMaxSaltLen,
		p.KeyLen < PasswordMinKeyLen, p.KeyLen > PasswordMaxKeyLen:
		return ErrPasswordParams
	}
	return nil
}

func pwFormatPHC(p PasswordParams, salt, key []byte) string {
	var b strings.Builder
	b.Grow(64 + base64.RawStdEncoding.EncodedLen(len(salt)) + base64.RawStdEncoding.EncodedLen(len(key)))
	b.WriteString("$argon2id$v=19$m=")
	b.WriteString(strconv.FormatUint(uint64(p.Memory), 10))
	b.WriteString(",t=")
	b.WriteString(strconv.FormatUint(uint64(p.Time), 10))
	b.WriteString(",p=")
	b.WriteString(strconv.FormatUint(uint64(p.Threads), 10))
	b.WriteByte('$')
	b.WriteString(base64.RawStdEncoding.EncodeToString(salt))
	b.WriteByte('$')
	b.WriteString(base64.RawStdEncoding.EncodeToString(key))
	return b.String()
}

type pwPHC struct {
	params PasswordParams
	salt   []byte
	key    []byte
}

// pwParsePHC parses exactly the form pwFormatPHC writes: version 19, the
// parameters m, t, p in that order as canonical decimals, and unpadded
// standard base64 salt and tag. Anything else is ErrPasswordHash.
func pwParsePHC(s string) (pwPHC, error) {
	var out pwPHC
	if len(s) > pwMaxEncodedLen {
		return out, ErrPasswordHash
	}
	rest, ok := strings.CutPrefix(s, "$argon2id$v=19$m=")
	if !ok {
		return out, ErrPasswordHash
	}
	m, rest, ok := pwCutUint(rest, ",t=", PasswordMaxMemoryKiB)
	if !ok {
		return out, ErrPasswordHash
	}
	t, rest, ok := pwCutUint(rest, ",p=", PasswordMaxTime)
	if !ok {
		return out, ErrPasswordHash
	}
	p, rest, ok := pwCutUint(rest, "$", 255)
	if !ok {
		return out, ErrPasswordHash
	}
	saltB64, keyB64, ok := strings.Cut(rest, "$")
	if !ok {
		return out, ErrPasswordHash
	}
	salt, ok := pwDecodeB64(saltB64)
	if !ok {
		return out, ErrPasswordHash
	}
	key, ok := pwDecodeB64(keyB64)
	if !ok {
		return out, ErrPasswordHash
	}
	out.params = PasswordParams{
		Memory: uint32(m), Time: uint32(t), Threads: uint8(p),
		SaltLen: uint32(len(salt)), KeyLen: uint32(len(key)),
	}
	if err := pwCheckParams(out.params, false); err != nil {
		return pwPHC{}, ErrPasswordHash
	}
	out.salt, out.key = salt, key
	return out, nil
}

// pwCutUint reads a canonical decimal (no sign, no leading zero, at most
// max) followed by sep.
func pwCutUint(s, sep string, max uint64) (uint64, string, bool) {
	num, rest, ok := strings.Cut(s, sep)
	if !ok || num == "" || len(num) > 10 || (num[0] == '0' && len(num) > 1) {
		return 0, "", false
	}
	var v uint64
	for i := 0; i < len(num); i++ {
		c := num[i]
		if c < '0' || c > '9' {
			return 0, "", false
		}
		v = v*10 + uint64(c-'0')
	}
	if v > max {
		return 0, "", false
	}
	return v, rest, true
}

// pwDecodeB64 decodes unpadded standard base64, refusing anything outside
// the alphabet (the decoder would otherwise skip CR and LF) and
// non-canonical trailing bits.
func pwDecodeB64(s string) ([]byte, bool) {
	if s == "" || len(s) > 2*PasswordMaxSaltLen+PasswordMaxKeyLen {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/') {
			return nil, false
		}
	}
	b, err := base64.RawStdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, false
	}
	return b, true
}

// pwCheckBcrypt validates the shape of a bcrypt hash: "$2x$NN$" then 53
// characters of bcrypt's base64 alphabet, with the cost bounded.
func pwCheckBcrypt(s string) error {
	if len(s) != 60 || s[6] != '$' {
		return ErrPasswordHash
	}
	c1, c2 := s[4], s[5]
	if c1 < '0' || c1 > '9' || c2 < '0' || c2 > '9' {
		return ErrPasswordHash
	}
	cost := int(c1-'0')*10 + int(c2-'0')
	if cost < bcrypt.MinCost || cost > pwBcryptMaxCost {
		return ErrPasswordHash
	}
	for i := 7; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '/') {
			return ErrPasswordHash
		}
	}
	return nil
}
