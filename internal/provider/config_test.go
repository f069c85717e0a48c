package provider

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

const testToken = "root@pam!ci=11111111-2222-3333-4444-555555555555"

func nullModel() providerModel {
	return providerModel{
		Endpoint: types.StringNull(), APIToken: types.StringNull(), Username: types.StringNull(),
		Password: types.StringNull(), Insecure: types.BoolNull(), CACertificate: types.StringNull(),
		MinTLS: types.StringNull(), OnExisting: types.StringNull(), DefaultNode: types.StringNull(),
		RequestTimeout: types.Int64Null(), MaxRetries: types.Int64Null(),
	}
}

func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestResolveSettings(t *testing.T) {
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	ca, err := pvesim.NewCertificatePEM()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(caFile, ca, 0o600); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name    string
		model   func(m *providerModel)
		env     map[string]string
		wantErr string // substring of the error detail; "" means success
		check   func(t *testing.T, s providerSettings)
	}{
		{
			name: "token from the block, endpoint normalised",
			model: func(m *providerModel) {
				m.Endpoint = types.StringValue("https://pve.example:8006/")
				m.APIToken = types.StringValue(testToken)
			},
			check: func(t *testing.T, s providerSettings) {
				if s.client.Endpoint != "https://pve.example:8006/api2/json" {
					t.Errorf("endpoint = %q", s.client.Endpoint)
				}
				if s.client.APIToken != testToken || s.authKind() != "api_token" {
					t.Errorf("token not taken: %+v", s.client)
				}
				if s.onExisting != guard.PolicyFail || s.client.MinTLS != tls.VersionTLS12 ||
					s.client.RequestTimeout != 30*time.Second || s.client.MaxRetries != 3 {
					t.Errorf("defaults not applied: %+v", s)
				}
			},
		},
		{
			name: "everything from the environment",
			env: map[string]string{
				envEndpoint: "https://pve.example:8006/api2/json", envUsername: "root@pam", envPassword: "pw",
				envInsecure: "true", envMinTLS: "1.3", envDefaultNode: "pve2",
			},
			check: func(t *testing.T, s providerSettings) {
				if s.authKind() != "ticket" || s.client.Username != "root@pam" || s.client.Password != "pw" {
					t.Errorf("ticket credentials not taken: %+v", s.client)
				}
				if !s.client.Insecure || s.client.MinTLS != tls.VersionTLS13 || s.defaultNode != "pve2" {
					t.Errorf("env settings not taken: %+v", s)
				}
			},
		},
		{
			name:  "block token wins over environment password",
			model: func(m *providerModel) { m.APIToken = types.StringValue(testToken) },
			env:   map[string]string{envEndpoint: "https://pve:8006", envUsername: "root@pam", envPassword: "pw"},
			check: func(t *testing.T, s providerSettings) {
				if s.authKind() != "api_token" || s.client.Password != "" {
					t.Errorf("environment password leaked into token auth: %+v", s.client)
				}
			},
		},
		{
			name: "CA certificate from a file path in the environment",
			env:  map[string]string{envEndpoint: "https://pve:8006", envAPIToken: testToken, envCACertificate: caFile},
			check: func(t *testing.T, s providerSettings) {
				if !strings.Contains(string(s.client.CACertificatePEM), "BEGIN CERTIFICATE") {
					t.Errorf("CA file not read")
				}
			},
		},
		{
			name: "provider settings for the resources",
			model: func(m *providerModel) {
				m.OnExisting = types.StringValue("adopt")
				m.RequestTimeout = types.Int64Value(5)
				m.MaxRetries = types.Int64Value(0)
			},
			env: map[string]string{envEndpoint: "https://pve:8006", envAPIToken: testToken},
			check: func(t *testing.T, s providerSettings) {
				if s.onExisting != guard.PolicyAdopt || s.client.RequestTimeout != 5*time.Second || s.client.MaxRetries != 0 {
					t.Errorf("settings not taken: %+v", s)
				}
			},
		},
		{name: "missing endpoint", env: map[string]string{envAPIToken: testToken}, wantErr: `"endpoint" (or the PROXMOX_VE_ENDPOINT environment variable)`},
		{name: "bad endpoint scheme", env: map[string]string{envEndpoint: "ftp://pve:8006", envAPIToken: testToken}, wantErr: "PROXMOX_VE_ENDPOINT"},
		{name: "missing credentials", env: map[string]string{envEndpoint: "https://pve:8006"}, wantErr: "Set \"api_token\""},
		{name: "malformed token", env: map[string]string{envEndpoint: "https://pve:8006", envAPIToken: "root@pam-secret"}, wantErr: "PROXMOX_VE_API_TOKEN"},
		{
			name:    "both auth kinds from the environment",
			env:     map[string]string{envEndpoint: "https://pve:8006", envAPIToken: testToken, envUsername: "root@pam", envPassword: "pw"},
			wantErr: "Use exactly one",
		},
		{name: "username without password", env: map[string]string{envEndpoint: "https://pve:8006", envUsername: "root@pam"}, wantErr: "no password"},
		{name: "insecure not a boolean", env: map[string]string{envEndpoint: "https://pve:8006", envAPIToken: testToken, envInsecure: "maybe"}, wantErr: "PROXMOX_VE_INSECURE"},
		{name: "CA path missing", env: map[string]string{envEndpoint: "https://pve:8006", envAPIToken: testToken, envCACertificate: "/nonexistent/ca.pem"}, wantErr: "neither PEM text nor a readable file"},
		{name: "unknown endpoint", model: func(m *providerModel) { m.Endpoint = types.StringUnknown() }, wantErr: "only known after apply"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := nullModel()
			if tc.model != nil {
				tc.model(&m)
			}
			s, diags := resolveSettings(m, envOf(tc.env))
			if tc.wantErr == "" {
				if diags.HasError() {
					t.Fatalf("unexpected errors: %v", diags)
				}
				tc.check(t, s)
				return
			}
			if !diags.HasError() {
				t.Fatalf("expected an error containing %q, got none", tc.wantErr)
			}
			var all strings.Builder
			for _, d := range diags.Errors() {
				all.WriteString(d.Summary() + ": " + d.Detail() + "\n")
			}
			if !strings.Contains(all.String(), tc.wantErr) {
				t.Errorf("errors %q do not mention %q", all.String(), tc.wantErr)
			}
			if strings.Contains(all.String(), "11111111-2222") || strings.Contains(all.String(), "pw\"") {
				t.Errorf("a secret leaked into the error: %s", all.String())
			}
		})
	}
}
