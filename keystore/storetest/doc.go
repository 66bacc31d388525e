// Package storetest is the contract suite that every keystore.Store
// back-end must pass. A back-end's own test calls Run with a constructor
// for fresh, empty stores and a way to move the store's clock forward:
//
//	func TestContract(t *testing.T) {
//		clock := newFakeClock()
//		storetest.Run(t, func(t *testing.T) keystore.Store {
//			s, err := bolt.Open(filepath.Join(t.TempDir(), "db"), bolt.Options{Clock: clock.Now})
//			...
//			t.Cleanup(func() { s.Close() })
//			return s
//		}, clock.Advance)
//
// The suite talks to the store only through the keystore interfaces, so
// the same tests hold bbolt and Redis to the same behaviour: unique keys
// (case-insensitive email), not-found and duplicate errors that match the
// keystore sentinels under errors.Is, cascades on DeleteUser, per-user
// indexes, compare-and-swap on sealed fields, denylist expiry, atomic
// uniqueness under concurrent writers, and records returned as copies.
//
// What a back-end must never do, and the suite checks: let two users hold
// the same folded email, keep sessions, API keys or OAuth links of a
// deleted user, let an expired denylist entry deny or a live one pass, or
// hand out a record that changes when the caller (or a later write)
// modifies another copy. Records returned by a store belong to the caller
// for as long as it keeps them.
package storetest
