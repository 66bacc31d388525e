// Package view holds the JSON form of a user, shared by the portal core
// (/api/users/me) and loginui/adminui (the admin API and pages). It is
// pure: it imports only keystore.
package view

import (
	"time"

	"github.com/gatehouse/gatehouse/keystore"
)

// User is the JSON form of a user. It never carries a password hash, a
// TOTP secret or any other credential.
type User struct {
	ID          string    `json:"id"`
	Email       string    `json:"email"`
	DisplayName string    `json:"display_name"`
	Roles       []string  `json:"roles"`
	Superuser   bool      `json:"is_superuser"`
	Active      bool      `json:"is_active"`
	Verified    bool      `json:"is_verified"`
	TOTPEnabled bool      `json:"totp_enabled"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Of is u's view; nil roles become an empty list.
func Of(u *keystore.User) User {
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	return User{
		ID: u.ID, Email: u.Email, DisplayName: u.DisplayName, Roles: roles,
		Superuser: u.Superuser, Active: u.Active, Verified: u.Verified, TOTPEnabled: u.TOTPEnabled,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
	}
}
