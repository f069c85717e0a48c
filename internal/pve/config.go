package pve

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"
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

// ConfigField names the Config field a *ConfigError is about.
type ConfigField string

// The fields Validate checks.
const (
	FieldEndpoint         ConfigField = "endpoint"
	FieldAPIToken         ConfigField = "api_token"
	FieldUsername         ConfigField = "username"
	FieldPassword         ConfigField = "password"
	FieldCACertificate    ConfigField = "ca_certificate"
	FieldMinTLS           ConfigField = "min_tls"
	FieldRequestTimeout   ConfigField = "request_timeout"
	FieldMaxRetries       ConfigField = "max_retries"
	FieldTaskPollInterval ConfigField = "task_poll_interval"
)

// ConfigError is one problem of a Config, with the field it is about.
type ConfigError struct {
	Field ConfigField
	Err   error
}

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// Credential problems callers may want to phrase in their own terms.
var (
	ErrNoCredentials          = errors.New("no credentials: set an API token or a username and password")
	ErrConflictingCredentials = errors.New("both an API token and a username/password are set; use exactly one")
)

// DefaultMaxRetries is the number of GET retries a caller should configure
// unless told otherwise (MaxRetries 0 means never).
const DefaultMaxRetries = 3

// Validate checks the configuration without touching the network: every
// problem is a *ConfigError, joined. Its messages never contain the token
// secret or the password.
func (c Config) Validate() error {
	var errs []error
	add := func(f ConfigField, err error) { errs = append(errs, &ConfigError{Field: f, Err: err}) }
	if strings.TrimSpace(c.Endpoint) == "" {
		add(FieldEndpoint, errors.New("the endpoint is not set"))
	} else if _, err := NormalizeEndpoint(c.Endpoint); err != nil {
		add(FieldEndpoint, err)
	}
	switch {
	case c.APIToken != "" && (c.Username != "" || c.Password != ""):
		add(FieldAPIToken, ErrConflictingCredentials)
	case c.APIToken != "":
		if _, _, err := ParseAPIToken(c.APIToken); err != nil {
			add(FieldAPIToken, err)
		}
	case c.Username != "" && c.Password != "":
	case c.Username != "":
		add(FieldPassword, errors.New("a username is set but no password"))
	case c.Password != "":
		add(FieldUsername, errors.New("a password is set but no username"))
	default:
		add(FieldAPIToken, ErrNoCredentials)
	}
	if len(c.CACertificatePEM) > 0 {
		if err := CheckCACertificate(c.CACertificatePEM); err != nil {
			add(FieldCACertificate, err)
		}
	}
	switch c.MinTLS {
	case 0, tls.VersionTLS12, tls.VersionTLS13:
	default:
		add(FieldMinTLS, fmt.Errorf("the minimum TLS version 0x%04x is not supported; use TLS 1.2 or 1.3", c.MinTLS))
	}
	if c.RequestTimeout < 0 {
		add(FieldRequestTimeout, errors.New("the request timeout must not be negative"))
	}
	if c.MaxRetries < 0 {
		add(FieldMaxRetries, errors.New("the number of retries must not be negative"))
	}
	if c.TaskPollInterval < 0 {
		add(FieldTaskPollInterval, errors.New("the task poll interval must not be negative"))
	}
	return errors.Join(errs...)
}

// Resolve validates the configuration and fills in the defaults: the one
// path NewClient and the provider's configuration share.
func (c Config) Resolve() (Config, error) {
	if err := c.Validate(); err != nil {
		return c, err
	}
	return c.withDefaults(), nil
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
// Behind a reverse proxy with a path prefix, give the API URL itself
// ("https://proxy/pve/api2/json"); any other path is refused, since PVE
// serves its API only below /api2/json (pve-http-server
// PVE/APIServer/AnyEvent.pm). Its errors never repeat a query string,
// a fragment or credentials: they may carry secrets.
func NormalizeEndpoint(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", errors.New("the endpoint is empty")
	}
	shown := redactEndpoint(s)
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("the endpoint %q is not a valid URL", shown)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" {
		if u.Scheme == "" || u.Opaque != "" {
			return "", fmt.Errorf("the endpoint %q needs a scheme and host, e.g. https://pve.example.com:8006", shown)
		}
		return "", fmt.Errorf("the endpoint %q must use https:// (or http://), not %s://", shown, u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", fmt.Errorf("the endpoint %q has no host", shown)
	}
	if u.User != nil {
		return "", errors.New("the endpoint must not contain credentials; use api_token or username/password")
	}
	if u.RawQuery != "" || u.ForceQuery {
		return "", fmt.Errorf("the endpoint %q must not contain a query string (not repeated here: it may carry credentials); "+
			"use the form https://<host>:8006/", shown)
	}
	if u.Fragment != "" {
		return "", fmt.Errorf("the endpoint %q must not contain a fragment", shown)
	}
	if port := u.Port(); port != "" {
		if _, err := net.LookupPort("tcp", port); err != nil {
			return "", fmt.Errorf("the endpoint %q has an invalid port", shown)
		}
	}
	p := strings.TrimRight(u.Path, "/")
	switch {
	case strings.HasSuffix(p, apiPath):
	case strings.Contains(p+"/", "/api2/"):
		return "", fmt.Errorf("the endpoint %q must point at the JSON API (/api2/json) or the server root", shown)
	case p == "":
		p = apiPath
	default:
		return "", fmt.Errorf("the endpoint %q has the extra path %q: use the server root, e.g. https://%s/ "+
			"(or, behind a reverse proxy with a path prefix, the API URL itself, e.g. https://%s%s%s)",
			shown, p, u.Host, u.Host, p, apiPath)
	}
	return scheme + "://" + u.Host + p, nil
}

var reEndpointUserinfo = regexp.MustCompile(`//[^/?#]*@`)

// redactEndpoint is the endpoint as errors may show it: without credentials,
// query string or fragment.
func redactEndpoint(s string) string {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i] + "?…"
	}
	return reEndpointUserinfo.ReplaceAllString(s, "//")
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
