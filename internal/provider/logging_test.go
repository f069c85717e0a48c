package provider_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// Secrets never reach the provider's logs, even at TRACE, while every API
// call is logged through the proxmox_api subsystem.
func TestProviderLogsNoSecrets(t *testing.T) {
	const password = "Corr3ct-Horse-Battery"
	lab := acctest.New(t, pvesim.Options{Scenario: "incident", User: "terraform@pve", Password: password})
	sim := lab.RequireSim(t, "ticket-login user and request counters")
	tokenSecret := lab.Token()[strings.Index(lab.Token(), "=")+1:]

	var logs bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &logs)
	str := func(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
	for _, auth := range []map[string]tftypes.Value{
		{"api_token": str(lab.Token())},
		{"username": str("terraform@pve"), "password": str(password)},
	} {
		auth["endpoint"] = str(lab.Endpoint())
		auth["ca_certificate"] = str(lab.CACertPEM())
		p := configureDirectWith(t, ctx, auth)
		if _, diags := p.read("proxmoxsafe_vms", nil); hasErrors(diags) {
			t.Fatalf("read failed: %s", describeDiags(diags))
		}
	}
	if sim.RequestCounts()["POST /access/ticket"] == 0 {
		t.Fatal("the ticket login never happened, so the test proves nothing about tickets")
	}

	out := logs.String()
	if !strings.Contains(out, `"@module":"provider.proxmox_api"`) || !strings.Contains(out, "/cluster/resources") {
		t.Fatalf("API calls are not logged in the proxmox_api subsystem:\n%s", out)
	}
	for what, secret := range map[string]string{"token secret": tokenSecret, "password": password} {
		if strings.Contains(out, secret) {
			t.Errorf("the %s appears in the logs", what)
		}
	}
	// PVE tickets look like PVE:user@realm:HEX::signature; CSRF tokens like HEX:base64.
	for what, pattern := range map[string]string{
		"ticket":      `PVE:[^\s"]+@[^\s"]+:[0-9A-F]{8}::`,
		"CSRF token":  `"?[0-9A-F]{8}:[A-Za-z0-9+/]{20,}`,
		"auth cookie": `PVEAuthCookie=[^\s"*]`,
	} {
		if m := regexp.MustCompile(pattern).FindString(out); m != "" {
			t.Errorf("a %s appears in the logs: %s", what, m)
		}
	}
}
