// Package pve is the provider's only way to talk to the Proxmox VE API. It
// wraps go-proxmox for transport and authentication, and fixes what
// go-proxmox gets wrong for us: failed tasks reported as success, error
// messages lost, booleans PVE rejects, retries that replay POSTs.
package pve

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"
	proxmox "github.com/luthermonson/go-proxmox"
)

const (
	apiPath = "/api2/json"

	defaultRequestTimeout   = 30 * time.Second
	defaultMaxRetries       = 3
	defaultTaskPollInterval = 500 * time.Millisecond
	defaultUserAgent        = "terraform-provider-proxmoxsafe"
	defaultRetryBackoff     = 250 * time.Millisecond
	maxRetryBackoff         = 5 * time.Second
)

// Config is everything needed to reach one PVE cluster.
type Config struct {
	// Endpoint with or without /api2/json, with or without a trailing slash.
	Endpoint string
	// APIToken is "user@realm!tokenid=secret".
	APIToken           string
	Username, Password string
	Insecure           bool
	CACertificatePEM   []byte
	// MinTLS is a tls.VersionTLS* constant; 0 means TLS 1.2.
	MinTLS uint16
	// RequestTimeout bounds one HTTP request; 0 means 30s.
	RequestTimeout time.Duration
	// MaxRetries is how often a failed GET is retried; 0 means never.
	// Requests that change something are never retried.
	MaxRetries int
	// TaskPollInterval is the first delay between task status polls; 0
	// means 500ms.
	TaskPollInterval time.Duration
	UserAgent        string
}

// Validate checks the configuration without touching the network. Its
// messages never contain the token secret or the password.
func (c Config) Validate() error {
	var errs []error
	if strings.TrimSpace(c.Endpoint) == "" {
		errs = append(errs, errors.New("the endpoint is not set"))
	} else if _, err := NormalizeEndpoint(c.Endpoint); err != nil {
		errs = append(errs, err)
	}
	switch {
	case c.APIToken != "" && (c.Username != "" || c.Password != ""):
		errs = append(errs, errors.New("both an API token and a username/password are set; use exactly one"))
	case c.APIToken != "":
		if _, _, err := ParseAPIToken(c.APIToken); err != nil {
			errs = append(errs, err)
		}
	case c.Username != "" && c.Password != "":
	case c.Username != "":
		errs = append(errs, errors.New("a username is set but no password"))
	case c.Password != "":
		errs = append(errs, errors.New("a password is set but no username"))
	default:
		errs = append(errs, errors.New("no credentials: set an API token or a username and password"))
	}
	if len(c.CACertificatePEM) > 0 {
		if err := CheckCACertificate(c.CACertificatePEM); err != nil {
			errs = append(errs, err)
		}
	}
	switch c.MinTLS {
	case 0, tls.VersionTLS12, tls.VersionTLS13:
	default:
		errs = append(errs, fmt.Errorf("the minimum TLS version 0x%04x is not supported; use TLS 1.2 or 1.3", c.MinTLS))
	}
	if c.RequestTimeout < 0 {
		errs = append(errs, errors.New("the request timeout must not be negative"))
	}
	if c.MaxRetries < 0 {
		errs = append(errs, errors.New("the number of retries must not be negative"))
	}
	if c.TaskPollInterval < 0 {
		errs = append(errs, errors.New("the task poll interval must not be negative"))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	c.Endpoint, _ = NormalizeEndpoint(c.Endpoint)
	if c.MinTLS == 0 {
		c.MinTLS = tls.VersionTLS12
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = defaultRequestTimeout
	}
	if c.TaskPollInterval == 0 {
		c.TaskPollInterval = defaultTaskPollInterval
	}
	if c.UserAgent == "" {
		c.UserAgent = defaultUserAgent
	}
	return c
}

// NormalizeEndpoint turns every accepted spelling of the API URL into the
// base go-proxmox needs: "https://host:8006", "https://host:8006/" and
// "https://host:8006/api2/json/" all become "https://host:8006/api2/json".
// A path prefix (reverse proxy) is kept.
func NormalizeEndpoint(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", errors.New("the endpoint is empty")
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("the endpoint %q is not a valid URL", s)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" {
		if u.Scheme == "" || u.Opaque != "" {
			return "", fmt.Errorf("the endpoint %q needs a scheme and host, e.g. https://pve.example.com:8006", s)
		}
		return "", fmt.Errorf("the endpoint %q must use https:// (or http://), not %s://", s, u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", fmt.Errorf("the endpoint %q has no host", s)
	}
	if u.User != nil {
		return "", errors.New("the endpoint must not contain credentials; use api_token or username/password")
	}
	if u.RawQuery != "" || u.ForceQuery {
		return "", fmt.Errorf("the endpoint %q must not contain a query string", s)
	}
	if u.Fragment != "" {
		return "", fmt.Errorf("the endpoint %q must not contain a fragment", s)
	}
	if port := u.Port(); port != "" {
		if _, err := net.LookupPort("tcp", port); err != nil {
			return "", fmt.Errorf("the endpoint %q has an invalid port", s)
		}
	}
	p := strings.TrimRight(u.Path, "/")
	switch {
	case strings.HasSuffix(p, apiPath):
	case strings.Contains(p+"/", "/api2/"):
		return "", fmt.Errorf("the endpoint %q must point at the JSON API (/api2/json) or the server root", s)
	default:
		p += apiPath
	}
	return scheme + "://" + u.Host + p, nil
}

var (
	// PVE: user "[^\s:/]+" (may hold "@"), realm and token ID
	// "[A-Za-z][A-Za-z0-9.\-_]+".
	reTokenID     = regexp.MustCompile(`^[^\s:/!=]+@[A-Za-z][A-Za-z0-9.\-_]*![A-Za-z][A-Za-z0-9.\-_]*$`)
	reTokenSecret = regexp.MustCompile(`^[^\s=]+$`)
)

// ParseAPIToken splits "user@realm!tokenid=secret" into the token ID and
// the secret. Its errors never repeat the input, which holds the secret.
func ParseAPIToken(token string) (tokenID, secret string, err error) {
	t := strings.TrimSpace(token)
	t = strings.TrimPrefix(t, "PVEAPIToken=")
	id, sec, ok := strings.Cut(t, "=")
	const format = `the API token must look like "user@realm!tokenid=secret"`
	switch {
	case !ok:
		return "", "", errors.New(format + `: the "=" between token ID and secret is missing`)
	case !strings.Contains(id, "@"):
		return "", "", errors.New(format + ": the @realm of the user is missing")
	case !strings.Contains(id, "!"):
		return "", "", errors.New(format + `: the "!tokenid" part is missing`)
	case !reTokenID.MatchString(id):
		return "", "", errors.New(format + ": the token ID contains invalid characters")
	case sec == "":
		return "", "", errors.New(format + ": the secret is empty")
	case !reTokenSecret.MatchString(sec):
		return "", "", errors.New(format + ": the secret contains spaces or a second \"=\"")
	}
	return id, sec, nil
}

// CheckCACertificate reports whether pemData holds at least one parsable
// certificate and no other kind of PEM block. Text around the blocks (as in
// bundles with comments) is ignored.
func CheckCACertificate(pemData []byte) error {
	_, err := certPool(pemData)
	return err
}

func certPool(pemData []byte) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	rest := pemData
	n := 0
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("the CA certificate contains a %q PEM block; only CERTIFICATE blocks are allowed", block.Type)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("the CA certificate could not be parsed: %w", err)
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, errors.New("the CA certificate contains no PEM-encoded certificate")
	}
	return pool, nil
}

// Client talks to one PVE cluster. It is safe for concurrent use.
type Client struct {
	api        *proxmox.Client
	httpClient *http.Client
	cfg        Config

	requests atomic.Int64

	// loginMu serialises the ticket login so parallel first calls log in
	// once.
	loginMu sync.Mutex

	// retryBackoff is the delay before the first retry; tests lower it.
	retryBackoff time.Duration
	// shutdownGrace is added to a shutdown's timeout before stopping.
	shutdownGrace time.Duration
}

// NewClient validates cfg and builds a client. It does not touch the
// network; Ping proves the endpoint and the credentials.
func NewClient(ctx context.Context, cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid Proxmox VE client configuration: %w", err)
	}
	cfg = cfg.withDefaults()

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
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.TLSClientConfig = tlsConfig

	c := &Client{cfg: cfg, retryBackoff: defaultRetryBackoff, shutdownGrace: defaultShutdownGrace}
	httpClient := &http.Client{
		Transport: &apiTransport{base: base, requests: &c.requests, prefix: pathPrefix(cfg.Endpoint)},
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
	tflog.SubsystemDebug(ctx, logSubsystem, "Proxmox VE client configured", map[string]any{
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

// RequestCount is the number of HTTP requests sent so far, retries and
// logins included.
func (c *Client) RequestCount() int64 { return c.requests.Load() }

// Ping reads the PVE version, proving that the endpoint answers and the
// credentials work.
func (c *Client) Ping(ctx context.Context) (string, error) {
	ctx = c.logCtx(ctx)
	var v struct {
		Version string `json:"version"`
		Release string `json:"release"`
	}
	if err := c.get(ctx, "/version", nil, &v); err != nil {
		return "", err
	}
	if v.Version == "" {
		return "", errors.New("Proxmox VE API GET /version: the answer has no version") //nolint:staticcheck // ST1005: starts with the product name "Proxmox VE", a proper noun
	}
	return v.Version, nil
}

func pathPrefix(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return apiPath
	}
	return u.Path
}

// escapeTicketCookie percent-encodes the ticket in the PVEAuthCookie that
// go-proxmox sends raw, as PVE's own web UI does. pveproxy URI-unescapes
// the value, so both forms work there; the encoded one also survives
// servers that decode the cookie as a query string ("+" becoming a space
// would break the base64 signature).
func escapeTicketCookie(req *http.Request) error {
	const prefix = "PVEAuthCookie="
	v := req.Header.Get("Cookie")
	ticket, ok := strings.CutPrefix(v, prefix)
	if !ok || ticket == "" || strings.Contains(ticket, ";") || strings.Contains(ticket, "%") {
		return nil
	}
	req.Header.Set("Cookie", prefix+url.QueryEscape(ticket))
	return nil
}

// nopLogger silences go-proxmox.
type nopLogger struct{}

var _ proxmox.LeveledLoggerInterface = nopLogger{}

func (nopLogger) Debugf(string, ...any) {}
func (nopLogger) Errorf(string, ...any) {}
func (nopLogger) Infof(string, ...any)  {}
func (nopLogger) Warnf(string, ...any)  {}
