package provider_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// The refresh that drops the stranger says who it is.
func TestAccVMResource_recycledVMIDWarningNamesStranger(t *testing.T) {
	t.Parallel()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	cli := acctest.NewCLI(t)
	lab := acctest.NewEmpty(t)
	name := lab.RandomName("ours")
	stranger := lab.RandomName("someone-elses-db")
	ctx := context.Background()
	dir := cli.Workdir(t, lab.Config(vmHCL(name, lab.Node, `started = false`)))
	if res, err := cli.Run(ctx, dir, "apply", "-auto-approve"); err != nil || res.ExitCode != 0 {
		t.Fatalf("apply: %v\n%s", err, res.Output)
	}
	vmid := onlyVMNamed(t, lab, name).VMID
	lab.ReuseVMID(t, vmid, pvesim.VM{Node: lab.Node, Name: stranger})
	for _, key := range []string{"smbios1", "meta"} {
		lab.SetVMConfig(t, vmid, key, "")
	}
	res, err := cli.Run(ctx, dir, "apply", "-refresh-only", "-auto-approve")
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("refresh: %v\n%s", err, res.Output)
	}
	want := regexp.MustCompile(fmt.Sprintf(`(?s)Warning: .*VMID %d now belongs to a different VM.*%s`, vmid, regexp.QuoteMeta(stranger)))
	if !want.MatchString(res.Output) {
		t.Fatalf("the refresh does not name the stranger:\n%s", res.Output)
	}
	if len(stateVMIDs(t, dir)) != 0 {
		t.Fatal("the stranger is still in state")
	}
}

// Strangers where our VMs were, one block per former test:
//   - recycledVMIDWithoutIdentity ("ours"): our VM is deleted by hand and
//     someone creates "someone-elses-db" with the same VMID, without smbios1
//     and without meta (qm create with --smbios1 and --meta left out is not
//     possible, but a restored or hand-edited config is). Its identity
//     cannot be proven, so it is not ours: refresh drops the resource, and
//     neither the plan nor destroy touches it; the configuration gets a new
//     VM. Before, refresh took it as ours, the plan renamed and reconfigured
//     it and destroy deleted it;
//   - destroyAfterNameTaken ("taken"): after our VM was deleted by hand and
//     another VM took its name, destroy succeeds and touches nothing.
//     Before, destroy failed with the create-time "already exists ...
//     import" error.
func TestAccVMResource_strangers(t *testing.T) {
	t.Parallel()
	lab := acctest.NewEmpty(t)
	name, taken := lab.RandomName("ours"), lab.RandomName("taken")
	stranger := lab.RandomName("someone-elses-db")
	var vmid, newcomer int
	untouched := func() error {
		vm, ok := lab.VM(vmid)
		if !ok || vm.Name != stranger || vm.Config["cores"] != "4" || vm.Config["memory"] != "8192" {
			return fmt.Errorf("the stranger holding VMID %d was changed or deleted: %+v", vmid, vm)
		}
		return nil
	}
	config := lab.Config(vmAt("ours", name, lab.Node, `started = false`) + vmAt("taken", taken, lab.Node, `started = false`))
	// The last step destroys everything, so the test's own destroy and its
	// CheckDestroy never run (terraform-plugin-testing skips them when the
	// state is empty): that step checks what its destroy left.
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: config},
			{
				PreConfig: func() {
					vmid = onlyVMNamed(t, lab, name).VMID
					lab.ReuseVMID(t, vmid, pvesim.VM{Node: lab.Node, Name: stranger, Status: "stopped",
						Config: map[string]string{"cores": "4", "memory": "8192"}})
					for _, key := range []string{"smbios1", "meta"} {
						lab.SetVMConfig(t, vmid, key, "")
					}
				},
				RefreshState:       true,
				ExpectNonEmptyPlan: true,
				Check:              func(*terraform.State) error { return untouched() },
			},
			{
				// "ours" gets a new VM; the stranger stays as it is.
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: afterApply(func(*terraform.State) error {
					if ours := onlyVMNamed(t, lab, name); ours.VMID == vmid {
						return fmt.Errorf("our VM reuses VMID %d", vmid)
					}
					return untouched()
				})},
			},
			{
				PreConfig: func() {
					ours := onlyVMNamed(t, lab, taken).VMID
					lab.RemoveVM(t, ours)
					newcomer = lab.AddVM(t, pvesim.VM{VMID: ours + 50, Node: lab.Node, Name: taken, Status: "running"}).VMID
				},
				Config:  config,
				Destroy: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: afterApply(func(*terraform.State) error {
					if vm, ok := lab.VM(newcomer); !ok || vm.Name != taken {
						return fmt.Errorf("destroy touched the newcomer VM %d: %+v", newcomer, vm)
					}
					return untouched()
				})},
			},
		},
	})
}
