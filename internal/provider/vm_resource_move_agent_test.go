package provider_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// A VM Telmate/proxmox manages can have any agent trim and type: its
// proxmox_vm_qemu schema has only "agent" (0/1) and sends only the enable
// flag, and proxmox-api-go keeps the VM's fstrim_cloned_disks and type
// (QemuGuestAgent.mapToAPI with the current settings), e.g. a clone's from
// its template. The moved state cannot carry what Telmate never recorded
// (and a state mover gets no provider data to read the VM: the framework's
// MoveResourceState does not configure the resource): it holds PVE's
// defaults, which a plan with -refresh=false shows as an update. The plan's
// refresh reads them, so a configuration that states them plans no change,
// and the apply keeps them on the VM.
func TestAccVMResource_movedFromTelmateAgentOptions(t *testing.T) {
	t.Parallel()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	lab := acctest.NewEmpty(t)
	peers := acctest.PeerMirror(t, acctest.PeerTelmate)
	tf := acctest.NewTerraform(t, acctest.CLIConfig(t, acctest.LocalMirror(t), peers))

	agent := pve.Agent{Enabled: true, FstrimClonedDisks: true, Type: pve.AgentTypeISA}
	vm := createPeerVM(t, lab, lab.RandomName("moved-agent"), func(s *pve.CreateSpec) { s.Agent = &agent })
	state := telmateState(vm)
	state["agent"] = 1
	dir := writeMoveWorkspaceAgent(t, lab, acctest.PeerTelmate, "proxmox_vm_qemu", vm, state,
		`{ enabled = true, trim = true, type = "isa" }`)
	tf.MustRun(t, dir, "init", "-input=false", "-no-color")

	// The documented limit: without refresh, the mapped state alone.
	tf.MustRun(t, dir, "plan", "-input=false", "-no-color", "-refresh=false", "-out=tfplan")
	var unrefreshed planChanges
	if err := json.Unmarshal([]byte(tf.MustRun(t, dir, "show", "-json", "tfplan")), &unrefreshed); err != nil {
		t.Fatal(err)
	}
	defaults := map[string]any{"enabled": true, "trim": false, "type": "virtio", "wait_for_ip": nil}
	if len(unrefreshed.ResourceChanges) != 1 || strings.Join(unrefreshed.ResourceChanges[0].Change.Actions, ",") != "update" ||
		!jsonEqual(unrefreshed.ResourceChanges[0].Change.Before["agent"], defaults) {
		t.Errorf("-refresh=false: want an update from the moved agent %v, got %+v", defaults, unrefreshed.ResourceChanges)
	}

	out := tf.MustRun(t, dir, "plan", "-input=false", "-no-color", "-out=tfplan")
	var plan planChanges
	if err := json.Unmarshal([]byte(tf.MustRun(t, dir, "show", "-json", "tfplan")), &plan); err != nil {
		t.Fatal(err)
	}
	if len(plan.ResourceChanges) != 1 || strings.Join(plan.ResourceChanges[0].Change.Actions, ",") != "no-op" {
		t.Fatalf("the first plan after the move must change nothing:\n%s", out)
	}
	wantAgent := map[string]any{"enabled": true, "trim": true, "type": "isa", "wait_for_ip": nil}
	if got := plan.ResourceChanges[0].Change.After["agent"]; !jsonEqual(got, wantAgent) {
		t.Errorf("moved and refreshed agent = %v, want %v", got, wantAgent)
	}

	tf.MustRun(t, dir, "apply", "-input=false", "-no-color", "tfplan")
	if out, err := tf.Exec(dir, "plan", "-input=false", "-no-color", "-detailed-exitcode"); err != nil || !strings.Contains(out, "No changes.") {
		t.Errorf("after the move, plan should show no changes (%v):\n%s", err, out)
	}
	// The agent value the peer created the VM with, in the keys of
	// qemu-server src/PVE/QemuServer/Agent.pm $agent_fmt: the move and the
	// apply after it leave it as it was.
	const createdAgent = "enabled=1,fstrim_cloned_disks=1,type=isa"
	if got := onlyVMNamed(t, lab, vm.Name); got.Config["agent"] != createdAgent {
		t.Errorf("VM %d agent = %q after the move, want %q", got.VMID, got.Config["agent"], createdAgent)
	}
}

// jsonEqual compares two values decoded from JSON.
func jsonEqual(a, b any) bool {
	x, errA := json.Marshal(a)
	y, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(x) == string(y)
}
