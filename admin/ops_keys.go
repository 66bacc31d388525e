package admin

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/gatehouse/gatehouse/keystore"
)

// Rings lists the keyrings in a fixed order.
var Rings = []string{keystore.RingTOTPSecrets, keystore.RingOAuthTokens, keystore.RingAPIKeySigning}

// RingStatus counts stored envelopes per key id for one keyring.
type RingStatus struct {
	Ring        string         `json:"ring"`
	ActiveKeyID string         `json:"active_key_id"`
	Rows        map[string]int `json:"rows"`      // key id → rows sealed under it
	Unknown     int            `json:"unknown"`   // rows whose key id is not configured or unreadable
	Remaining   int            `json:"remaining"` // rows not under the active key
}

// KeysStatus reports, per keyring, how many rows each key id seals.
func (o *Ops) KeysStatus(ctx context.Context) ([]RingStatus, error) {
	out := make([]RingStatus, 0, len(Rings))
	for _, name := range Rings {
		ring := o.ring(name)
		st := RingStatus{Ring: name, Rows: map[string]int{}}
		if ring != nil {
			st.ActiveKeyID = ring.ActiveKeyID()
			for _, id := range ring.KeyIDs() {
				st.Rows[id] = 0
			}
		}
		err := o.Store.EachSealed(ctx, name, func(_ keystore.SealedRef, env string) error {
			id, err := keyIDOf(ring, env)
			if err != nil {
				st.Unknown++
				st.Remaining++
				return nil
			}
			st.Rows[id]++
			if id != st.ActiveKeyID {
				st.Remaining++
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, st)
	}
	return out, nil
}

func keyIDOf(ring interface{ KeyIDOf(string) (string, error) }, env string) (string, error) {
	if ring == nil {
		return "", errors.New("admin: keyring not configured")
	}
	return ring.KeyIDOf(env)
}

// ReencryptRequest is `gatehouse keys reencrypt`.
type ReencryptRequest struct {
	Ring string `json:"ring"` // empty: every ring
}

// ReencryptResult summarises one keyring's re-encryption.
type ReencryptResult struct {
	Ring      string `json:"ring"`
	Rewritten int    `json:"rewritten"`
	Failed    int    `json:"failed"` // rows that could not be opened (unknown key id, damaged)
	Remaining int    `json:"remaining"`
}

// Reencrypt rewrites every row of the ring(s) under the active key, one
// committed row at a time, so an interrupted run loses nothing and a new
// run resumes where it stopped. progress (may be nil) is called after
// every row with the counts so far and the total.
func (o *Ops) Reencrypt(ctx context.Context, r ReencryptRequest, progress func(ring string, done, total int)) ([]ReencryptResult, error) {
	rings := Rings
	if r.Ring != "" {
		if o.ring(r.Ring) == nil {
			return nil, opErr("UNKNOWN_KEYRING", "unknown or unconfigured keyring %q", r.Ring)
		}
		rings = []string{r.Ring}
	}
	var out []ReencryptResult
	for _, name := range rings {
		ring := o.ring(name)
		if ring == nil {
			continue
		}
		type row struct {
			ref keystore.SealedRef
			env string
		}
		var todo []row
		err := o.Store.EachSealed(ctx, name, func(ref keystore.SealedRef, env string) error {
			if id, err := ring.KeyIDOf(env); err != nil || id != ring.ActiveKeyID() {
				todo = append(todo, row{ref, env})
			}
			return nil
		})
		if err != nil {
			return out, fmt.Errorf("%s: %w", name, err)
		}
		sort.SliceStable(todo, func(i, j int) bool { return todo[i].ref.Record < todo[j].ref.Record })
		res := ReencryptResult{Ring: name}
		for i, t := range todo {
			if err := ctx.Err(); err != nil {
				res.Remaining = len(todo) - i
				out = append(out, res)
				return out, err
			}
			fresh, changed, err := ring.Reseal(t.env)
			if err != nil {
				res.Failed++
			} else if changed {
				err := o.Store.SwapSealed(ctx, t.ref, t.env, fresh)
				switch {
				case err == nil:
					res.Rewritten++
				case errors.Is(err, keystore.ErrConflict), errors.Is(err, keystore.ErrNotFound):
					// changed or removed underneath us: a new write is under the active key already
				default:
					return append(out, res), fmt.Errorf("%s: %w", name, err)
				}
			}
			if progress != nil {
				progress(name, i+1, len(todo))
			}
		}
		res.Remaining = res.Failed
		out = append(out, res)
	}
	return out, nil
}
