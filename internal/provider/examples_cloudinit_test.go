package provider_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// exampleBody is an example module's configuration without its terraform
// block (terraform.tf), which names the provider's registry address; the
// test serves the provider itself.
func exampleBody(t *testing.T, dir string) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(acctest.ModuleRoot(t), dir, "*.tf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no example in %s: %v", dir, err)
	}
	var b strings.Builder
	for _, f := range files {
		if filepath.Base(f) == "terraform.tf" {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(src)
		b.WriteString("\n")
	}
	return b.String()
}

// wholePlanWithout greps the whole saved plan, configuration included:
// the example passes the password in an ephemeral variable.
type wholePlanWithout string

func (s wholePlanWithout) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	if b, _ := json.Marshal(req.Plan); strings.Contains(string(b), string(s)) {
		resp.Error = fmt.Errorf("the saved plan contains the password")
	}
}

// The cloud-init clone example, applied against the simulator with a
// cloud-init template of the same name on two nodes.
func TestAccExamples_cloudInitClone(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{Scenario: "empty", Nodes: []string{"pve", "pve2"}})
	// The template on pve2 has local disks: PVE would refuse to clone it to
	// pve, so the one on pve is taken.
	sim := lab.RequireSim(t, "second node pve2 and seeded cloud-init templates")
	for _, tmpl := range []pvesim.VM{
		pvesim.CloudInitTemplate(9050, "pve2", "debian-12-cloud"),
		pvesim.CloudInitTemplate(9051, "pve", "debian-12-cloud"),
	} {
		if err := sim.AddVM(tmpl); err != nil {
			t.Fatal(err)
		}
	}
	const password = "example-Pa55word"
	vars := config.Variables{
		"node":           config.StringVariable("pve"),
		"ssh_public_key": config.StringVariable(ciKey + "\n"),
		"ops_password":   config.StringVariable(password),
	}
	cfg := lab.Config(exampleBody(t, "examples/resources/proxmoxsafe_vm/cloud-init-clone"))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkNoVMNamed(sim, "monitoring-prometheus"),
		Steps: []resource.TestStep{{
			Config:          cfg,
			ConfigVariables: vars,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{wholePlanWithout(password)},
				PostApplyPreRefresh: afterApply(func(*terraform.State) error {
					vm := onlyVMNamed(t, sim, "monitoring-prometheus")
					c := vm.Config
					if vm.Node != "pve" || c["ciuser"] != "ops" || !strings.HasPrefix(c["cipassword"], "$5$") ||
						c["ipconfig0"] != "ip=10.0.0.20/24,gw=10.0.0.1,ip6=auto" || !strings.Contains(c["scsi0"], "size=32G") {
						return fmt.Errorf("the example's VM is not what it says: node %s, %v", vm.Node, c)
					}
					return nil
				}),
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("proxmoxsafe_vm.prometheus", tfjsonpath.New("cloud_init").AtMapKey("user"), knownvalue.StringExact("ops")),
				statecheck.ExpectKnownValue("proxmoxsafe_vm.prometheus", tfjsonpath.New("status"), knownvalue.StringExact("running")),
			},
		}},
	})
}
