package provider_test

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// A data source read proves the provider configured and authenticated.
const readAllVMs = `
data "proxmoxsafe_vms" "all" {}
`

var checkVMsListed = resource.TestCheckResourceAttrSet("data.proxmoxsafe_vms.all", "vms.0.vmid")

func heredoc(pem string) string {
	return "<<-EOT\n" + strings.TrimSpace(pem) + "\nEOT"
}

func TestAccProvider_apiTokenWithCACertificate(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{Scenario: "incident"})
	// A lab cluster may hold no VM yet: one to list.
	lab.AddVM(t, pvesim.VM{VMID: 4000, Name: lab.RandomName("listed"), Status: "stopped"})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: lab.Config(readAllVMs),
			Check:  checkVMsListed,
		}},
	})
}

func TestAccProvider_ticketLogin(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{Scenario: "incident", User: "terraform@pve", Password: "correct horse"})
	sim := lab.RequireSim(t, "ticket-login user terraform@pve and request counters")
	provider := fmt.Sprintf(`
provider "proxmoxsafe" {
  endpoint       = %q
  username       = "terraform@pve"
  password       = "correct horse"
  ca_certificate = %s
}
`, lab.Endpoint(), heredoc(lab.CACertPEM()))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: provider + readAllVMs,
			Check: resource.ComposeTestCheckFunc(checkVMsListed, func(*terraform.State) error {
				if sim.RequestCounts()["POST /access/ticket"] == 0 {
					return fmt.Errorf("the provider never logged in with a ticket")
				}
				return nil
			}),
		}},
	})
}

func TestAccProvider_insecure(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{Scenario: "incident"})
	lab.RequireSim(t, "self-signed certificate (the test trusts none)")
	provider := fmt.Sprintf(`
provider "proxmoxsafe" {
  endpoint  = %q
  api_token = %q
  insecure  = true
}
`, lab.Endpoint(), lab.Token())
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps:                    []resource.TestStep{{Config: provider + readAllVMs, Check: checkVMsListed}},
	})
}

func TestAccProvider_untrustedCertificate(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{Scenario: "incident"})
	lab.RequireSim(t, "self-signed certificate (the test trusts none)")
	provider := fmt.Sprintf(`
provider "proxmoxsafe" {
  endpoint  = %q
  api_token = %q
}
`, lab.Endpoint(), lab.Token())
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      provider + readAllVMs,
			ExpectError: regexp.MustCompile(`(?s)certificate signed by unknown authority.*ca_certificate.*PROXMOX_VE_CA_CERTIFICATE`),
		}},
	})
}

// A closed port on loopback: the error says which setting to check.
func TestAccProvider_connectionRefused(t *testing.T) {
	t.Parallel()
	acctest.SkipUnlessAcceptance(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "https://" + l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	provider := fmt.Sprintf(`
provider "proxmoxsafe" {
  endpoint    = %q
  api_token   = %q
  max_retries = 0
}
`, endpoint, pvesim.DevToken)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      provider + readAllVMs,
			ExpectError: regexp.MustCompile(`(?s)Nothing accepted the connection.*connection refused.*endpoint.*PROXMOX_VE_ENDPOINT`),
		}},
	})
}

func TestAccProvider_wrongToken(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{Scenario: "incident"})
	provider := lab.ProviderBlockWithToken("root@pam!proxmoxsafe=wrong-secret-value")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      provider + readAllVMs,
			ExpectError: regexp.MustCompile(`(?s)rejected the provider's\s+credentials.*PROXMOX_VE_API_TOKEN`),
		}},
	})
}

// Misconfiguration fails at plan time, before anything is read or created.
func TestAccProvider_invalidSettings(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		block string
		want  string
	}{
		"endpoint not a URL": {
			block: `endpoint = "pve.example:8006"
  api_token = "root@pam!tf=secret"`,
			want: `(?s)Invalid provider setting endpoint.*PROXMOX_VE_ENDPOINT`,
		},
		"endpoint with another scheme": {
			block: `endpoint = "ftp://pve.example:8006"
  api_token = "root@pam!tf=secret"`,
			want: `(?s)Invalid provider setting endpoint`,
		},
		"malformed token": {
			block: `endpoint = "https://127.0.0.1:1"
  api_token = "just-a-secret"`,
			want: `(?s)Invalid provider setting api_token.*user@realm!tokenid=secret`,
		},
		"both auth kinds": {
			block: `endpoint = "https://127.0.0.1:1"
  api_token = "root@pam!tf=secret"
  username  = "root@pam"
  password  = "pw"`,
			want: `(?s)(Invalid Attribute Combination|Conflicting).*api_token`,
		},
		"insecure with a CA certificate": {
			block: `endpoint = "https://127.0.0.1:1"
  api_token = "root@pam!tf=secret"
  insecure = true
  ca_certificate = "x"`,
			want: `Invalid Attribute Combination`,
		},
		"unknown on_existing": {
			block: `endpoint = "https://127.0.0.1:1"
  api_token = "root@pam!tf=secret"
  on_existing = "replace"`,
			want: `(?s)on_existing.*value must be one of`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resource.UnitTest(t, resource.TestCase{
				ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      "provider \"proxmoxsafe\" {\n  " + tc.block + "\n}\n" + readAllVMs,
					PlanOnly:    true,
					ExpectError: regexp.MustCompile(tc.want),
				}},
			})
		})
	}
}

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
