package provider_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

const (
	ciPassword = "Pa55-w0rd-never-stored"
	ciKey      = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKb+x/9zZ0QmXcY= ops@laptop"
)

// passwordNowhere greps the JSON of a saved plan (terraform show -json
// <plan>) for the write-only password. The plan's "configuration" echoes
// the test's own HCL, where the password is a literal (a real
// configuration passes it in an ephemeral variable); everything the
// provider plans and stores must be free of it.
type passwordNowhere struct{}

func (passwordNowhere) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	plan := *req.Plan
	plan.Config = nil
	b, _ := json.Marshal(plan)
	if strings.Contains(string(b), ciPassword) {
		resp.Error = fmt.Errorf("the saved plan contains the write-only password")
	}
}

// CheckState greps the state (terraform show -json) for it.
func (passwordNowhere) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	b, _ := json.Marshal(req.State)
	if strings.Contains(string(b), ciPassword) {
		resp.Error = fmt.Errorf("the state contains the write-only password")
	}
}

func cloudInitHCL(name string, lines ...string) string {
	return vmHCL(name, "pve", append([]string{
		`clone = { source = "debian-12-cloud", storage = "local-lvm" }`,
		`disks = { scsi0 = { storage = "local-lvm", size = 16 } }`,
		`networks = { net0 = { bridge = "vmbr0" } }`,
	}, lines...)...)
}

// cloudInitConfigOf reads the cloud-init keys of the only VM named name.
func cloudInitConfigOf(t *testing.T, sim *pvesim.Server, name string) map[string]string {
	t.Helper()
	vm := onlyVMNamed(t, sim, name)
	return vm.Config
}

// A clone of a cloud-init template on another node too, converged before
// it starts: bigger disk, cloud-init user, keys, password, DNS and
// addresses; then in-place changes, the write-only password sent only when
// its version changes, and an import that verifies.
func TestAccVMResource_cloudInitClone(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{Scenario: "incident"})
	sim := lab.RequireSim(t, "incident scenario, a seeded cloud-init template and its generated section")
	name := acctest.RandomName("ci")
	for _, tmpl := range []pvesim.VM{
		pvesim.CloudInitTemplate(9050, "pve", "debian-12-cloud"),
		pvesim.CloudInitTemplate(9051, "pve2", "debian-12-cloud"),
	} {
		if err := sim.AddVM(tmpl); err != nil {
			t.Fatal(err)
		}
	}
	ci := func(user, key, dns string, version int) string {
		return fmt.Sprintf(`cloud_init = {
    user                = %q
    ssh_keys            = [%q]
    password_wo         = %q
    password_wo_version = %d
    dns                 = { servers = [%q], domain = "example.com" }
    ip_config           = { net0 = { ipv4 = { address = "10.0.0.20/24", gateway = "10.0.0.1" }, ipv6 = { address = "auto" } } }
    upgrade             = false
  }`, user, key, ciPassword, version, dns)
	}
	var hash string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             checkNoVMNamed(sim, name),
		Steps: []resource.TestStep{
			{
				// The template's disk is 8 GiB.
				Config: lab.Config(vmHCL(name, "pve", `clone = { source = "debian-12-cloud" }`,
					`disks = { scsi0 = { storage = "local-lvm", size = 4 } }`)),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Disk smaller than the clone source's.*VMID 9050 .*disk scsi0 of 8 GiB.*says\s+4 GiB`),
			},
			{
				// API2/Qemu.pm clone_vm: "can't clone VM to node 'pve2' (VM uses local storage)".
				Config:      lab.Config(vmHCL(name, "pve2", `clone = { source = "9050" }`)),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Clone source on another node uses local storage.*scsi0 on local-lvm`),
			},
			{
				// API2/Qemu.pm clone_vm: "parameter 'storage' not allowed for linked clones".
				Config:      lab.Config(vmHCL(name, "pve", `clone = { source = "debian-12-cloud", full = false, storage = "local-lvm" }`)),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Storage of a linked clone.*not allowed for linked clones`),
			},
			{
				Config: lab.Config(cloudInitHCL(name,
					`cloud_init = { ip_config = { net1 = { ipv4 = { address = "dhcp" } } } }`)),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)ip_config names no network of this VM.*networks has no net1`),
			},
			{
				Config: lab.Config(cloudInitHCL(name,
					`cloud_init = { ip_config = { net0 = { ipv4 = { address = "dhcp", gateway = "10.0.0.1" } } } }`)),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`Gateway with a dynamic address`),
			},
			{
				Config: lab.Config(cloudInitHCL(name, ci("ops", ciKey+"\n", "10.0.0.1", 1))),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{passwordNowhere{}}, PostApplyPreRefresh: afterApply(func(*terraform.State) error {
					vm := onlyVMNamed(t, sim, name)
					conf := vm.Config
					want := map[string]string{
						"ciuser": "ops", "nameserver": "10.0.0.1", "searchdomain": "example.com", "ciupgrade": "0",
						"ipconfig0": "ip=10.0.0.20/24,gw=10.0.0.1,ip6=auto",
						"sshkeys":   url.PathEscape(ciKey+"\n") + "",
						"ide2":      fmt.Sprintf("local-lvm:vm-%d-cloudinit,media=cdrom", vm.VMID),
					}
					want["sshkeys"] = strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D", "@", "%40").Replace(want["sshkeys"])
					for k, v := range want {
						if conf[k] != v {
							return fmt.Errorf("%s = %q, want %q", k, conf[k], v)
						}
					}
					if !strings.HasPrefix(conf["cipassword"], "$5$") {
						return fmt.Errorf("cipassword = %q, want PVE's SHA-256 crypt hash", conf["cipassword"])
					}
					if vm.Status != "running" || !strings.Contains(conf["scsi0"], "size=16G") {
						return fmt.Errorf("clone not converged and started: %s, scsi0 %s", vm.Status, conf["scsi0"])
					}
					if sec := sim.CloudInitSection(vm.VMID); len(sec) > 0 {
						return fmt.Errorf("cloud-init changes still pending against the drive: %v", sec)
					}
					hash = conf["cipassword"]
					return nil
				})},
				ConfigStateChecks: []statecheck.StateCheck{
					passwordNowhere{},
					statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("clone"), knownvalue.Null()),
					statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("cloud_init").AtMapKey("password_wo"), knownvalue.Null()),
					statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("cloud_init").AtMapKey("ssh_keys"),
						knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact(ciKey + "\n")})),
					statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("cloud_init").AtMapKey("drive"), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"interface": knownvalue.StringExact("ide2"), "storage": knownvalue.StringExact("local-lvm"),
					})),
					statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("disks").AtMapKey("scsi0").AtMapKey("size"), knownvalue.Int64Exact(16)),
				},
			},
			{
				// In place, on the running VM; the same password version
				// sends no password even though password_wo differs.
				Config: lab.Config(strings.Replace(cloudInitHCL(name, ci("ops2", ciKey+"\n\n", "10.0.0.2", 1)),
					ciPassword, "another-password", 1)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(vmAddr, plancheck.ResourceActionUpdate),
					},
					PostApplyPreRefresh: afterApply(func(*terraform.State) error {
						conf := cloudInitConfigOf(t, sim, name)
						if conf["ciuser"] != "ops2" || conf["nameserver"] != "10.0.0.2" || conf["cipassword"] != hash {
							return fmt.Errorf("ciuser %q nameserver %q, password resent: %v", conf["ciuser"], conf["nameserver"], conf["cipassword"] != hash)
						}
						if sec := sim.CloudInitSection(onlyVMNamed(t, sim, name).VMID); len(sec) > 0 {
							return fmt.Errorf("the drive was not regenerated: %v", sec)
						}
						return nil
					}),
				},
			},
			{
				Config: lab.Config(cloudInitHCL(name, ci("ops2", ciKey+"\n", "10.0.0.2", 2))),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						passwordNowhere{}, plancheck.ExpectResourceAction(vmAddr, plancheck.ResourceActionUpdate),
					},
					PostApplyPreRefresh: afterApply(func(*terraform.State) error {
						if conf := cloudInitConfigOf(t, sim, name); conf["cipassword"] == hash || !strings.HasPrefix(conf["cipassword"], "$5$") {
							return fmt.Errorf("a new password_wo_version did not send the password")
						}
						return nil
					}),
				},
				ConfigStateChecks: []statecheck.StateCheck{passwordNowhere{}},
			},
			{
				ResourceName:      vmAddr,
				ImportState:       true,
				ImportStateId:     name,
				ImportStateVerify: true,
				// PVE keeps no password version; the password is write-only.
				ImportStateVerifyIgnore: []string{"timeouts", "cloud_init.password_wo_version"},
			},
		},
	})
}

// A VM cloned long ago with cloud-init, imported with a configuration that
// still says clone and cloud_init: no change planned.
func TestAccVMResource_clonedLongAgoImportsClean(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{Scenario: "incident"})
	sim := lab.RequireSim(t, "incident scenario and a seeded cloud-init template")
	name := acctest.RandomName("old")
	old := pvesim.CloudInitTemplate(4800, "pve", name)
	old.Template, old.Config["ide2"] = false, "local-lvm:vm-4800-cloudinit,media=cdrom"
	old.Config["scsi0"] = "local-lvm:vm-4800-disk-0,size=16G"
	old.Config["ciuser"], old.Config["sshkeys"] = "ops", "ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAAIKb%2Bx%2F9zZ0QmXcY%3D%20ops%40laptop%0A"
	if err := sim.AddVM(pvesim.CloudInitTemplate(9050, "pve", "debian-12-cloud")); err != nil {
		t.Fatal(err)
	}
	if err := sim.AddVM(old); err != nil {
		t.Fatal(err)
	}
	body := cloudInitHCL(name, `started = false`, fmt.Sprintf(`cloud_init = {
    user     = "ops"
    ssh_keys = [%q]
  }`, ciKey+"\n"))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: lab.Config(fmt.Sprintf("import {\n  to = %s\n  id = %q\n}\n", vmAddr, name) + body),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(vmAddr, plancheck.ResourceActionNoop),
					},
					PostApplyPreRefresh: afterApply(func(*terraform.State) error {
						if vm, _ := sim.VM(4800); vm.Config["ciuser"] != "ops" {
							return fmt.Errorf("import changed the VM: %v", vm.Config)
						}
						return nil
					}),
				},
			},
			{Config: lab.Config(forgetVM)},
		},
	})
}

// Adoption converges cloud-init of an existing VM, never re-creating it,
// and does not look for the clone source it was made from.
func TestAccVMResource_cloudInitAdopt(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{Scenario: "incident"})
	sim := lab.RequireSim(t, "incident scenario and a seeded cloud-init template")
	name := acctest.RandomName("adopt-ci")
	old := pvesim.CloudInitTemplate(4900, "pve", name)
	old.Template, old.Config["scsi0"] = false, "local-lvm:vm-4900-disk-0,size=16G"
	if err := sim.AddVM(old); err != nil {
		t.Fatal(err)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// Cloned long ago from a template that is gone since.
				Config: lab.Config(vmHCL(name, "pve", `on_existing = "adopt"`, `started = false`, `clone = { source = "gone-template" }`,
					`cloud_init = { user = "ops", ip_config = { net0 = { ipv4 = { address = "10.0.0.30/24", gateway = "10.0.0.1" } } } }`)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("vmid"), knownvalue.Int64Exact(4900)),
					statecheck.ExpectKnownValue(vmAddr, tfjsonpath.New("cloud_init").AtMapKey("upgrade"), knownvalue.Bool(true)),
				},
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: afterApply(func(*terraform.State) error {
					vm, _ := sim.VM(4900)
					if vm.Config["ciuser"] != "ops" || vm.Config["ipconfig0"] != "ip=10.0.0.30/24,gw=10.0.0.1" {
						return fmt.Errorf("adoption did not converge cloud-init: %v", vm.Config)
					}
					return expectVMCount(sim, name, 1)(nil)
				})},
			},
			{Config: lab.Config(forgetVM)},
		},
	})
}
