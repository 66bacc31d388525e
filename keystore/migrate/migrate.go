package migrate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/internal/record"
)

// Kind is one family of copied records.
type Kind int

// The kinds, in the order they are copied.
const (
	Denylist Kind = iota
	Markers
	Users
	Sessions
	APIKeys
	OAuthLinks
	Passkeys
	nKinds
)

var kindNames = [nKinds]string{"denylist", "markers", "users", "sessions", "api_keys", "oauth_links", "passkeys"}

func (k Kind) String() string {
	if k < 0 || k >= nKinds {
		return fmt.Sprintf("kind(%d)", int(k))
	}
	return kindNames[k]
}

// Errors Run returns after it finished the copy (the Report says more).
var (
	ErrSameStore = errors.New("migrate: the destination is the source store")
	ErrConflicts = errors.New("migrate: records in the destination conflict with the source")
	ErrMismatch  = errors.New("migrate: the destination's counts differ from the source's")
)

// Options tune Run. The zero value copies with defaultWorkers workers and
// no progress output.
type Options struct {
	// AllowConflicts reports conflicting records but keeps the
	// destination's version and does not fail the run for them.
	AllowConflicts bool
	// Workers copy users (each with its records) and denylist entries in
	// parallel; 0 means defaultWorkers.
	Workers int
	// Progress receives a line every ProgressEvery (0: 2 s); nil: none.
	Progress      io.Writer
	ProgressEvery time.Duration
	// Now is the clock that decides what has expired; nil: time.Now.
	Now func() time.Time
}

const (
	defaultWorkers   = 8
	defaultEvery     = 2 * time.Second
	userPage         = 500
	maxConflictsKept = 50
	// verifyMargin moves the verification cut-off past entries about to
	// expire, so both stores count the same set however their clocks and
	// expiry granularity (Redis: milliseconds) differ.
	verifyMargin = 5 * time.Second
)

// Tally counts what happened to the records of one kind.
type Tally struct {
	Copied    int64 // written to the destination (the denylist: every entry, Deny being idempotent)
	Skipped   int64 // already in the destination, equal
	Conflicts int64 // in the destination but different, or blocked by another record
	Expired   int64 // expired in the source: not copied
}

// Conflict names one conflicting record by kind and id, never by a
// stored value.
type Conflict struct {
	Kind   Kind
	ID     string
	Reason string
}

// Report is the outcome of Run.
type Report struct {
	Tally [nKinds]Tally
	// Conflicts holds the first conflicts (at most maxConflictsKept);
	// Tally has the number of each kind.
	Conflicts []Conflict
	// MarkersNotKept: the source keeps markers in Redis but the
	// destination keeps them in process memory (shared.backend memory).
	MarkersNotKept bool
	// SharedDenylist: source and destination keep revocations and
	// markers in one store (the same shared Redis): nothing to copy.
	SharedDenylist bool
	// Source and Dest are the verification counts, live as of one
	// cut-off; -1 where a store cannot count that kind. Verified is
	// false until both were counted.
	Source, Dest [nKinds]int
	Verified     bool
	// CopyTime and VerifyTime are how long the copy and the counting
	// took.
	CopyTime, VerifyTime time.Duration
}

// ConflictCount is the number of conflicts of every kind.
func (r *Report) ConflictCount() int64 {
	var n int64
	for _, t := range r.Tally {
		n += t.Conflicts
	}
	return n
}

// Mismatched lists the kinds whose counts differ. Markers are ephemeral
// and may be set by a destination already in use, so they are reported
// but never mismatch.
func (r *Report) Mismatched() []Kind {
	var out []Kind
	for k := Kind(0); k < nKinds; k++ {
		if k != Markers && r.Source[k] >= 0 && r.Dest[k] >= 0 && r.Source[k] != r.Dest[k] {
			out = append(out, k)
		}
	}
	return out
}

// Side is one end of a migration: the durable store and where that
// deployment keeps its revocations and markers (docs/design.md "State":
// the durable store with shared.backend memory, the shared Redis with
// shared.backend redis).
type Side struct {
	// Store holds users, sessions, API keys and OAuth links.
	Store keystore.Store
	// Denylist is where revocations live; nil means Store. It must also
	// be a keystore.Exporter.
	Denylist keystore.Denylist
	// Markers are the shared Redis's single-use markers; nil when they
	// live in process memory (nothing durable to copy). A source's must
	// also be a keystore.MarkerExporter.
	Markers keystore.Markers
}

func (s Side) denylist() keystore.Denylist {
	if s.Denylist == nil {
		return s.Store
	}
	return s.Denylist
}

// run is one migration in progress.
type run struct {
	src, dst keystore.Store
	srcSide  Side
	dstSide  Side
	// sharedDeny: both sides keep revocations (and markers) in one
	// store, so there is nothing to copy or compare.
	sharedDeny bool
	opts       Options
	now        time.Time // what has expired is decided once
	tally      [nKinds]struct{ copied, skipped, conflicts, expired atomic.Int64 }
	users      int // source users at the start, for progress

	mu        sync.Mutex
	conflicts []Conflict
}

// Run copies every durable record of src into dst, then counts both
// (package doc). It returns the report and nil, or what stopped it: an
// error of either store (the report says how far it got; running again
// continues), ErrSameStore, ErrConflicts or ErrMismatch.
func Run(ctx context.Context, src, dst Side, opts Options) (*Report, error) {
	srcEx, ok1 := src.denylist().(keystore.Exporter)
	dstEx, ok2 := dst.denylist().(keystore.Exporter)
	if !ok1 || !ok2 {
		return nil, errors.New("migrate: both denylists must be exportable (keystore.Exporter)")
	}
	if src.Markers != nil {
		if _, ok := src.Markers.(keystore.MarkerExporter); !ok {
			return nil, errors.New("migrate: the source's markers must be exportable (keystore.MarkerExporter)")
		}
	}
	if opts.Workers <= 0 {
		opts.Workers = defaultWorkers
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	same, err := SameStore(ctx, src.Store, dst.Store, opts.Now)
	if err != nil {
		return nil, fmt.Errorf("migrate: telling the stores apart: %w", err)
	}
	if same {
		return nil, ErrSameStore
	}
	r := &run{src: src.Store, dst: dst.Store, srcSide: src, dstSide: dst, opts: opts, now: opts.Now()}
	if src.denylist() != keystore.Denylist(src.Store) || dst.denylist() != keystore.Denylist(dst.Store) {
		if r.sharedDeny, err = SameStore(ctx, src.denylist(), dst.denylist(), opts.Now); err != nil {
			return nil, fmt.Errorf("migrate: telling the denylists apart: %w", err)
		}
	}
	if r.users, err = src.Store.CountUsers(ctx); err != nil {
		return nil, fmt.Errorf("migrate: source: %w", err)
	}
	stop := r.progress()
	start := time.Now()
	if !r.sharedDeny {
		err = r.copyDenylist(ctx, srcEx)
		if err == nil {
			err = r.copyMarkers(ctx)
		}
	}
	if err == nil {
		err = r.copyUsers(ctx)
	}
	stop()
	rep := r.report()
	rep.CopyTime = time.Since(start)
	if err != nil {
		return rep, err
	}
	start = time.Now()
	cutoff := opts.Now().Add(verifyMargin)
	// The two stores are counted at the same time.
	var dstErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		rep.Dest, dstErr = r.count(ctx, dst, dstEx, cutoff)
	}()
	srcCounts, srcErr := r.count(ctx, src, srcEx, cutoff)
	wg.Wait()
	if srcErr != nil {
		return rep, fmt.Errorf("migrate: counting the source: %w", srcErr)
	}
	if dstErr != nil {
		return rep, fmt.Errorf("migrate: counting the destination: %w", dstErr)
	}
	rep.Source = srcCounts
	rep.Verified = true
	rep.VerifyTime = time.Since(start)
	if rep.ConflictCount() > 0 && !opts.AllowConflicts {
		return rep, ErrConflicts
	}
	if len(rep.Mismatched()) > 0 {
		return rep, ErrMismatch
	}
	return rep, nil
}

func (r *run) report() *Report {
	rep := &Report{}
	for k := range rep.Tally {
		t := &r.tally[k]
		rep.Tally[k] = Tally{Copied: t.copied.Load(), Skipped: t.skipped.Load(), Conflicts: t.conflicts.Load(), Expired: t.expired.Load()}
	}
	rep.MarkersNotKept = !r.sharedDeny && r.srcSide.Markers != nil && r.dstSide.Markers == nil
	rep.SharedDenylist = r.sharedDeny
	r.mu.Lock()
	rep.Conflicts = append([]Conflict(nil), r.conflicts...)
	r.mu.Unlock()
	for k := range rep.Source {
		rep.Source[k], rep.Dest[k] = -1, -1
	}
	return rep
}

func (r *run) conflict(k Kind, id, reason string) {
	r.tally[k].conflicts.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.conflicts) < maxConflictsKept {
		r.conflicts = append(r.conflicts, Conflict{Kind: k, ID: id, Reason: reason})
	}
}

// copyDenylist denies every live source entry in the destination until
// the same time. Deny never shortens an entry, so a second run is
// harmless.
func (r *run) copyDenylist(ctx context.Context, ex keystore.Exporter) error {
	type entry struct {
		id    string
		until time.Time
	}
	return fanOut(ctx, r.opts.Workers, func(ctx context.Context, send func(entry) error) error {
		return ex.EachDenied(ctx, func(id string, until time.Time) error { return send(entry{id, until}) })
	}, func(ctx context.Context, e entry) error {
		if !e.until.After(r.now) {
			r.tally[Denylist].expired.Add(1)
			return nil
		}
		if err := r.dstSide.denylist().Deny(ctx, e.id, e.until); err != nil {
			return fmt.Errorf("migrate: denylist entry: %w", err)
		}
		r.tally[Denylist].copied.Add(1)
		return nil
	})
}

// copyMarkers sets every live source marker in the destination for what
// is left of its time, when the source exports markers and the
// destination keeps them.
func (r *run) copyMarkers(ctx context.Context) error {
	ex, _ := r.srcSide.Markers.(keystore.MarkerExporter)
	m := r.dstSide.Markers
	if ex == nil || m == nil {
		return nil
	}
	return ex.EachMarker(ctx, func(key string, until time.Time) error {
		ttl := until.Sub(r.opts.Now())
		if ttl <= 0 {
			r.tally[Markers].expired.Add(1)
			return nil
		}
		won, err := m.SetIfAbsent(ctx, key, ttl)
		if err != nil {
			return fmt.Errorf("migrate: marker: %w", err)
		}
		if won {
			r.tally[Markers].copied.Add(1)
		} else {
			r.tally[Markers].skipped.Add(1)
		}
		return nil
	})
}

// copyUsers copies each user and then its sessions, API keys and OAuth
// links, users in parallel.
func (r *run) copyUsers(ctx context.Context) error {
	return fanOut(ctx, r.opts.Workers, func(ctx context.Context, send func(*keystore.User) error) error {
		return eachUser(ctx, r.src, send)
	}, r.copyUser)
}

func (r *run) copyUser(ctx context.Context, u *keystore.User) error {
	err := put(ctx, r, Users, u.ID, u, r.dst.CreateUser,
		func(ctx context.Context) (*keystore.User, error) { return r.dst.GetUser(ctx, u.ID) },
		record.Bolt.EncodeUser)
	if err != nil {
		return err
	}
	sessions, err := r.src.ListUserSessions(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("migrate: source: sessions of user %s: %w", u.ID, err)
	}
	for _, s := range sessions {
		if !s.ExpiresAt.IsZero() && !s.ExpiresAt.After(r.now) {
			r.tally[Sessions].expired.Add(1)
			continue
		}
		err := put(ctx, r, Sessions, "of user "+u.ID, s, r.dst.CreateSession,
			func(ctx context.Context) (*keystore.Session, error) { return r.dst.GetSession(ctx, s.Digest) },
			record.Bolt.EncodeSession)
		if err != nil {
			return err
		}
	}
	keys, err := r.src.ListUserAPIKeys(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("migrate: source: api keys of user %s: %w", u.ID, err)
	}
	for _, k := range keys {
		err := put(ctx, r, APIKeys, k.KeyID, k, r.dst.CreateAPIKey,
			func(ctx context.Context) (*keystore.APIKey, error) { return r.dst.GetAPIKey(ctx, k.KeyID) },
			record.Bolt.EncodeAPIKey)
		if err != nil {
			return err
		}
	}
	links, err := r.src.ListUserOAuthLinks(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("migrate: source: oauth links of user %s: %w", u.ID, err)
	}
	for _, l := range links {
		err := put(ctx, r, OAuthLinks, l.Provider+" link of user "+u.ID, l, r.dst.CreateOAuthLink,
			func(ctx context.Context) (*keystore.OAuthLink, error) {
				return r.dst.GetOAuthLink(ctx, l.Provider, l.Subject)
			},
			record.Bolt.EncodeOAuthLink)
		if err != nil {
			return err
		}
	}
	passkeys, err := r.src.ListUserPasskeys(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("migrate: source: passkeys of user %s: %w", u.ID, err)
	}
	for _, p := range passkeys {
		err := put(ctx, r, Passkeys, "passkey of user "+u.ID, p, r.dst.CreatePasskey,
			func(ctx context.Context) (*keystore.Passkey, error) { return r.dst.GetPasskey(ctx, p.CredentialID) },
			record.Bolt.EncodePasskey)
		if err != nil {
			return err
		}
	}
	return nil
}

// put creates rec in the destination. A duplicate that encodes the same
// is skipped; a different one, a unique key held by another record, or a
// missing owner is a conflict. id names the record in reports.
func put[T any](ctx context.Context, r *run, k Kind, id string, rec *T,
	create func(context.Context, *T) error, get func(context.Context) (*T, error), encode func(*T) []byte) error {
	err := create(ctx, rec)
	switch {
	case err == nil:
		r.tally[k].copied.Add(1)
		return nil
	case errors.Is(err, keystore.ErrDuplicate):
		have, gerr := get(ctx)
		switch {
		case errors.Is(gerr, keystore.ErrNotFound):
			r.conflict(k, id, "a unique key of it (email, provider+subject, credential id) belongs to another record in the destination")
		case gerr != nil:
			return fmt.Errorf("migrate: destination: %s %s: %w", k, id, gerr)
		case bytes.Equal(encode(have), encode(rec)):
			r.tally[k].skipped.Add(1)
		default:
			r.conflict(k, id, "differs in the destination")
		}
		return nil
	case errors.Is(err, keystore.ErrNotFound):
		r.conflict(k, id, "its user is not in the destination (see the user's conflict)")
		return nil
	}
	return fmt.Errorf("migrate: destination: %s %s: %w", k, id, err)
}

// eachUser sends every user of st, a page at a time.
func eachUser(ctx context.Context, st keystore.Store, send func(*keystore.User) error) error {
	for offset := 0; ; {
		page, err := st.ListUsers(ctx, offset, userPage)
		if err != nil {
			return fmt.Errorf("migrate: list users: %w", err)
		}
		for _, u := range page {
			if err := send(u); err != nil {
				return err
			}
		}
		if len(page) < userPage {
			return nil
		}
		offset += len(page)
	}
}

// fanOut runs work on n workers for every item produce sends; the first
// error stops produce and the workers and is returned.
func fanOut[T any](ctx context.Context, n int, produce func(ctx context.Context, send func(T) error) error, work func(context.Context, T) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	ch := make(chan T, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range ch {
				if ctx.Err() != nil {
					continue
				}
				if err := work(ctx, it); err != nil {
					cancel(err)
				}
			}
		}()
	}
	perr := produce(ctx, func(it T) error {
		select {
		case ch <- it:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	})
	close(ch)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return perr
}

// progress prints a line every ProgressEvery until the returned func is
// called, which prints a last one.
func (r *run) progress() (stop func()) {
	w := r.opts.Progress
	if w == nil {
		return func() {}
	}
	every := r.opts.ProgressEvery
	if every <= 0 {
		every = defaultEvery
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				r.writeProgress(w)
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		r.writeProgress(w)
	}
}

func (r *run) writeProgress(w io.Writer) {
	var b bytes.Buffer
	b.WriteString("store migrate:")
	var copied, skipped, conflicts int64
	for k := Kind(0); k < nKinds; k++ {
		t := &r.tally[k]
		c, s, x, e := t.copied.Load(), t.skipped.Load(), t.conflicts.Load(), t.expired.Load()
		copied, skipped, conflicts = copied+c, skipped+s, conflicts+x
		sep := ","
		if k == 0 {
			sep = ""
		}
		fmt.Fprintf(&b, "%s %s %d", sep, k, c+s+x+e)
		if k == Users {
			fmt.Fprintf(&b, "/%d", r.users)
		}
	}
	fmt.Fprintf(&b, " (copied %d, already there %d, conflicts %d)\n", copied, skipped, conflicts)
	_, _ = w.Write(b.Bytes())
}

// count counts each kind of side as of cutoff: sessions, denylist
// entries and markers that are still live then, every user, API key and
// OAuth link. The denylist and markers are -1 when both sides share them,
// markers also when the side keeps none.
func (r *run) count(ctx context.Context, side Side, ex keystore.Exporter, cutoff time.Time) ([nKinds]int, error) {
	var n [nKinds]atomic.Int64
	st := side.Store
	live := func(_ string, until time.Time) error {
		if until.After(cutoff) {
			n[Denylist].Add(1)
		}
		return nil
	}
	liveMarker := func(_ string, until time.Time) error {
		if until.After(cutoff) {
			n[Markers].Add(1)
		}
		return nil
	}
	mx, markers := side.Markers.(keystore.MarkerExporter)
	if !r.sharedDeny {
		if err := ex.EachDenied(ctx, live); err != nil {
			return [nKinds]int{}, err
		}
		if markers {
			if err := mx.EachMarker(ctx, liveMarker); err != nil {
				return [nKinds]int{}, err
			}
		}
	}
	err := fanOut(ctx, r.opts.Workers, func(ctx context.Context, send func(*keystore.User) error) error {
		return eachUser(ctx, st, send)
	}, func(ctx context.Context, u *keystore.User) error {
		n[Users].Add(1)
		sessions, err := st.ListUserSessions(ctx, u.ID)
		if err != nil {
			return err
		}
		for _, s := range sessions {
			if s.ExpiresAt.IsZero() || s.ExpiresAt.After(cutoff) {
				n[Sessions].Add(1)
			}
		}
		keys, err := st.ListUserAPIKeys(ctx, u.ID)
		if err != nil {
			return err
		}
		n[APIKeys].Add(int64(len(keys)))
		links, err := st.ListUserOAuthLinks(ctx, u.ID)
		if err != nil {
			return err
		}
		n[OAuthLinks].Add(int64(len(links)))
		passkeys, err := st.ListUserPasskeys(ctx, u.ID)
		if err != nil {
			return err
		}
		n[Passkeys].Add(int64(len(passkeys)))
		return nil
	})
	if err != nil {
		return [nKinds]int{}, err
	}
	var out [nKinds]int
	for k := range out {
		out[k] = int(n[k].Load())
	}
	if r.sharedDeny {
		out[Denylist] = -1
	}
	if r.sharedDeny || !markers {
		out[Markers] = -1
	}
	return out, nil
}
