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
//     largest int and looked up;
//   - importContainer (simulator only: it seeds a container): importing
//     the VMID of a container, bare or as node/VMID, says it is a container.
//
// Against the simulator Terraform imports the clamped ID and node/VMID of
// the container; TestVMResource_importBadIDDirect sends the other IDs
// through the provider server. Against a lab Terraform imports every
// out-of-range ID.
func TestAccVMResource_importBadID(t *testing.T) {
	t.Parallel()
	lab := acctest.NewEmpty(t)
	ids := outOfRangeImportIDs(lab.Node)
	if lab.Sim != nil {
		ids = ids[:1]
	}
	var steps []resource.TestStep
	for _, id := range ids {
		steps = append(steps, resource.TestStep{
			PreConfig: func() {
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
	}
	if lab.Sim != nil {
		addContainer(t, lab)
		steps = append(steps, resource.TestStep{
			// The requests since the reset are those of the out-of-range import.
			PreConfig:     func() { noVMLookedUp(t, lab.Sim, ids[0]) },
			Config:        lab.Config(vmHCL("ct-web", lab.Node, `started = false`)),
			ResourceName:  vmAddr,
			ImportState:   true,
			ImportStateId: lab.Node + "/321",
			ExpectError:   reContainer,
		})
	}
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories, Steps: steps})
}

// outOfRangeImportIDs are import IDs outside PVE's VMID range (100 to
// 999999999), the first the one that was clamped and looked up.
func outOfRangeImportIDs(node string) []string {
	return []string{node + "/99999999999999999999", "99999999999999999999", node + "/99", "0100", node + "/1000000000"}
}

var (
	// reNotAVMID is the refusal of an import ID outside PVE's VMID range.
	reNotAVMID = regexp.MustCompile(`(?s)is\s+not\s+a\s+VMID.*100\s+to\s+999999999`)
	// reContainer is the refusal of the container addContainer seeds.
	reContainer = regexp.MustCompile(`(?is)321.*is a container`)
)

// addContainer seeds the container ct-web, VMID 321.
func addContainer(t *testing.T, lab *acctest.Lab) {
	t.Helper()
	if err := lab.Sim.AddVM(pvesim.VM{VMID: 321, Node: lab.Node, Name: "ct-web", Type: "lxc"}); err != nil {
		t.Fatal(err)
	}
}

// noVMLookedUp fails the test if the requests since the last reset read a
// VM.
func noVMLookedUp(t *testing.T, sim *pvesim.Server, id string) {
	t.Helper()
	for req := range sim.RequestCounts() {
		if strings.Contains(req, "{vmid}") {
			t.Errorf("import ID %q: a VM was looked up (%s)", id, req)
		}
	}
}

// The import IDs that TestAccVMResource_importBadID leaves to the provider
// server: the same refusals, and no VM looked up for the out-of-range IDs.
func TestVMResource_importBadIDDirect(t *testing.T) {
	t.Parallel()
	acctest.SkipInLab(t, "request counters and container seeding (a lab imports every out-of-range ID through Terraform)")
	lab := acctest.NewEmpty(t)
	addContainer(t, lab)
	p := configureDirect(t, lab, "")
	importError := func(id string) string {
		_, diags := p.importVM(id, nil)
		var text []string
		for _, d := range diags {
			if d.Severity == tfprotov6.DiagnosticSeverityError {
				text = append(text, d.Summary+"\n"+d.Detail)
			}
		}
		return strings.Join(text, "\n")
	}
	for _, id := range outOfRangeImportIDs(lab.Node)[1:] {
		lab.Sim.ResetRequestCounts()
		if msg := importError(id); !reNotAVMID.MatchString(msg) {
			t.Errorf("import ID %q: errors %q, want %s", id, msg, reNotAVMID)
		}
		noVMLookedUp(t, lab.Sim, id)
	}
	if msg := importError("321"); !reContainer.MatchString(msg) {
		t.Errorf("import ID 321: errors %q, want %s", msg, reContainer)
	}
}
