package pve

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

func TestNormalizeEndpoint(t *testing.T) {
	const want = "https://pve.example.com:8006/api2/json"
	ok := []struct{ in, want string }{
		{"https://pve.example.com:8006", want},
		{"https://pve.example.com:8006/", want},
		{"https://pve.example.com:8006/api2/json", want},
		{"https://pve.example.com:8006/api2/json/", want},
		{"  https://pve.example.com:8006//  ", want},
		{"HTTPS://pve.example.com:8006", want},
		{"http://127.0.0.1:8006", "http://127.0.0.1:8006/api2/json"},
		{"https://[::1]:8006/", "https://[::1]:8006/api2/json"},
		{"https://proxy.example.com/pve/api2/json", "https://proxy.example.com/pve/api2/json"},
	}
	for _, tt := range ok {
		got, err := NormalizeEndpoint(tt.in)
		if err != nil {
			t.Errorf("NormalizeEndpoint(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("NormalizeEndpoint(%q) = %q, want %q", tt.in, got, tt.want)
		}
		// Normalising twice changes nothing.
		if again, err := NormalizeEndpoint(got); err != nil || again != got {
			t.Errorf("NormalizeEndpoint(%q) = %q, %v; not idempotent", got, again, err)
		}
	}

	bad := []struct{ in, errPart string }{
		{"", "empty"},
		{"pve.example.com:8006", "scheme"},
		{"pve.example.com", "scheme"},
		{"ftp://pve.example.com", "https://"},
		{"wss://pve.example.com:8006", "https://"},
		{"https://", "no host"},
		{"https:///api2/json", "no host"},
		{"https://pve.example.com:8006/?x=1", "query"},
		{"https://pve.example.com:8006/api2/json?", "query"},
		{"https://pve.example.com:8006/#frag", "fragment"},
		{"https://root:secret@pve.example.com:8006", "credentials"},
		{"https://pve.example.com:8006/api2/extjs", "/api2/json"},
		{"https://pve.example.com:99999", "port"},
		{"https://pve.example.com:8006/%zz", "valid URL"},
		// An extra path is not a prefix PVE knows: name the expected form.
		{"https://pve.example.com:8006/pve", "use the server root, e.g. https://pve.example.com:8006/"},
		{"https://proxy.example.com/pve/", "https://proxy.example.com/pve/api2/json"},
		// Query strings may carry secrets: refused, never repeated.
		{"https://pve.example.com:8006/?PVEAPIToken=root@pam!t=secret", "query string"},
		{"https://pve.example.com:8006/%zz?token=secret", "valid URL"},
		{"https://user:secret@pve.example.com:8006/%zz", "valid URL"},
	}
	for _, tt := range bad {
		got, err := NormalizeEndpoint(tt.in)
		if err == nil {
			t.Errorf("NormalizeEndpoint(%q) = %q, want an error", tt.in, got)
			continue
		}
		if !strings.Contains(err.Error(), tt.errPart) {
			t.Errorf("NormalizeEndpoint(%q) error %q does not mention %q", tt.in, err, tt.errPart)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("NormalizeEndpoint(%q) error leaks the password: %q", tt.in, err)
		}
	}
}

func TestParseAPIToken(t *testing.T) {
	const secret = "0b7e1c9a-5d41-4f1e-9a6b-2f0d8c3e7a11"
	ok := []struct{ in, id string }{
		{"root@pam!terraform=" + secret, "root@pam!terraform"},
		{"terraform@pve!prov-1.a_b=" + secret, "terraform@pve!prov-1.a_b"},
		{"first.last@ldap-corp!tf=" + secret, "first.last@ldap-corp!tf"},
		{"jane@example.com@ad!tf=" + secret, "jane@example.com@ad!tf"},
		{"PVEAPIToken=root@pam!tf=" + secret, "root@pam!tf"},
		{"  root@pam!tf=" + secret + "\n", "root@pam!tf"},
	}
	for _, tt := range ok {
		id, sec, err := ParseAPIToken(tt.in)
		if err != nil || id != tt.id || sec != secret {
			t.Errorf("ParseAPIToken(%q) = %q, %q, %v; want %q, %q", tt.in, id, sec, err, tt.id, secret)
		}
	}

	bad := []struct{ in, errPart string }{
		{secret, `"="`},
		{"root@pam!tf:" + secret, `"="`},
		{"root!tf=" + secret, "@realm"},
		{"root@pam=" + secret, "!tokenid"},
		{"root@pam!=" + secret, "invalid characters"},
		{"root@pam!1tf=" + secret, "invalid characters"},
		{"ro ot@pam!tf=" + secret, "invalid characters"},
		{"root@pam!tf=", "secret is empty"},
		{"root@pam!tf=" + secret + "=x", "second"},
		{"root@pam!tf=" + secret[:8] + " " + secret[9:], "spaces"},
		{"", `"="`},
	}
	for _, tt := range bad {
		_, _, err := ParseAPIToken(tt.in)
		if err == nil {
			t.Errorf("ParseAPIToken(%q): want an error", tt.in)
			continue
		}
		if !strings.Contains(err.Error(), tt.errPart) {
			t.Errorf("ParseAPIToken(%q) error %q does not mention %q", tt.in, err, tt.errPart)
		}
		for _, leak := range []string{secret, secret[:8], secret[9:]} {
			if strings.Contains(err.Error(), leak) {
				t.Errorf("ParseAPIToken error leaks the secret: %q", err)
			}
		}
	}
}

// testCA returns a fresh self-signed CA certificate in PEM.
func testCA(t *testing.T) []byte {
	t.Helper()
	ca, err := pvesim.NewCertificatePEM()
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func TestCheckCACertificate(t *testing.T) {
	ca := testCA(t)
	if err := CheckCACertificate(ca); err != nil {
		t.Fatalf("valid CA: %v", err)
	}
	if err := CheckCACertificate(append(append([]byte{}, ca...), testCA(t)...)); err != nil {
		t.Errorf("bundle of two: %v", err)
	}
	if err := CheckCACertificate(append([]byte("# our CA\n"), ca...)); err != nil {
		t.Errorf("with a comment: %v", err)
	}
	for name, in := range map[string][]byte{
		"empty":       nil,
		"not pem":     []byte("hello"),
		"private key": pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}}),
		"garbage der": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2, 3}}),
	} {
		if err := CheckCACertificate(in); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	const token = "root@pam!tf=0b7e1c9a-5d41-4f1e-9a6b-2f0d8c3e7a11"
	const password = "hunter2-very-secret"
	base := Config{Endpoint: "https://pve:8006", APIToken: token}
	tests := []struct {
		name    string
		mod     func(*Config)
		errPart string
	}{
		{"token", func(*Config) {}, ""},
		{"password", func(c *Config) { c.APIToken, c.Username, c.Password = "", "root@pam", password }, ""},
		{"both", func(c *Config) { c.Username, c.Password = "root@pam", password }, "exactly one"},
		{"none", func(c *Config) { c.APIToken = "" }, "no credentials"},
		{"user without password", func(c *Config) { c.APIToken, c.Username = "", "root@pam" }, "no password"},
		{"password without user", func(c *Config) { c.APIToken, c.Password = "", password }, "no username"},
		{"bad token", func(c *Config) { c.APIToken = "root@pam:" + password }, "API token"},
		{"no endpoint", func(c *Config) { c.Endpoint = "" }, "endpoint"},
		{"bad endpoint", func(c *Config) { c.Endpoint = "ftp://x" }, "https://"},
		{"bad ca", func(c *Config) { c.CACertificatePEM = []byte("nope") }, "CA certificate"},
		{"tls 1.1", func(c *Config) { c.MinTLS = tls.VersionTLS11 }, "TLS"},
		{"tls 1.3", func(c *Config) { c.MinTLS = tls.VersionTLS13 }, ""},
		{"negative timeout", func(c *Config) { c.RequestTimeout = -time.Second }, "timeout"},
		{"negative retries", func(c *Config) { c.MaxRetries = -1 }, "retries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			tt.mod(&cfg)
			err := cfg.Validate()
			if tt.errPart == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if _, err := NewClient(context.Background(), cfg); err != nil {
					t.Fatalf("NewClient: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want an error mentioning %q", tt.errPart)
			}
			if !strings.Contains(err.Error(), tt.errPart) {
				t.Errorf("error %q does not mention %q", err, tt.errPart)
			}
			for _, leak := range []string{password, "0b7e1c9a-5d41-4f1e-9a6b-2f0d8c3e7a11"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error leaks a secret: %q", err)
				}
			}
			if _, err := NewClient(context.Background(), cfg); err == nil {
				t.Error("NewClient accepted an invalid config")
			}
		})
	}
}

func TestNewClientTransport(t *testing.T) {
	ca := testCA(t)
	c, err := NewClient(context.Background(), Config{
		Endpoint: "https://pve:8006/", APIToken: "root@pam!tf=s3cret", CACertificatePEM: ca, MinTLS: tls.VersionTLS13,
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.cfg.Endpoint != "https://pve:8006/api2/json" {
		t.Errorf("endpoint %q", c.cfg.Endpoint)
	}
	if c.cfg.RequestTimeout != defaultRequestTimeout || c.cfg.TaskPollInterval != defaultTaskPollInterval || c.cfg.MaxRetries != 0 {
		t.Errorf("defaults not applied: %+v", c.cfg)
	}
	tr := c.transport(t)
	if tr.TLSClientConfig.MinVersion != tls.VersionTLS13 || tr.TLSClientConfig.InsecureSkipVerify || tr.TLSClientConfig.RootCAs == nil {
		t.Errorf("TLS config %+v", tr.TLSClientConfig)
	}

	c, err = NewClient(context.Background(), Config{Endpoint: "https://pve:8006", Username: "root@pam", Password: "pw", Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	tr = c.transport(t)
	if !tr.TLSClientConfig.InsecureSkipVerify || tr.TLSClientConfig.MinVersion != tls.VersionTLS12 || tr.TLSClientConfig.RootCAs != nil {
		t.Errorf("TLS config %+v", tr.TLSClientConfig)
	}
}

// transport digs the *http.Transport out of the client's http.Client.
func (c *Client) transport(t *testing.T) *http.Transport {
	t.Helper()
	hc := c.httpClient
	at, ok := hc.Transport.(*apiTransport)
	if !ok {
		t.Fatalf("transport is %T", hc.Transport)
	}
	tr, ok := at.base.(*http.Transport)
	if !ok {
		t.Fatalf("base transport is %T", at.base)
	}
	if hc.Timeout != c.cfg.RequestTimeout {
		t.Errorf("http.Client timeout %v, want %v", hc.Timeout, c.cfg.RequestTimeout)
	}
	return tr
}
