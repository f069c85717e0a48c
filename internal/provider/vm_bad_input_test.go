package provider_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// An endpoint with an extra path is a configuration error that names the
// expected form; one with a query string is refused without repeating it.
func TestAccProvider_endpointPathAndQuery(t *testing.T) {
	t.Parallel()
	lab := acctest.NewEmpty(t)
	root := strings.TrimSuffix(strings.TrimRight(lab.Connection().Endpoint, "/"), "/api2/json")
	host := strings.TrimPrefix(root, "https://")
	withEndpoint := func(endpoint string) string {
		body := vmHCL("never-created", lab.Node, `started = false`)
		if lab.Sim == nil { // a lab's provider block takes its endpoint from PROXMOX_VE_ENDPOINT
			return lab.Config(body, fmt.Sprintf("endpoint = %q", endpoint))
		}
		return strings.Replace(lab.Config(body), `endpoint  = "`+lab.Endpoint()+`"`, `endpoint  = "`+endpoint+`"`, 1)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      withEndpoint(root + "/pve"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)extra\s+path.*use\s+the\s+server\s+root,\s+e\.g\.\s+https://` + regexp.QuoteMeta(host)),
			},
			{
				Config:      withEndpoint(root + "/?ticket=hunter2"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`must\s+not\s+contain\s+a\s+query\s+string`),
			},
		},
	})
	// ExpectError cannot assert an absence: run the query case once more
	// and read the whole output.
	// Terraform itself quotes the configuration line the error points at
	// (lines of the form "  12:   endpoint = ..."); the provider's message
	// must not repeat it anywhere else.
	out := planError(t, withEndpoint(root+"/?ticket=hunter2"))
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "hunter2") && !regexp.MustCompile(`^[│ ]*[0-9]+:\s+endpoint\s+=`).MatchString(line) {
			t.Fatalf("the error repeats the endpoint's query string:\n%s", out)
		}
	}
}

// planError runs terraform plan on config and returns its whole output.
func planError(t *testing.T, config string) string {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	cli := acctest.NewCLI(t)
	res, err := cli.Run(context.Background(), cli.Workdir(t, config), "plan")
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode == 0 {
		t.Fatalf("plan succeeded:\n%s", res.Output)
	}
	return res.Output
}

// Import IDs that name no VM are refused as what they are, each an import
// step of one test. Former tests:
//   - importIDOutOfRange: IDs outside PVE's VMID range are refused and no VM
//     is looked up; before, "pve/99999999999999999999" was clamped to the
//     largest int and looked up. Against the simulator Terraform imports
//     that one; TestVMResource_importIDOutOfRangeDirect sends the others
//     through the provider server;
//   - importContainer (simulator only: it seeds a container): importing
//     the VMID of a container, bare or as node/VMID, says it is a container.
func TestAccVMResource_importBadID(t *testing.T) {
	t.Parallel()
	lab := acctest.NewEmpty(t)
	// noVMLookedUp fails the test if the requests since the last reset read
	// a VM (a real cluster counts no requests).
	noVMLookedUp := func(id string) {
		if lab.Sim == nil {
			return
		}
		for req := range lab.Sim.RequestCounts() {
			if strings.Contains(req, "{vmid}") {
				t.Errorf("import ID %q: a VM was looked up (%s)", id, req)
			}
		}
	}
	var steps []resource.TestStep
	previous := ""
	ids := outOfRangeImportIDs(lab.Node)
	if lab.Sim != nil {
		ids = ids[:1]
	}
	for _, id := range ids {
		checked := previous
		steps = append(steps, resource.TestStep{
			PreConfig: func() {
				if checked != "" {
					noVMLookedUp(checked)
				}
				if lab.Sim != nil {
					lab.Sim.ResetRequestCounts()
				}
			},
			Config:        lab.Config(vmHCL("imported", lab.Node, `started = false`)),
			ResourceName:  vmAddr,
			ImportState:   true,
			ImportStateId: id,
			ExpectError:   reNotAVMID,
		})
		previous = id
	}
	last := previous
	if lab.Sim != nil {
		if err := lab.Sim.AddVM(pvesim.VM{VMID: 321, Node: lab.Node, Name: "ct-web", Type: "lxc"}); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"321", lab.Node + "/321"} {
			steps = append(steps, resource.TestStep{
				PreConfig: func() {
					if last != "" {
						noVMLookedUp(last)
						last = ""
					}
				},
				Config:        lab.Config(vmHCL("ct-web", lab.Node, `started = false`)),
				ResourceName:  vmAddr,
				ImportState:   true,
				ImportStateId: id,
				ExpectError:   regexp.MustCompile(`(?is)321.*is a container`),
			})
		}
	}
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories, Steps: steps})
	if last != "" {
		noVMLookedUp(last)
	}
}

// outOfRangeImportIDs are import IDs outside PVE's VMID range (100 to
// 999999999), the first the one that was clamped and looked up.
func outOfRangeImportIDs(node string) []string {
	return []string{node + "/99999999999999999999", "99999999999999999999", node + "/99", "0100", node + "/1000000000"}
}

// reNotAVMID is the refusal of an import ID outside PVE's VMID range.
var reNotAVMID = regexp.MustCompile(`(?s)is\s+not\s+a\s+VMID.*100\s+to\s+999999999`)

// The out-of-range import IDs that TestAccVMResource_importBadID leaves to
// the provider server: the same refusal, and no VM looked up.
func TestVMResource_importIDOutOfRangeDirect(t *testing.T) {
	t.Parallel()
	acctest.SkipInLab(t, "request counters (a lab imports every ID through Terraform)")
	lab := acctest.NewEmpty(t)
	p := configureDirect(t, lab, "")
	for _, id := range outOfRangeImportIDs(lab.Node)[1:] {
		lab.Sim.ResetRequestCounts()
		_, diags := p.importVM(id, nil)
		var text []string
		for _, d := range diags {
			if d.Severity == tfprotov6.DiagnosticSeverityError {
				text = append(text, d.Summary+"\n"+d.Detail)
			}
		}
		if msg := strings.Join(text, "\n"); !reNotAVMID.MatchString(msg) {
			t.Errorf("import ID %q: errors %q, want %s", id, msg, reNotAVMID)
		}
		for req := range lab.Sim.RequestCounts() {
			if strings.Contains(req, "{vmid}") {
				t.Errorf("import ID %q: a VM was looked up (%s)", id, req)
			}
		}
	}
}
