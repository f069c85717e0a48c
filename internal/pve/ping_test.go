package pve

import (
	"context"
	"errors"
	"net/http"

	proxmox "github.com/luthermonson/go-proxmox"
)

// Only tests ping: the provider learns that the endpoint answers from its
// first real request, which says the same and costs nothing extra.

// ping reads the PVE version, proving that the endpoint answers and the
// credentials work.
func (c *Client) ping(ctx context.Context) (string, error) {
	ctx = c.logCtx(ctx)
	var v *proxmox.Version
	err := c.send(ctx, http.MethodGet, "/version", nil, func(actx context.Context) error {
		var err error
		v, err = c.api.Version(actx)
		return err
	})
	if err != nil {
		return "", err
	}
	if v == nil || v.Version == "" {
		return "", errors.New("Proxmox VE API GET /version: the answer has no version") //nolint:staticcheck // ST1005: starts with the product name "Proxmox VE", a proper noun
	}
	return v.Version, nil
}
