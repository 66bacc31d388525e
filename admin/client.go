package admin

import (
	"github.com/gatehouse/gatehouse/internal/privfile"

	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// EndpointFile is written by `serve` into the data directory (mode 0600):
// where the admin listener is and the token that authorises commands.
const EndpointFile = "admin-endpoint.json"

// Endpoint locates a running server's admin listener.
type Endpoint struct {
	Addr  string `json:"addr"`
	Token string `json:"token"`
	PID   int    `json:"pid"`
}

// WriteEndpoint stores ep in dataDir atomically with mode 0600.
func WriteEndpoint(dataDir string, ep Endpoint) error {
	b, err := json.Marshal(ep)
	if err != nil {
		return err
	}
	return privfile.Write(filepath.Join(dataDir, EndpointFile), b, true)
}

// ReadEndpoint loads the endpoint file of dataDir.
func ReadEndpoint(dataDir string) (Endpoint, error) {
	var ep Endpoint
	b, err := os.ReadFile(filepath.Join(dataDir, EndpointFile))
	if err != nil {
		return ep, err
	}
	if err := json.Unmarshal(b, &ep); err != nil || ep.Addr == "" || ep.Token == "" {
		return ep, errors.New("admin: endpoint file is damaged")
	}
	return ep, nil
}

// RemoveEndpoint deletes the endpoint file (on shutdown).
func RemoveEndpoint(dataDir string) { _ = os.Remove(filepath.Join(dataDir, EndpointFile)) }

// Client sends commands to a running server.
type Client struct {
	Endpoint Endpoint
	HTTP     *http.Client
}

// Call runs op remotely and decodes the answer into out.
func (c *Client) Call(ctx context.Context, op string, req, out any) error {
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	host := c.Endpoint.Addr
	if strings.HasPrefix(host, "0.0.0.0:") || strings.HasPrefix(host, "[::]:") {
		host = "127.0.0.1" + host[strings.LastIndexByte(host, ':'):]
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+host+"/admin/v1/"+op, bytes.NewReader(body))
	if err != nil {
		return err
	}
	hr.Header.Set("Authorization", "Bearer "+c.Endpoint.Token)
	hr.Header.Set("Content-Type", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Minute}
	}
	resp, err := hc.Do(hr)
	if err != nil {
		return fmt.Errorf("reach the running server's admin listener at %s: %w", host, err)
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e Error
		if json.Unmarshal(rb, &e) == nil && e.Message != "" {
			return &e
		}
		return fmt.Errorf("admin listener answered %s", resp.Status)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(rb, out)
}
