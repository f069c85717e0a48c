package provider_test

import (
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// A VM can land on a recycled VMID. PVE's statistics are keyed by VMID and
// keep a destroyed VM's entry until the new VM's first update, for up to 5
// minutes (pve-cluster src/pmxcfs/status.c rrd_entry_is_old; pve-manager
// PVE/API2Tools.pm extract_vm_stats), so /cluster/resources lists the new VM
// under its predecessor's name. The name check must still see it and refuse
// a second VM with its name (issue 10). Deterministic: the VM is placed on
// the recycled VMID out of band, inside a statistics lag of an hour. Its
// tags are live (pve-manager PVE/API2/Cluster.pm resources:
// get_guest_config_properties), its listed name is not.
func TestAccVMResource_raceWinnerOnRecycledVMID(t *testing.T) {
	t.Parallel()
	// The racing apply of another working directory leaves its winner
	// finished, carrying the created marker
	// (proxmoxsafe-created.<unix>.<terraform pid>.<workspace>.<host>) until
	// its own next plan.
	marker := "proxmoxsafe-created." + strconv.FormatInt(time.Now().Unix(), 10) + ".4711.0123456789ab.racer-host"
	testNameOnRecycledVMID(t, "recycled-winner", map[string]string{"tags": marker})
}

// The same with a VM another tool made: no marker of ours tells that its
// listed name may be stale.
func TestAccVMResource_strangerOnRecycledVMID(t *testing.T) {
	t.Parallel()
	testNameOnRecycledVMID(t, "recycled-stranger", nil)
}

func testNameOnRecycledVMID(t *testing.T, prefix string, config map[string]string) {
	t.Helper()
	lab := acctest.New(t, pvesim.Options{StatsLag: time.Hour})
	sim := lab.RequireSim(t, "out-of-band VMID reuse inside the statistics lag")
	name := lab.RandomName(prefix)
	const vmid = 4242
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			PreConfig: func() {
				// The predecessor lived long enough for its statistics, then
				// was destroyed; the new VM took its VMID just now.
				if err := sim.AddVM(pvesim.VM{VMID: vmid, Node: lab.Node, Name: "old-tenant",
					CreatedAt: time.Now().Add(-time.Hour)}); err != nil {
					t.Fatal(err)
				}
				if _, _, _, ok := sim.VMStats(vmid); !ok {
					t.Fatal("the predecessor has no statistics; the test proves nothing")
				}
				sim.RemoveVM(vmid)
				if err := sim.AddVM(pvesim.VM{VMID: vmid, Node: lab.Node, Name: name, CreatedAt: time.Now(),
					Config: config}); err != nil {
					t.Fatal(err)
				}
				if shown, _, _, ok := sim.VMStats(vmid); !ok || shown != "old-tenant" {
					t.Fatalf("the lab does not show the predecessor's name for VM %d: %q %v", vmid, shown, ok)
				}
			},
			Config: lab.Config(vmHCL(name, lab.Node, `started = false`)),
			ExpectError: regexp.MustCompile(`(?s)A VM with this name already exists.*VMID ` + strconv.Itoa(vmid) +
				` on node ` + lab.Node),
		}},
	})
	if vm := onlyVMNamed(t, sim, name); vm.VMID != vmid {
		t.Fatalf("the only VM named %s is %d, want the winner %d", name, vm.VMID, vmid)
	}
}
