// Package pve is the provider's only way to talk to the Proxmox VE API. It
// wraps go-proxmox for transport and authentication; goproxmox.go lists and
// corrects what go-proxmox gets wrong for us.
package pve

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	proxmox "github.com/luthermonson/go-proxmox"
)

const (
	apiPath = "/api2/json"

	defaultRequestTimeout   = 30 * time.Second
	defaultTaskPollInterval = 500 * time.Millisecond
	defaultUserAgent        = "terraform-provider-proxmoxsafe"
	defaultRetryBackoff     = 250 * time.Millisecond
	maxRetryBackoff         = 5 * time.Second
)

// Client talks to one PVE cluster. It is safe for concurrent use.
type Client struct {
	api        *proxmox.Client
	httpClient *http.Client
	cfg        Config

	// loginMu serialises the ticket login so parallel first calls log in
	// once.
	loginMu sync.Mutex

	// retryBackoff is the delay before the first retry; tests lower it.
	retryBackoff time.Duration
	// shutdownGrace is added to a shutdown's timeout before stopping.
	shutdownGrace time.Duration
	// pace times the first status poll of each task.
	pace taskPace
	// clocks bounds each node's clock from the tasks started there.
	clocks nodeClocks

	// vmids are the VMIDs AllocateVMID handed out.
	vmids vmidReservations
}

// NewClient validates cfg and builds a client. It does not touch the
// network; Ping proves the endpoint and the credentials.
func NewClient(ctx context.Context, cfg Config) (*Client, error) {
	cfg, err := cfg.Resolve()
	if err != nil {
		return nil, fmt.Errorf("invalid Proxmox VE client configuration: %w", err)
	}

	tlsConfig := &tls.Config{MinVersion: cfg.MinTLS}
	if cfg.Insecure {
		tlsConfig.InsecureSkipVerify = true //nolint:gosec // the user asked for it
	}
	if len(cfg.CACertificatePEM) > 0 {
		pool, err := certPool(cfg.CACertificatePEM)
		if err != nil {
			return nil, err
		}
		tlsConfig.RootCAs = pool
	}
	defaultTransport, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return nil, fmt.Errorf("http.DefaultTransport is a %T, not an *http.Transport", http.DefaultTransport)
	}
	base := defaultTransport.Clone()
	base.TLSClientConfig = tlsConfig

	c := &Client{cfg: cfg, retryBackoff: defaultRetryBackoff, shutdownGrace: defaultShutdownGrace}
	httpClient := &http.Client{
		Transport: &apiTransport{base: base, prefix: pathPrefix(cfg.Endpoint)},
		Timeout:   cfg.RequestTimeout,
		// PVE never redirects API calls; following one would resend auth.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	c.httpClient = httpClient
	opts := []proxmox.Option{
		proxmox.WithHTTPClient(httpClient),
		proxmox.WithUserAgent(cfg.UserAgent),
		// go-proxmox prints request and response bodies at debug level;
		// everything it would say is logged by our transport instead.
		proxmox.WithLogger(nopLogger{}),
		proxmox.WithRequestInterceptor(escapeTicketCookie),
	}
	if cfg.APIToken != "" {
		id, secret, _ := ParseAPIToken(cfg.APIToken)
		opts = append(opts, proxmox.WithAPIToken(id, secret))
	} else {
		opts = append(opts, proxmox.WithCredentials(&proxmox.Credentials{Username: cfg.Username, Password: cfg.Password}))
	}
	c.api = proxmox.NewClient(cfg.Endpoint, opts...)

	ctx = c.logCtx(ctx)
	logDebug(ctx, "Proxmox VE client configured", map[string]any{
		"endpoint": cfg.Endpoint, "auth": c.authKind(), "insecure": cfg.Insecure,
		"custom_ca": len(cfg.CACertificatePEM) > 0, "max_retries": cfg.MaxRetries,
		"request_timeout_s": cfg.RequestTimeout.Seconds(),
	})
	return c, nil
}

func (c *Client) authKind() string {
	if c.cfg.APIToken != "" {
		return "api_token"
	}
	return "ticket"
}

func pathPrefix(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return apiPath
	}
	return u.Path
}
