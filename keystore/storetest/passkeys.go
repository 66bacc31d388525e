package storetest

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
)

func newPasskey(t testing.TB, userID string, created time.Time) *keystore.Passkey {
	id := make([]byte, 32)
	if _, err := rand.Read(id); err != nil {
		t.Fatal(err)
	}
	return &keystore.Passkey{
		CredentialID:    id,
		UserID:          userID,
		UserHandle:      []byte(userID),
		PublicKey:       bytes.Repeat([]byte{0xa5}, 77),
		AttestationType: "none",
		AAGUID:          make([]byte, 16),
		SignCount:       7,
		Transports:      []string{"internal", "hybrid"},
		BackupEligible:  true,
		BackupState:     false,
		UserVerified:    true,
		Name:            "laptop",
		CreatedAt:       created,
	}
}

func mustCreatePasskey(t testing.TB, s keystore.Store, userID string, created time.Time) *keystore.Passkey {
	t.Helper()
	p := newPasskey(t, userID, created)
	if err := s.CreatePasskey(ctx(), p); err != nil {
		t.Fatalf("CreatePasskey: %v", err)
	}
	return p
}

func diffPasskey(got, want *keystore.Passkey) string {
	switch {
	case got == nil:
		return "nil passkey"
	case !bytes.Equal(got.CredentialID, want.CredentialID), got.UserID != want.UserID, !bytes.Equal(got.UserHandle, want.UserHandle):
		return "an id differs"
	case !bytes.Equal(got.PublicKey, want.PublicKey):
		return "PublicKey differs"
	case got.AttestationType != want.AttestationType, !bytes.Equal(got.AAGUID, want.AAGUID):
		return "attestation fields differ"
	case got.SignCount != want.SignCount:
		return fmt.Sprintf("SignCount %d, want %d", got.SignCount, want.SignCount)
	case !sameStrings(got.Transports, want.Transports):
		return fmt.Sprintf("Transports %q, want %q", got.Transports, want.Transports)
	case got.BackupEligible != want.BackupEligible, got.BackupState != want.BackupState, got.UserVerified != want.UserVerified:
		return "a flag differs"
	case got.Name != want.Name:
		return "Name differs"
	case !got.CreatedAt.Equal(want.CreatedAt), !got.LastUsedAt.Equal(want.LastUsedAt):
		return "a time differs"
	}
	return ""
}

func runPasskeys(t *testing.T, newStore NewStore) {
	t.Run("CreateThenGet", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "p1@example.test")
		p := mustCreatePasskey(t, s, u.ID, base)
		got, err := s.GetPasskey(ctx(), p.CredentialID)
		noErr(t, "GetPasskey", err)
		if d := diffPasskey(got, p); d != "" {
			t.Errorf("GetPasskey: %s", d)
		}
		// The returned record is a copy: changing it changes nothing stored.
		got.CredentialID[0] ^= 1
		got.PublicKey[0] ^= 1
		again, err := s.GetPasskey(ctx(), p.CredentialID)
		noErr(t, "GetPasskey again", err)
		if d := diffPasskey(again, p); d != "" {
			t.Errorf("GetPasskey after changing a copy: %s", d)
		}
	})

	t.Run("CredentialIDIsUniqueAcrossUsers", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "p2@example.test")
		other := mustCreateUser(t, s, "p3@example.test")
		p := mustCreatePasskey(t, s, u.ID, base)
		dup := newPasskey(t, other.ID, base)
		dup.CredentialID = p.CredentialID
		wantErr(t, "CreatePasskey same id, other user", s.CreatePasskey(ctx(), dup), keystore.ErrDuplicate)
		dup.UserID = u.ID
		wantErr(t, "CreatePasskey same id, same user", s.CreatePasskey(ctx(), dup), keystore.ErrDuplicate)
		got, err := s.GetPasskey(ctx(), p.CredentialID)
		noErr(t, "GetPasskey", err)
		if d := diffPasskey(got, p); d != "" {
			t.Errorf("the first passkey changed: %s", d)
		}
		if list, err := s.ListUserPasskeys(ctx(), other.ID); err != nil || len(list) != 0 {
			t.Errorf("refused duplicate listed for the other user: %d, %v", len(list), err)
		}
	})

	t.Run("MissingUserAndMissingRecord", func(t *testing.T) {
		s := newStore(t)
		wantErr(t, "CreatePasskey without user", s.CreatePasskey(ctx(), newPasskey(t, randomHex(t, 16), base)), keystore.ErrNotFound)
		id := randomDigest(t)
		_, err := s.GetPasskey(ctx(), id)
		wantErr(t, "GetPasskey missing", err, keystore.ErrNotFound)
		_, err = s.UsePasskey(ctx(), id, keystore.PasskeyUse{SignCount: 9, At: base})
		wantErr(t, "UsePasskey missing", err, keystore.ErrNotFound)
		wantErr(t, "DeletePasskey missing", s.DeletePasskey(ctx(), id), keystore.ErrNotFound)
		for _, bad := range [][]byte{nil, {}, bytes.Repeat([]byte{1}, keystore.MaxCredentialIDLen+1)} {
			_, err := s.GetPasskey(ctx(), bad)
			wantErr(t, fmt.Sprintf("GetPasskey len %d", len(bad)), err, keystore.ErrNotFound)
		}
	})

	t.Run("FieldsBeyondTheBoundsAreRefused", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "p4@example.test")
		for name, change := range map[string]func(p *keystore.Passkey){
			"long id":         func(p *keystore.Passkey) { p.CredentialID = bytes.Repeat([]byte{2}, keystore.MaxCredentialIDLen+1) },
			"empty id":        func(p *keystore.Passkey) { p.CredentialID = nil },
			"no public key":   func(p *keystore.Passkey) { p.PublicKey = nil },
			"huge public key": func(p *keystore.Passkey) { p.PublicKey = make([]byte, keystore.MaxPasskeyPublicKeyLen+1) },
			"long name":       func(p *keystore.Passkey) { p.Name = string(make([]byte, keystore.MaxPasskeyNameLen+1)) },
			"many transports": func(p *keystore.Passkey) { p.Transports = make([]string, keystore.MaxPasskeyTransports+1) },
		} {
			p := newPasskey(t, u.ID, base)
			change(p)
			if err := s.CreatePasskey(ctx(), p); err == nil {
				t.Errorf("%s: CreatePasskey accepted it", name)
			}
		}
		if list, err := s.ListUserPasskeys(ctx(), u.ID); err != nil || len(list) != 0 {
			t.Errorf("refused passkeys listed: %d, %v", len(list), err)
		}
	})

	t.Run("MaxLengthCredentialID", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "p5@example.test")
		p := newPasskey(t, u.ID, base)
		p.CredentialID = bytes.Repeat([]byte{0xff}, keystore.MaxCredentialIDLen)
		noErr(t, "CreatePasskey", s.CreatePasskey(ctx(), p))
		got, err := s.GetPasskey(ctx(), p.CredentialID)
		noErr(t, "GetPasskey", err)
		if d := diffPasskey(got, p); d != "" {
			t.Errorf("GetPasskey: %s", d)
		}
	})

	t.Run("ListIsPerUserAndOrdered", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "p6@example.test")
		other := mustCreateUser(t, s, "p7@example.test")
		late := mustCreatePasskey(t, s, u.ID, base.Add(time.Hour))
		early := mustCreatePasskey(t, s, u.ID, base)
		mustCreatePasskey(t, s, other.ID, base)
		list, err := s.ListUserPasskeys(ctx(), u.ID)
		noErr(t, "ListUserPasskeys", err)
		if len(list) != 2 || !bytes.Equal(list[0].CredentialID, early.CredentialID) || !bytes.Equal(list[1].CredentialID, late.CredentialID) {
			t.Fatalf("ListUserPasskeys: %d entries, not early then late", len(list))
		}
		if list, err := s.ListUserPasskeys(ctx(), randomHex(t, 16)); err != nil || len(list) != 0 {
			t.Errorf("unknown user: %d, %v", len(list), err)
		}
	})

	t.Run("UseChecksTheCounterInsideTheStore", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "p8@example.test")
		p := mustCreatePasskey(t, s, u.ID, base) // SignCount 7
		at := base.Add(time.Minute)
		got, err := s.UsePasskey(ctx(), p.CredentialID, keystore.PasskeyUse{SignCount: 8, BackupState: true, At: at})
		noErr(t, "UsePasskey 8", err)
		want := *p
		want.SignCount, want.BackupState, want.LastUsedAt = 8, true, at
		if d := diffPasskey(got, &want); d != "" {
			t.Errorf("UsePasskey returned: %s", d)
		}
		for _, n := range []uint32{8, 7, 0} {
			_, err := s.UsePasskey(ctx(), p.CredentialID, keystore.PasskeyUse{SignCount: n, At: at.Add(time.Hour)})
			wantErr(t, fmt.Sprintf("UsePasskey %d after 8", n), err, keystore.ErrSignCount)
		}
		stored, err := s.GetPasskey(ctx(), p.CredentialID)
		noErr(t, "GetPasskey", err)
		if d := diffPasskey(stored, &want); d != "" {
			t.Errorf("a refused use changed the record: %s", d)
		}
	})

	t.Run("ZeroCountersStayZero", func(t *testing.T) {
		// An authenticator without a counter (synced passkeys) always
		// sends 0; once a counter was seen, 0 is a regression.
		s := newStore(t)
		u := mustCreateUser(t, s, "p9@example.test")
		p := newPasskey(t, u.ID, base)
		p.SignCount = 0
		noErr(t, "CreatePasskey", s.CreatePasskey(ctx(), p))
		for i := 0; i < 2; i++ {
			_, err := s.UsePasskey(ctx(), p.CredentialID, keystore.PasskeyUse{SignCount: 0, At: base})
			noErr(t, "UsePasskey 0 after 0", err)
		}
		_, err := s.UsePasskey(ctx(), p.CredentialID, keystore.PasskeyUse{SignCount: 1, At: base})
		noErr(t, "UsePasskey 1 after 0", err)
		_, err = s.UsePasskey(ctx(), p.CredentialID, keystore.PasskeyUse{SignCount: 0, At: base})
		wantErr(t, "UsePasskey 0 after 1", err, keystore.ErrSignCount)
	})

	t.Run("ConcurrentUsesOfOneCounterPassOnce", func(t *testing.T) {
		// A cloned authenticator racing the original with the same counter:
		// exactly one use passes.
		s := newStore(t)
		u := mustCreateUser(t, s, "p10@example.test")
		p := mustCreatePasskey(t, s, u.ID, base)
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.UsePasskey(ctx(), p.CredentialID, keystore.PasskeyUse{SignCount: 100, At: base})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, keystore.ErrSignCount):
				t.Errorf("UsePasskey: %v", err)
			}
		}
		if ok != 1 {
			t.Errorf("%d uses of counter 100 passed, want 1", ok)
		}
	})

	t.Run("DeleteRemovesRecordAndIndex", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "p11@example.test")
		p := mustCreatePasskey(t, s, u.ID, base)
		keep := mustCreatePasskey(t, s, u.ID, base.Add(time.Second))
		noErr(t, "DeletePasskey", s.DeletePasskey(ctx(), p.CredentialID))
		_, err := s.GetPasskey(ctx(), p.CredentialID)
		wantErr(t, "GetPasskey after delete", err, keystore.ErrNotFound)
		list, err := s.ListUserPasskeys(ctx(), u.ID)
		noErr(t, "ListUserPasskeys", err)
		if len(list) != 1 || !bytes.Equal(list[0].CredentialID, keep.CredentialID) {
			t.Errorf("after delete: %d listed", len(list))
		}
		// The id is free again.
		again := newPasskey(t, u.ID, base)
		again.CredentialID = p.CredentialID
		noErr(t, "CreatePasskey reused id", s.CreatePasskey(ctx(), again))
	})

	t.Run("DeleteUserCascades", func(t *testing.T) {
		s := newStore(t)
		victim := mustCreateUser(t, s, "p12@example.test")
		bystander := mustCreateUser(t, s, "p13@example.test")
		gone := []*keystore.Passkey{mustCreatePasskey(t, s, victim.ID, base), mustCreatePasskey(t, s, victim.ID, base)}
		kept := mustCreatePasskey(t, s, bystander.ID, base)
		noErr(t, "DeleteUser", s.DeleteUser(ctx(), victim.ID))
		for _, p := range gone {
			_, err := s.GetPasskey(ctx(), p.CredentialID)
			wantErr(t, "victim passkey", err, keystore.ErrNotFound)
		}
		if list, err := s.ListUserPasskeys(ctx(), victim.ID); err != nil || len(list) != 0 {
			t.Errorf("victim passkeys listed after delete: %d, %v", len(list), err)
		}
		got, err := s.GetPasskey(ctx(), kept.CredentialID)
		noErr(t, "bystander passkey", err)
		if d := diffPasskey(got, kept); d != "" {
			t.Errorf("bystander passkey: %s", d)
		}
		// A user made again with the same id does not inherit them.
		victim2 := newUser(t, "p12@example.test")
		victim2.ID = victim.ID
		noErr(t, "CreateUser again", s.CreateUser(ctx(), victim2))
		if list, err := s.ListUserPasskeys(ctx(), victim.ID); err != nil || len(list) != 0 {
			t.Errorf("recreated user inherited %d passkeys (%v)", len(list), err)
		}
	})

	t.Run("ClosedStoreFailsClosed", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "p14@example.test")
		p := mustCreatePasskey(t, s, u.ID, base)
		noErr(t, "Close", s.Close())
		_, err := s.GetPasskey(ctx(), p.CredentialID)
		wantErr(t, "GetPasskey after Close", err, keystore.ErrClosed)
		_, err = s.ListUserPasskeys(ctx(), u.ID)
		wantErr(t, "ListUserPasskeys after Close", err, keystore.ErrClosed)
		_, err = s.UsePasskey(ctx(), p.CredentialID, keystore.PasskeyUse{SignCount: 99})
		wantErr(t, "UsePasskey after Close", err, keystore.ErrClosed)
		wantErr(t, "CreatePasskey after Close", s.CreatePasskey(ctx(), newPasskey(t, u.ID, base)), keystore.ErrClosed)
		wantErr(t, "DeletePasskey after Close", s.DeletePasskey(ctx(), p.CredentialID), keystore.ErrClosed)
	})
}
