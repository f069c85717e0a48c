package provider

import (
	"os"
	"testing"
)

// TestQuietUnreadLogs: the SDK's and the provider's logs are turned off
// only when Terraform would drop them, and a level the user set is kept.
func TestQuietUnreadLogs(t *testing.T) {
	cases := []struct {
		name  string
		env   map[string]string
		debug bool
		want  map[string]string // "" = unset
	}{
		{"nothing asked", nil, false, map[string]string{"TF_LOG_SDK": "OFF", "TF_LOG_PROVIDER_PROXMOXSAFE": "OFF"}},
		{"TF_LOG", map[string]string{"TF_LOG": "DEBUG"}, false, map[string]string{"TF_LOG_SDK": "", "TF_LOG_PROVIDER_PROXMOXSAFE": ""}},
		{"TF_LOG_PROVIDER", map[string]string{"TF_LOG_PROVIDER": "TRACE"}, false, map[string]string{"TF_LOG_SDK": "", "TF_LOG_PROVIDER_PROXMOXSAFE": ""}},
		{"debug mode", nil, true, map[string]string{"TF_LOG_SDK": "", "TF_LOG_PROVIDER_PROXMOXSAFE": ""}},
		{"user's level kept", map[string]string{"TF_LOG_SDK": "ERROR"}, false, map[string]string{"TF_LOG_SDK": "ERROR", "TF_LOG_PROVIDER_PROXMOXSAFE": "OFF"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, name := range append([]string{"TF_LOG", "TF_LOG_PROVIDER"}, logVariables...) {
				t.Setenv(name, "") // restored after the test
				if err := os.Unsetenv(name); err != nil {
					t.Fatal(err)
				}
			}
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			QuietUnreadLogs(c.debug)
			for k, want := range c.want {
				if got := os.Getenv(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}
