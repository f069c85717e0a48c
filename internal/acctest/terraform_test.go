package acctest

import (
	"slices"
	"strings"
	"testing"
)

func TestTerraformEnv(t *testing.T) {
	base := []string{
		"PATH=/usr/bin", "HOME=/root", "TF_CLI_ARGS=-parallelism=1", "TF_PLUGIN_CACHE_DIR=/cache",
		"TF_REATTACH_PROVIDERS={}", "TF_VAR_x=1", "TF_LOG=TRACE", "CHECKPOINT_DISABLE=",
		"PROXMOX_VE_ENDPOINT=https://pve:8006/", "HTTPS_PROXY=http://proxy:3128",
	}
	cases := []struct {
		name      string
		lab       bool
		base      []string
		offline   bool
		want, not []string
	}{
		{
			name: "simulator",
			base: base,
			want: []string{"PATH=/usr/bin", "HOME=/root", "HTTPS_PROXY=http://proxy:3128", "TF_CLI_CONFIG_FILE=/rc",
				"CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_INPUT=0"},
			not: []string{"TF_CLI_ARGS=", "TF_PLUGIN_CACHE_DIR=", "TF_REATTACH_PROVIDERS=", "TF_VAR_x=", "TF_LOG=",
				"CHECKPOINT_DISABLE=\n", "PROXMOX_VE_ENDPOINT="},
		},
		{
			name: "lab keeps PROXMOX_VE_*",
			lab:  true,
			base: base,
			want: []string{"PROXMOX_VE_ENDPOINT=https://pve:8006/"},
			not:  []string{"TF_LOG="},
		},
		{
			name: "log to a file",
			base: append(slices.Clone(base), "TF_LOG_PATH=/tmp/tf.log"),
			want: []string{"TF_LOG=TRACE", "TF_LOG_PATH=/tmp/tf.log"},
		},
		{
			name:    "offline",
			base:    base,
			offline: true,
			want:    []string{"HTTPS_PROXY=http://127.0.0.1:9", "http_proxy=http://127.0.0.1:9"},
			not:     []string{"HTTPS_PROXY=http://proxy:3128"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			target := ""
			if tc.lab {
				target = "lab"
			}
			t.Setenv("PROXMOXSAFE_ACC_TARGET", target)
			env := terraformEnv(tc.base, "/rc", tc.offline)
			for _, w := range tc.want {
				if !slices.Contains(env, w) {
					t.Errorf("%s missing from %q", w, env)
				}
			}
			// A "\n" suffix asks for the exact entry, not a prefix.
			for _, n := range tc.not {
				for _, kv := range env {
					if kv == strings.TrimSuffix(n, "\n") || !strings.HasSuffix(n, "\n") && strings.HasPrefix(kv, n) {
						t.Errorf("%s kept: %q", kv, env)
					}
				}
			}
		})
	}
}
