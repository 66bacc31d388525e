package bolt

import (
	"encoding/binary"
	"fmt"

	bbolt "go.etcd.io/bbolt"
)

// Bucket names. Keys are described next to each bucket; index buckets
// hold nil values.
var (
	bucketMeta          = []byte("meta")             // "schema" → uint64 big-endian
	bucketUsers         = []byte("users")            // user id → user record
	bucketUsersByEmail  = []byte("users_by_email")   // FoldEmail(email) → user id
	bucketSessions      = []byte("sessions")         // digest → session record
	bucketSessionsByUsr = []byte("sessions_by_user") // userPrefix(id) + digest → nil
	bucketAPIKeys       = []byte("api_keys")         // key id → API key record
	bucketAPIKeysByUsr  = []byte("api_keys_by_user") // userPrefix(id) + key id → nil
	bucketOAuth         = []byte("oauth_links")      // provider \x00 subject → link record
	bucketOAuthByUsr    = []byte("oauth_by_user")    // userPrefix(id) + provider \x00 subject → nil
	bucketDenylist      = []byte("denylist")         // token id → expiry record
	bucketPasskeys      = []byte("passkeys")         // credential id → passkey record
	bucketPasskeysByUsr = []byte("passkeys_by_user") // userPrefix(id) + credential id → nil

	keySchema = []byte("schema")
)

// schemaVersion is the version this build writes and understands.
const schemaVersion = 3

// migration upgrades the file from one schema version to the next. All
// pending migrations run in the single transaction that Open starts, so
// a crash leaves the file at the old version, never half-way.
type migration struct {
	from, to int
	fn       func(*bbolt.Tx) error
}

// migrations is ordered by from; each entry's to is the next one's from,
// and the last to equals schemaVersion. A file without a version (a new
// file) is at version 0.
var migrations = []migration{
	{from: 0, to: 1, fn: createV1},
	{from: 1, to: 2, fn: usersV2},
	{from: 2, to: 3, fn: passkeysV3},
}

func createV1(tx *bbolt.Tx) error {
	for _, name := range [][]byte{
		bucketUsers, bucketUsersByEmail,
		bucketSessions, bucketSessionsByUsr,
		bucketAPIKeys, bucketAPIKeysByUsr,
		bucketOAuth, bucketOAuthByUsr,
		bucketDenylist,
	} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("keystore/bolt: create bucket %s: %w", name, err)
		}
	}
	return nil
}

// usersV2 rewrites every user record in userFormat2 (EmailVerifiedAt
// added, zero for every existing record: a verified account keeps its
// credentials, see keystore.User). Version 2 also keeps an older build,
// which cannot read userFormat2, from opening the file.
func usersV2(tx *bbolt.Tx) error {
	b := tx.Bucket(bucketUsers)
	type rec struct{ k, v []byte }
	var out []rec
	if err := b.ForEach(func(k, v []byte) error {
		u, err := decodeUser(v)
		if err != nil {
			return fmt.Errorf("user %x: %w", k, err)
		}
		out = append(out, rec{append([]byte(nil), k...), encodeUser(u)})
		return nil
	}); err != nil {
		return err
	}
	for _, r := range out {
		if err := b.Put(r.k, r.v); err != nil {
			return err
		}
	}
	return nil
}

// passkeysV3 adds the passkey buckets. Version 3 keeps an older build,
// which would not cascade a user deletion to passkeys, from opening the
// file.
func passkeysV3(tx *bbolt.Tx) error {
	for _, name := range [][]byte{bucketPasskeys, bucketPasskeysByUsr} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("keystore/bolt: create bucket %s: %w", name, err)
		}
	}
	return nil
}

// readVersion returns the schema version stored in tx, 0 when none.
func readVersion(tx *bbolt.Tx) (int, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return 0, nil
	}
	v := meta.Get(keySchema)
	if v == nil {
		return 0, nil
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("keystore/bolt: schema version: %w", errCorrupt)
	}
	n := binary.BigEndian.Uint64(v)
	if n > 1<<31 {
		return 0, fmt.Errorf("keystore/bolt: schema version: %w", errCorrupt)
	}
	return int(n), nil
}

func writeVersion(tx *bbolt.Tx, v int) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return fmt.Errorf("keystore/bolt: create bucket meta: %w", err)
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(v))
	return meta.Put(keySchema, b[:])
}

// migrate brings tx from its stored version to target using list. It
// refuses files written by a newer build and gaps in the list.
func migrate(tx *bbolt.Tx, list []migration, target int) error {
	cur, err := readVersion(tx)
	if err != nil {
		return err
	}
	if cur == target {
		return nil // up to date: nothing to write
	}
	if cur > target {
		return fmt.Errorf("keystore/bolt: file has schema version %d, newer than the %d this build understands; upgrade gatehouse or restore a backup", cur, target)
	}
	for _, m := range list {
		if cur == target {
			break
		}
		if m.from != cur {
			continue
		}
		if m.to <= m.from {
			return fmt.Errorf("keystore/bolt: migration %d→%d does not move forward", m.from, m.to)
		}
		if err := m.fn(tx); err != nil {
			return fmt.Errorf("keystore/bolt: migration %d→%d: %w", m.from, m.to, err)
		}
		cur = m.to
	}
	if cur != target {
		return fmt.Errorf("keystore/bolt: no migration path from schema version %d to %d", cur, target)
	}
	return writeVersion(tx, cur)
}
