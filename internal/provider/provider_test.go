package provider_test

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// A data source read proves the provider configured and authenticated.
const readAllVMs = `
data "proxmoxsafe_vms" "all" {}
`

// vmsListed checks, in the plan of a PlanOnly step (readInPlan), that the
// data source listed a VM.
var vmsListed = readInPlan(statecheck.ExpectKnownValue("data.proxmoxsafe_vms.all",
	tfjsonpath.New("vms").AtSliceIndex(0).AtMapKey("vmid"), knownvalue.NotNull()))

func heredoc(pem string) string {
	return "<<-EOT\n" + strings.TrimSpace(pem) + "\nEOT"
}

// How the provider connects and authenticates, as steps of one
// resource.Test (each step's configuration has its own provider block; the
// failures come first, they leave nothing to destroy):
//
//   - connectionRefused: a closed port on loopback; the error says which
//     setting to check.
//   - wrongToken: the API rejects the token.
//   - untrustedCertificate: the simulator's self-signed certificate is
//     trusted by nobody.
//   - apiTokenWithCACertificate: a token and the CA certificate.
//   - ticketLogin: username and password, logged in with a ticket.
//   - insecure: no certificate check.
//
// Against a real cluster only connectionRefused, wrongToken and
// apiTokenWithCACertificate run; the others need the simulator's
// certificate or its ticket-login user.
func TestAccProvider_connection(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcceptance(t)
	lab := acctest.New(t, pvesim.Options{Scenario: "incident"})
	// A lab cluster may hold no VM yet: one to list.
	lab.AddVM(t, pvesim.VM{VMID: 4000, Name: lab.RandomName("listed"), Status: "stopped"})

	// connectionRefused
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "https://" + l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	steps := []resource.TestStep{
		{
			// connectionRefused
			Config: fmt.Sprintf(`
provider "proxmoxsafe" {
  endpoint    = %q
  api_token   = %q
  max_retries = 0
}
`, closed, pvesim.DevToken) + readAllVMs,
			ExpectError: regexp.MustCompile(`(?s)Nothing accepted the connection.*connection refused.*endpoint.*PROXMOX_VE_ENDPOINT`),
		},
		{
			// wrongToken
			Config:      lab.ProviderBlockWithToken("root@pam!proxmoxsafe=wrong-secret-value") + readAllVMs,
			ExpectError: regexp.MustCompile(`(?s)rejected the provider's\s+credentials.*PROXMOX_VE_API_TOKEN`),
		},
	}
	if lab.Sim != nil {
		steps = append(steps, resource.TestStep{
			// untrustedCertificate
			Config: fmt.Sprintf(`
provider "proxmoxsafe" {
  endpoint  = %q
  api_token = %q
}
`, lab.Endpoint(), lab.Token()) + readAllVMs,
			ExpectError: regexp.MustCompile(`(?s)certificate signed by unknown authority.*ca_certificate.*PROXMOX_VE_CA_CERTIFICATE`),
		})
	}
	// apiTokenWithCACertificate
	steps = append(steps, resource.TestStep{Config: lab.Config(readAllVMs), PlanOnly: true, ConfigPlanChecks: vmsListed})
	if lab.Sim != nil {
		ticketLab := acctest.New(t, pvesim.Options{Scenario: "incident", User: "terraform@pve", Password: "correct horse"})
		ticketLogin := vmsListed
		ticketLogin.PostApplyPreRefresh = append(afterApply(func(*terraform.State) error {
			if ticketLab.Sim.RequestCounts()["POST /access/ticket"] == 0 {
				return fmt.Errorf("ticketLogin: the provider never logged in with a ticket")
			}
			return nil
		}), ticketLogin.PostApplyPreRefresh...)
		steps = append(steps,
			resource.TestStep{
				// ticketLogin
				Config: fmt.Sprintf(`
provider "proxmoxsafe" {
  endpoint       = %q
  username       = "terraform@pve"
  password       = "correct horse"
  ca_certificate = %s
}
`, ticketLab.Endpoint(), heredoc(ticketLab.CACertPEM())) + readAllVMs,
				PlanOnly:         true,
				ConfigPlanChecks: ticketLogin,
			},
			resource.TestStep{
				// insecure
				Config: fmt.Sprintf(`
provider "proxmoxsafe" {
  endpoint  = %q
  api_token = %q
  insecure  = true
}
`, lab.Endpoint(), lab.Token()) + readAllVMs,
				PlanOnly:         true,
				ConfigPlanChecks: vmsListed,
			})
	}
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories, Steps: steps})
}

// Misconfiguration fails at plan time, before anything is read or created:
// one PlanOnly step per case, in this order (a failure names its step):
// endpoint not a URL, endpoint with another scheme, malformed token, both
// auth kinds, insecure with a CA certificate, unknown on_existing.
func TestAccProvider_invalidSettings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		block string
		want  string
	}{
		{ // endpoint not a URL
			block: `endpoint = "pve.example:8006"
  api_token = "root@pam!tf=secret"`,
			want: `(?s)Invalid provider setting endpoint.*PROXMOX_VE_ENDPOINT`,
		},
		{ // endpoint with another scheme
			block: `endpoint = "ftp://pve.example:8006"
  api_token = "root@pam!tf=secret"`,
			want: `(?s)Invalid provider setting endpoint`,
		},
		{ // malformed token
			block: `endpoint = "https://127.0.0.1:1"
  api_token = "just-a-secret"`,
			want: `(?s)Invalid provider setting api_token.*user@realm!tokenid=secret`,
		},
		{ // both auth kinds
			block: `endpoint = "https://127.0.0.1:1"
  api_token = "root@pam!tf=secret"
  username  = "root@pam"
  password  = "pw"`,
			want: `(?s)(Invalid Attribute Combination|Conflicting).*api_token`,
		},
		{ // insecure with a CA certificate
			block: `endpoint = "https://127.0.0.1:1"
  api_token = "root@pam!tf=secret"
  insecure = true
  ca_certificate = "x"`,
			want: `Invalid Attribute Combination`,
		},
		{ // unknown on_existing
			block: `endpoint = "https://127.0.0.1:1"
  api_token = "root@pam!tf=secret"
  on_existing = "replace"`,
			want: `(?s)on_existing.*value must be one of`,
		},
	}
	var steps []resource.TestStep
	for _, tc := range cases {
		steps = append(steps, resource.TestStep{
			Config:      "provider \"proxmoxsafe\" {\n  " + tc.block + "\n}\n" + readAllVMs,
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(tc.want),
		})
	}
	resource.UnitTest(t, resource.TestCase{ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories, Steps: steps})
}

// No endpoint set anywhere. It sets the environment, so it runs alone (not
// in parallel), and is kept apart from the parallel invalidSettings to keep
// that stretch short.
func TestAccProvider_missingEndpoint(t *testing.T) {
	t.Setenv("PROXMOX_VE_ENDPOINT", "")
	t.Setenv("PROXMOX_VE_API_TOKEN", "root@pam!tf=secret")
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      readAllVMs,
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)endpoint.*PROXMOX_VE_ENDPOINT.*not set`),
		}},
	})
}
