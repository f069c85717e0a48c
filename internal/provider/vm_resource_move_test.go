package provider_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// The moved tests run terraform themselves: terraform-plugin-testing cannot
// start from a state that another provider wrote.

// peerVM is a VM another provider created through the API.
type peerVM struct {
	*pve.VM
}

// createPeerVM creates and starts a VM through the Proxmox VE API, as
// another provider would; options change the create request.
func createPeerVM(t *testing.T, lab *acctest.Lab, name string, options ...func(*pve.CreateSpec)) peerVM {
	t.Helper()
	client := apiClient(t, lab)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	spec := pve.CreateSpec{
		Node: lab.Node, Name: name, Description: "prometheus", Tags: []string{"monitoring", "prod"},
		Cores: 2, Sockets: 1, CPUType: "host", MemoryMB: 2048, OnBoot: true,
		Disks:    []pve.Disk{{Interface: "scsi0", Storage: lab.Storage, SizeGB: 8}},
		Networks: []pve.Network{{Interface: "net0", Model: "virtio", Bridge: lab.Bridge, VLAN: 10, Firewall: true}},
	}
	for _, option := range options {
		option(&spec)
	}
	vmid, err := acctest.CreateAtFreeVMID(ctx, client.NextID, func(ctx context.Context, vmid int) error {
		spec.VMID = vmid
		task, err := client.StartCreateVM(ctx, spec)
		if err != nil {
			return err
		}
		return client.Wait(ctx, task)
	})
	if err != nil {
		t.Fatalf("creating VM %q through the API: %s", name, err)
	}
	if err := client.StartVM(ctx, lab.Node, vmid); err != nil {
		t.Fatal(err)
	}
	vm, err := client.GetVM(ctx, lab.Node, vmid)
	if err != nil {
		t.Fatal(err)
	}
	return peerVM{vm}
}

func apiClient(t *testing.T, lab *acctest.Lab) *pve.Client {
	t.Helper()
	conn := lab.Connection()
	client, err := pve.NewClient(context.Background(), pve.Config{
		Endpoint: conn.Endpoint, APIToken: conn.APIToken, Username: conn.Username, Password: conn.Password,
		Insecure: conn.Insecure, CACertificatePEM: conn.CACertPEM, RequestTimeout: 30 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// bpgState is the proxmox_virtual_environment_vm state bpg/proxmox writes
// for vm (attribute names from its proxmoxtf/resource/vm schemas), with a
// few attributes proxmoxsafe_vm has no use for.
func bpgState(vm peerVM, extraDisks ...map[string]any) map[string]any {
	disks := []any{map[string]any{
		"interface": "scsi0", "datastore_id": vm.Disks[0].Storage, "size": 8, "path_in_datastore": vm.Disks[0].Volume,
		"file_format": "raw", "aio": "io_uring", "cache": "none", "iothread": false, "ssd": false,
	}}
	for _, d := range extraDisks {
		disks = append(disks, d)
	}
	return map[string]any{
		"id": fmt.Sprint(vm.VMID), "vm_id": vm.VMID, "node_name": vm.Node, "name": vm.Name,
		"description": "prometheus", "tags": []string{"monitoring", "prod"},
		"cpu":    []any{map[string]any{"cores": 2, "sockets": 1, "type": "host", "numa": false, "units": 1024}},
		"memory": []any{map[string]any{"dedicated": 2048, "floating": 0, "shared": 0}},
		"disk":   disks,
		"network_device": []any{map[string]any{
			"bridge": vm.Networks[0].Bridge, "model": "virtio", "mac_address": vm.Networks[0].MAC, "vlan_id": 10,
			"firewall": true, "enabled": true, "mtu": 0, "queues": 0, "rate_limit": 0,
		}},
		"on_boot": true, "started": true, "protection": false, "template": false,
		"smbios": []any{map[string]any{"uuid": vm.UUID}},
		"agent":  []any{map[string]any{"enabled": false, "trim": false, "type": "virtio"}},
		"bios":   "seabios", "scsi_hardware": "lsi", "machine": "", "operating_system": []any{map[string]any{"type": "other"}},
		"ipv4_addresses": []any{},
	}
}

// telmateState is the proxmox_vm_qemu state Telmate/proxmox v3 writes for vm
// (attribute names from proxmox/resource_vm_qemu.go and its guest schemas).
func telmateState(vm peerVM) map[string]any {
	return map[string]any{
		"id": fmt.Sprintf("%s/qemu/%d", vm.Node, vm.VMID), "vmid": vm.VMID, "target_node": vm.Node,
		"current_node": vm.Node, "name": vm.Name, "description": "prometheus", "tags": "monitoring;prod",
		"cpu":    []any{map[string]any{"cores": 2, "sockets": 1, "type": "host", "numa": false}},
		"memory": 2048,
		"disk": []any{
			map[string]any{"slot": "scsi0", "type": "disk", "storage": vm.Disks[0].Storage, "size": "8G"},
			map[string]any{"slot": "ide2", "type": "cloudinit", "storage": vm.Disks[0].Storage, "size": ""},
		},
		"network": []any{map[string]any{
			"id": 0, "bridge": vm.Networks[0].Bridge, "model": "virtio", "macaddr": vm.Networks[0].MAC, "tag": 10, "firewall": true,
		}},
		"start_at_node_boot": true, "power_state": "running", "protection": false,
		"smbios": []any{map[string]any{"uuid": vm.UUID}},
		"agent":  0, "bios": "seabios", "scsihw": "lsi",
	}
}

// writeMoveWorkspace writes a state holding the VM under the old type and a
// configuration that moves it to proxmoxsafe_vm.prom.
func writeMoveWorkspace(t *testing.T, lab *acctest.Lab, oldProvider, oldType string, vm peerVM, attrs map[string]any) string {
	t.Helper()
	return writeMoveWorkspaceAgent(t, lab, oldProvider, oldType, vm, attrs, "{ enabled = false }")
}

// writeMoveWorkspaceAgent is writeMoveWorkspace with the configuration's
// agent attribute.
func writeMoveWorkspaceAgent(t *testing.T, lab *acctest.Lab, oldProvider, oldType string, vm peerVM, attrs map[string]any, agent string) string {
	t.Helper()
	dir := t.TempDir()
	state := map[string]any{
		"version": 4, "terraform_version": "1.11.4", "serial": 1,
		"lineage": "4f1c8a52-6f0e-4b8e-9a3e-3f5d2c1b0a99", "outputs": map[string]any{},
		"resources": []any{map[string]any{
			"mode": "managed", "type": oldType, "name": "prom",
			"provider":  fmt.Sprintf("provider[%q]", oldProvider),
			"instances": []any{map[string]any{"schema_version": 0, "attributes": attrs, "sensitive_attributes": []any{}}},
		}},
	}
	raw, err := json.MarshalIndent(state, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	config := fmt.Sprintf(`terraform {
  required_providers {
    proxmoxsafe = { source = "proxmoxsafe/proxmoxsafe" }
  }
}

%s
resource "proxmoxsafe_vm" "prom" {
  name        = %q
  node        = %q
  description = "prometheus"
  tags        = ["monitoring", "prod"]
  memory      = 2048
  cpu         = { cores = 2, sockets = 1, type = "host", numa = false }
  disks       = { scsi0 = { storage = %q, size = 8 } }
  networks    = { net0 = { bridge = %q, vlan = 10, firewall = true } }
  on_boot     = true
  # What the old states record: the first plan compares it with them.
  bios          = "seabios"
  scsi_hardware = "lsi"
  agent         = %s
}

moved {
  from = %s.prom
  to   = proxmoxsafe_vm.prom
}
`, lab.ProviderBlock(), vm.Name, vm.Node, vm.Disks[0].Storage, vm.Networks[0].Bridge, agent, oldType)
	for file, content := range map[string][]byte{"terraform.tfstate": raw, "main.tf": []byte(config)} {
		if err := os.WriteFile(filepath.Join(dir, file), content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// planChanges is the part of `terraform show -json <plan>` the tests read.
type planChanges struct {
	ResourceChanges []struct {
		Address         string `json:"address"`
		PreviousAddress string `json:"previous_address"`
		Change          struct {
			Actions []string       `json:"actions"`
			Before  map[string]any `json:"before"`
			After   map[string]any `json:"after"`
		} `json:"change"`
	} `json:"resource_changes"`
}

func TestAccVMResource_movedFromPeers(t *testing.T) {
	t.Parallel()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	lab := acctest.NewEmpty(t)
	own := acctest.LocalMirror(t)
	peers := acctest.PeerMirror(t, acctest.PeerBPG, acctest.PeerTelmate)
	tf := acctest.NewTerraform(t, acctest.CLIConfig(t, own, peers))

	for _, tc := range []struct {
		name, provider, oldType string
		state                   func(peerVM) map[string]any
	}{
		{"bpg", acctest.PeerBPG, "proxmox_virtual_environment_vm", func(vm peerVM) map[string]any { return bpgState(vm) }},
		{"telmate", acctest.PeerTelmate, "proxmox_vm_qemu", telmateState},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vm := createPeerVM(t, lab, lab.RandomName("moved-"+tc.name))
			dir := writeMoveWorkspace(t, lab, tc.provider, tc.oldType, vm, tc.state(vm))
			oldAddr := tc.oldType + ".prom"

			tf.MustRun(t, dir, "init", "-input=false", "-no-color")
			// Without refresh the plan compares the configuration with the
			// mapped state alone; with refresh, with what PVE reports.
			for _, refresh := range []string{"-refresh=false", "-refresh=true"} {
				out := tf.MustRun(t, dir, "plan", "-input=false", "-no-color", refresh, "-out=tfplan")
				if !strings.Contains(out, oldAddr+" has moved to proxmoxsafe_vm.prom") {
					t.Errorf("%s: the plan does not show the move:\n%s", refresh, out)
				}
				var plan planChanges
				if err := json.Unmarshal([]byte(tf.MustRun(t, dir, "show", "-json", "tfplan")), &plan); err != nil {
					t.Fatal(err)
				}
				if len(plan.ResourceChanges) != 1 {
					t.Fatalf("%s: want one resource change, got %+v", refresh, plan.ResourceChanges)
				}
				rc := plan.ResourceChanges[0]
				if rc.Address != "proxmoxsafe_vm.prom" || rc.PreviousAddress != oldAddr {
					t.Errorf("%s: change of %s (previously %s), want proxmoxsafe_vm.prom moved from %s",
						refresh, rc.Address, rc.PreviousAddress, oldAddr)
				}
				if strings.Join(rc.Change.Actions, ",") != "no-op" {
					t.Errorf("%s: the first plan after the move must change nothing, got actions %v:\n%s",
						refresh, rc.Change.Actions, out)
				}
				if rc.Change.After["vmid"] != float64(vm.VMID) || rc.Change.After["uuid"] != vm.UUID {
					t.Errorf("%s: moved state is not VM %d (%s): %v", refresh, vm.VMID, vm.UUID, rc.Change.After)
				}
			}

			tf.MustRun(t, dir, "apply", "-input=false", "-no-color", "tfplan")
			out, err := tf.Exec(dir, "plan", "-input=false", "-no-color", "-detailed-exitcode")
			if err != nil || !strings.Contains(out, "No changes.") {
				t.Errorf("after the move, plan should show no changes (%v):\n%s", err, out)
			}
			vmCountIs(t, lab, vm.Name, 1)
			if got := onlyVMNamed(t, lab, vm.Name); got.VMID != vm.VMID || got.UUID != vm.UUID {
				t.Errorf("the VM was replaced: now %d (%s), was %d (%s)", got.VMID, got.UUID, vm.VMID, vm.UUID)
			}
		})
	}

	t.Run("unmappable state", func(t *testing.T) {
		vm := createPeerVM(t, lab, lab.RandomName("moved-twice"))
		attrs := bpgState(vm, map[string]any{"interface": "scsi0", "datastore_id": "local", "size": 16})
		dir := writeMoveWorkspace(t, lab, acctest.PeerBPG, "proxmox_virtual_environment_vm", vm, attrs)
		tf.MustRun(t, dir, "init", "-input=false", "-no-color")
		out, err := tf.Exec(dir, "plan", "-input=false", "-no-color")
		for _, want := range []string{"Cannot move proxmox_virtual_environment_vm", "several disks use interface scsi0",
			fmt.Sprintf("VM %d", vm.VMID), "removed {", "import {", fmt.Sprintf("id = %q", vm.Name)} {
			if err == nil || !strings.Contains(strings.Join(strings.Fields(out), " "), strings.Join(strings.Fields(want), " ")) {
				t.Errorf("plan should fail saying %q (%v):\n%s", want, err, out)
			}
		}
		vmCountIs(t, lab, vm.Name, 1)
	})

	t.Run("old provider required", func(t *testing.T) {
		// Terraform installs every provider the state names (command/init.go
		// merges state.ProviderRequirements()), even one only a moved block
		// still refers to: without the old provider, init fails.
		vm := createPeerVM(t, lab, lab.RandomName("moved-noinit"))
		dir := writeMoveWorkspace(t, lab, acctest.PeerBPG, "proxmox_virtual_environment_vm", vm, bpgState(vm))
		out, err := acctest.NewTerraform(t, acctest.CLIConfig(t, own)).Exec(dir, "init", "-input=false", "-no-color")
		if err == nil || !strings.Contains(out, "provider registry.terraform.io/bpg/proxmox was not found") {
			t.Errorf("init without the old provider should fail naming it (%v):\n%s", err, out)
		}
	})
}
