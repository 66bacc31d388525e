package admin

import (
	"bytes"
	"context"
	"encoding/json"
)

// Command names, shared by the CLI client and the admin listener.
const (
	OpUserAdd         = "user.add"
	OpUserList        = "user.list"
	OpUserSetPassword = "user.set-password"
	OpUserSetRoles    = "user.set-roles"
	OpUserSetActive   = "user.set-active"
	OpUserDelete      = "user.delete"
	OpAPIKeyCreate    = "apikey.create"
	OpAPIKeyList      = "apikey.list"
	OpAPIKeyRevoke    = "apikey.revoke"
	OpPasskeyList     = "passkey.list"
	OpPasskeyRemove   = "passkey.remove"
	OpTokenIssue      = "token.issue"
	OpKeysStatus      = "keys.status"
	OpKeysReencrypt   = "keys.reencrypt"
	OpBackup          = "backup"
)

// BackupRequest is `gatehouse backup FILE`.
type BackupRequest struct {
	Path string `json:"path"`
}

// BackupResult reports where the snapshot went.
type BackupResult struct {
	Path string `json:"path"`
}

func decode[T any](body []byte) (T, error) {
	var v T
	if len(bytes.TrimSpace(body)) == 0 {
		return v, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return v, &Error{Code: "REQUEST_BODY_INVALID", Message: "malformed command request"}
	}
	return v, nil
}

func run[Req, Res any](ctx context.Context, body []byte, f func(context.Context, Req) (Res, error)) (any, error) {
	req, err := decode[Req](body)
	if err != nil {
		return nil, err
	}
	return f(ctx, req)
}

// Dispatch runs the named operation with a JSON request body.
func Dispatch(ctx context.Context, o *Ops, op string, body []byte) (any, error) {
	switch op {
	case OpUserAdd:
		return run(ctx, body, o.UserAdd)
	case OpUserList:
		return o.UserList(ctx)
	case OpUserSetPassword:
		return run(ctx, body, o.UserSetPassword)
	case OpUserSetRoles:
		return run(ctx, body, o.UserSetRoles)
	case OpUserSetActive:
		return run(ctx, body, o.UserSetActive)
	case OpUserDelete:
		return run(ctx, body, o.UserDelete)
	case OpAPIKeyCreate:
		return run(ctx, body, o.APIKeyCreate)
	case OpAPIKeyList:
		return run(ctx, body, o.APIKeyList)
	case OpAPIKeyRevoke:
		return run(ctx, body, o.APIKeyRevoke)
	case OpPasskeyList:
		return run(ctx, body, o.PasskeyList)
	case OpPasskeyRemove:
		return run(ctx, body, o.PasskeyRemove)
	case OpTokenIssue:
		return run(ctx, body, o.TokenIssue)
	case OpKeysStatus:
		return o.KeysStatus(ctx)
	case OpKeysReencrypt:
		return run(ctx, body, func(ctx context.Context, r ReencryptRequest) ([]ReencryptResult, error) {
			return o.Reencrypt(ctx, r, nil)
		})
	case OpBackup:
		return run(ctx, body, func(_ context.Context, r BackupRequest) (BackupResult, error) {
			if o.Backup == nil {
				return BackupResult{}, opErr("CONFIGURATION_INVALID", "this store has no online backup")
			}
			if r.Path == "" {
				return BackupResult{}, opErr("REQUEST_BODY_INVALID", "backup needs a file path")
			}
			return BackupResult{Path: r.Path}, o.Backup(r.Path)
		})
	}
	return nil, &Error{Code: "UNKNOWN_COMMAND", Message: "unknown admin command"}
}
