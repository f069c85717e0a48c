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

// cloudInitAt is cloudInitHCL as the block named res.
func cloudInitAt(res, name string, lines ...string) string {
	return relabel(cloudInitHCL(name, lines...), res)
}

// cloudInitConfigOf reads the cloud-init keys of the only VM named name.
func cloudInitConfigOf(t *testing.T, sim *pvesim.Server, name string) map[string]string {
	t.Helper()
	vm := onlyVMNamed(t, sim, name)
	return vm.Config
}

// The cloud-init scenarios share one incident cluster and one resource.Test
// (each a VM of its own, with its own resource address), so that their
// terraform runs are shared. Each former test's assertions are aimed at its
// own resource:
//
//   - cloudInitClone (proxmoxsafe_vm.clone): a clone of a cloud-init template
//     on another node too, converged before it starts: bigger disk,
//     cloud-init user, keys, password, DNS and addresses; then in-place
//     changes, the write-only password sent only when its version changes,
//     and an import that verifies. Plan-time errors first.
//   - clonedLongAgoImportsClean (proxmoxsafe_vm.old): a VM cloned long ago
//     with cloud-init, imported with a configuration that still says clone
//     and cloud_init: no change planned.
//   - cloudInitImportWithoutCloudInit (proxmoxsafe_vm.ciimp): importing a
//     cloud-init VM with a configuration that leaves cloud_init out plans
//     no change and writes nothing (see importWritesNothing).
//   - cloudInitAdopt (proxmoxsafe_vm.adopt): adoption converges cloud-init
//     of an existing VM, never re-creating it, and does not look for the
//     clone source it was made from.
//   - cloudInitDriveMove (proxmoxsafe_vm.move): moving the cloud-init drive
//     to another interface is an in-place update (see cloudInitDriveAt).
//
// The two imports have a step of their own: importWritesNothing counts
// every config write of the cluster during that step's apply.
func TestAccVMResource_cloudInit(t *testing.T) {
	t.Parallel()
	lab := acctest.New(t, pvesim.Options{Scenario: "incident"})
	sim := lab.RequireSim(t, "incident scenario, seeded cloud-init templates and VMs, their generated section and request counts")
	const (
		cloneAddr = "proxmoxsafe_vm.clone"
		oldAddr   = "proxmoxsafe_vm.old"
		ciimpAddr = "proxmoxsafe_vm.ciimp"
		adoptAddr = "proxmoxsafe_vm.adopt"
		moveAddr  = "proxmoxsafe_vm.move"
	)
	cloneName := acctest.RandomName("ci")
	oldName := acctest.RandomName("old")
	adoptName := acctest.RandomName("adopt-ci")
	moveName := acctest.RandomName("cimove")

	// clonedLongAgoImportsClean's VM, cloudInitAdopt's and
	// cloudInitImportWithoutCloudInit's.
	old := pvesim.CloudInitTemplate(4800, "pve", oldName)
	old.Template, old.Config["ide2"] = false, "local-lvm:vm-4800-cloudinit,media=cdrom"
	old.Config["scsi0"] = "local-lvm:vm-4800-disk-0,size=16G"
	old.Config["ciuser"], old.Config["sshkeys"] = "ops", "ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAAIKb%2Bx%2F9zZ0QmXcY%3D%20ops%40laptop%0A"
	adopt := pvesim.CloudInitTemplate(4900, "pve", adoptName)
	adopt.Template, adopt.Config["scsi0"] = false, "local-lvm:vm-4900-disk-0,size=16G"
	ciimpName, ciimp := importWithoutCloudInitVM()
	for _, vm := range []pvesim.VM{
		pvesim.CloudInitTemplate(9050, "pve", "debian-12-cloud"),
		pvesim.CloudInitTemplate(9051, "pve2", "debian-12-cloud"),
		old, adopt, ciimp,
	} {
		if err := sim.AddVM(vm); err != nil {
			t.Fatal(err)
		}
	}

	// cloudInitClone
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
	clone := func(lines ...string) string { return vmAt("clone", cloneName, "pve", lines...) }
	var hash string
	// clonedLongAgoImportsClean
	oldBody := cloudInitAt("old", oldName, `started = false`, fmt.Sprintf(`cloud_init = {
    user     = "ops"
    ssh_keys = [%q]
  }`, ciKey+"\n"))
	// cloudInitImportWithoutCloudInit
	ciimpBody := vmAt("ciimp", ciimpName, "pve", `started = false`)
	// cloudInitAdopt: cloned long ago from a template that is gone since.
	adoptBody := vmAt("adopt", adoptName, "pve", `on_existing = "adopt"`, `started = false`, `clone = { source = "gone-template" }`,
		`cloud_init = { user = "ops", ip_config = { net0 = { ipv4 = { address = "10.0.0.30/24", gateway = "10.0.0.1" } } } }`)
	// cloudInitDriveMove
	move := func(started bool, iface string, more ...string) string {
		return vmAt("move", moveName, lab.Node, append([]string{fmt.Sprintf("started = %t", started),
			`disks = { scsi0 = { storage = "local-lvm", size = 4 } }`, `networks = { net0 = { bridge = "vmbr0" } }`,
			fmt.Sprintf(`cloud_init = { drive = { interface = %q, storage = "local-lvm" }, user = "ops" }`, iface)}, more...)...)
	}
	driveIs := func(iface string) statecheck.StateCheck {
		return statecheck.ExpectKnownValue(moveAddr, tfjsonpath.New("cloud_init").AtMapKey("drive").AtMapKey("interface"), knownvalue.StringExact(iface))
	}
	update := func(addr string) plancheck.PlanCheck {
		return plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)
	}
	noop := func(addr string) plancheck.PlanCheck {
		return plancheck.ExpectResourceAction(addr, plancheck.ResourceActionNoop)
	}
	config := func(blocks ...string) string { return lab.Config(strings.Join(blocks, "\n")) }

	cloneV1 := cloudInitAt("clone", cloneName, ci("ops", ciKey+"\n", "10.0.0.1", 1))
	// The same password version sends no password even though password_wo differs.
	cloneSameVersion := strings.Replace(cloudInitAt("clone", cloneName, ci("ops2", ciKey+"\n\n", "10.0.0.2", 1)),
		ciPassword, "another-password", 1)
	cloneV2 := cloudInitAt("clone", cloneName, ci("ops2", ciKey+"\n", "10.0.0.2", 2))
	forgotten := forgetVMs("old", "ciimp", "adopt")
	// The plans after each apply are empty: the library checks it, so no
	// step repeats a configuration to expect that.
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProtoV6ProviderFactories,
		CheckDestroy:             resource.ComposeTestCheckFunc(checkNoVMNamed(sim, cloneName), checkNoVMNamed(sim, moveName)),
		Steps: []resource.TestStep{
			{
				// cloudInitClone: the template's disk is 8 GiB.
				Config: config(clone(`clone = { source = "debian-12-cloud" }`,
					`disks = { scsi0 = { storage = "local-lvm", size = 4 } }`)),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Disk smaller than the clone source's.*VMID 9050 .*disk scsi0 of 8 GiB.*says\s+4 GiB`),
			},
			{
				// cloudInitClone. API2/Qemu.pm clone_vm: "can't clone VM to
				// node 'pve2' (VM uses local storage)".
				Config:      config(vmAt("clone", cloneName, "pve2", `clone = { source = "9050" }`)),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Clone source on another node uses local storage.*scsi0 on local-lvm`),
			},
			{
				// cloudInitClone. API2/Qemu.pm clone_vm: "parameter 'storage'
				// not allowed for linked clones".
				Config:      config(clone(`clone = { source = "debian-12-cloud", full = false, storage = "local-lvm" }`)),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Storage of a linked clone.*not allowed for linked clones`),
			},
			{
				// cloudInitClone
				Config: config(cloudInitAt("clone", cloneName,
					`cloud_init = { ip_config = { net1 = { ipv4 = { address = "dhcp" } } } }`)),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)ip_config names no network of this VM.*networks has no net1`),
			},
			{
				// cloudInitClone
				Config: config(cloudInitAt("clone", cloneName,
					`cloud_init = { ip_config = { net0 = { ipv4 = { address = "dhcp", gateway = "10.0.0.1" } } } }`)),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`Gateway with a dynamic address`),
			},
			{
				// clonedLongAgoImportsClean and cloudInitImportWithoutCloudInit:
				// the imports plan no change and write nothing.
				PreConfig: sim.ResetRequestCounts,
				Config:    config(importAt("old", oldName), oldBody, importAt("ciimp", ciimpName), ciimpBody),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{noop(oldAddr), noop(ciimpAddr)},
					PostApplyPreRefresh: afterApply(func(*terraform.State) error {
						if vm, _ := sim.VM(4800); vm.Config["ciuser"] != "ops" {
							return fmt.Errorf("clonedLongAgoImportsClean: import changed the VM: %v", vm.Config)
						}
						return nil
					}, importWritesNothing(sim)),
				},
			},
			{
				// cloudInitClone creates its clone; cloudInitDriveMove its VM,
				// stopped, drive at ide2; cloudInitAdopt adopts;
				// cloudInitImportWithoutCloudInit: without the import block the
				// plan has no change for the VM.
				Config: config(cloneV1, move(false, "ide2"), adoptBody, oldBody, ciimpBody),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{passwordNowhere{}, noop(ciimpAddr), noop(oldAddr)},
					PostApplyPreRefresh: append(afterApply(func(*terraform.State) error {
						vm := onlyVMNamed(t, sim, cloneName)
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
								return fmt.Errorf("cloudInitClone: %s = %q, want %q", k, conf[k], v)
							}
						}
						if !strings.HasPrefix(conf["cipassword"], "$5$") {
							return fmt.Errorf("cloudInitClone: cipassword = %q, want PVE's SHA-256 crypt hash", conf["cipassword"])
						}
						if vm.Status != "running" || !strings.Contains(conf["scsi0"], "size=16G") {
							return fmt.Errorf("cloudInitClone: clone not converged and started: %s, scsi0 %s", vm.Status, conf["scsi0"])
						}
						if sec := sim.CloudInitSection(vm.VMID); len(sec) > 0 {
							return fmt.Errorf("cloudInitClone: cloud-init changes still pending against the drive: %v", sec)
						}
						hash = conf["cipassword"]
						return nil
					}, cloudInitDriveAt(t, sim, moveName, "ide2", 0), func(*terraform.State) error {
						vm, _ := sim.VM(4900)
						if vm.Config["ciuser"] != "ops" || vm.Config["ipconfig0"] != "ip=10.0.0.30/24,gw=10.0.0.1" {
							return fmt.Errorf("cloudInitAdopt: adoption did not converge cloud-init: %v", vm.Config)
						}
						return expectVMCount(sim, adoptName, 1)(nil)
					}), stateAfterApply(
						passwordNowhere{},
						statecheck.ExpectKnownValue(cloneAddr, tfjsonpath.New("clone"), knownvalue.Null()),
						statecheck.ExpectKnownValue(cloneAddr, tfjsonpath.New("cloud_init").AtMapKey("password_wo"), knownvalue.Null()),
						statecheck.ExpectKnownValue(cloneAddr, tfjsonpath.New("cloud_init").AtMapKey("ssh_keys"),
							knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact(ciKey + "\n")})),
						statecheck.ExpectKnownValue(cloneAddr, tfjsonpath.New("cloud_init").AtMapKey("drive"), knownvalue.ObjectExact(map[string]knownvalue.Check{
							"interface": knownvalue.StringExact("ide2"), "storage": knownvalue.StringExact("local-lvm"),
						})),
						statecheck.ExpectKnownValue(cloneAddr, tfjsonpath.New("disks").AtMapKey("scsi0").AtMapKey("size"), knownvalue.Int64Exact(16)),
						statecheck.ExpectKnownValue(adoptAddr, tfjsonpath.New("vmid"), knownvalue.Int64Exact(4900)),
						statecheck.ExpectKnownValue(adoptAddr, tfjsonpath.New("cloud_init").AtMapKey("upgrade"), knownvalue.Bool(true)),
					)),
				},
			},
			{
				// cloudInitClone: in place, on the running VM; the same
				// password version sends no password.
				// cloudInitDriveMove: on a stopped VM two config updates.
				// The others are forgotten, their VMs kept.
				Config: config(cloneSameVersion, move(false, "scsi1"), forgotten),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{update(cloneAddr), update(moveAddr)},
					PostApplyPreRefresh: append(afterApply(func(*terraform.State) error {
						conf := cloudInitConfigOf(t, sim, cloneName)
						if conf["ciuser"] != "ops2" || conf["nameserver"] != "10.0.0.2" || conf["cipassword"] != hash {
							return fmt.Errorf("cloudInitClone: ciuser %q nameserver %q, password resent: %v", conf["ciuser"], conf["nameserver"], conf["cipassword"] != hash)
						}
						if sec := sim.CloudInitSection(onlyVMNamed(t, sim, cloneName).VMID); len(sec) > 0 {
							return fmt.Errorf("cloudInitClone: the drive was not regenerated: %v", sec)
						}
						return nil
					}, cloudInitDriveAt(t, sim, moveName, "scsi1", 0)), stateAfterApply(driveIs("scsi1"))),
				},
			},
			{
				// cloudInitClone: a new password version sends the password.
				// cloudInitDriveMove: the VM starts.
				Config: config(cloneV2, move(true, "scsi1")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{passwordNowhere{}, update(cloneAddr)},
					PostApplyPreRefresh: append(afterApply(func(*terraform.State) error {
						if conf := cloudInitConfigOf(t, sim, cloneName); conf["cipassword"] == hash || !strings.HasPrefix(conf["cipassword"], "$5$") {
							return fmt.Errorf("cloudInitClone: a new password_wo_version did not send the password")
						}
						return nil
					}, cloudInitDriveAt(t, sim, moveName, "scsi1", 0)), stateAfterApply(passwordNowhere{})),
				},
			},
			{
				// cloudInitDriveMove: running, stopped for the move and
				// started again (the plan warns).
				Config: config(cloneV2, move(true, "ide2")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{update(moveAddr)},
					PostApplyPreRefresh: append(afterApply(cloudInitDriveAt(t, sim, moveName, "ide2", 1), restarts(sim, moveName, 0)),
						stateAfterApply(driveIs("ide2"), statecheck.ExpectKnownValue(moveAddr, tfjsonpath.New("status"), knownvalue.StringExact("running")),
							// cloudInitClone: an import that verifies. PVE keeps
							// no password version; the password is write-only.
							importVerified(t, lab, cloneAddr, cloneName, "cloud_init.password_wo_version"))),
				},
			},
			{
				// cloudInitDriveMove: reboot_after_update = false forbids the
				// restart: a plan-time error.
				Config:      config(cloneV2, move(true, "scsi1", "reboot_after_update = false")),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Moving the cloud-init drive needs a restart.*from ide2.*reboot_after_update\s+= false`),
			},
		},
	})
}
