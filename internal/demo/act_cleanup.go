package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/recoveryexample"
)

// managedOutputHCL is the demo's own addition to the guide's example: the
// VMIDs Terraform manages again, for the expectations below.
const managedOutputHCL = `output "managed" {
  value = { for k, vm in proxmoxsafe_vm.monitoring : k => vm.vmid }
}
`

// guideFiles is the recovery guide's example at step, with the demo's
// output; the demo's provider.tf replaces the example's terraform.tf.
func (d *demo) guideFiles(step recoveryexample.Step) (map[string]string, error) {
	files, err := recoveryexample.Files(d.root, step)
	if err != nil {
		return nil, err
	}
	files["outputs.tf"] = managedOutputHCL
	return files, nil
}

// actCleanup plays the recovery guide (examples/guides/recover-from-state-loss)
// step by step: step 1 imports the VM to keep of every duplicated name and
// every other VM as it is.
func (d *demo) actCleanup(ctx context.Context) error {
	d.say("Rebuild the lost state from the cluster, as the recovery guide does: next to the\nstack's main.tf, recovery.tf imports the VM to keep of each name and every other\nVM as it is, driven by the data source.")
	files, err := d.guideFiles(recoveryexample.Import)
	if err != nil {
		return err
	}
	dir, err := d.writeFiles("act4", files)
	if err != nil {
		return err
	}
	res, err := d.tf.run(ctx, dir, "apply", "-auto-approve", "-no-color")
	if err != nil {
		return err
	}
	d.show(summary(res.Output))
	extras := 0
	for _, g := range incident {
		extras += len(g.vmids) - 1
	}
	imported := regexp.MustCompile(fmt.Sprintf(`Resources: %d imported, 0 added, \d+ changed, 0 destroyed`, len(incident)+extras))
	if !d.expect(res.ok() && imported.MatchString(res.Output),
		"terraform apply imports the %d VMs to keep and the %d others, and creates or destroys none", len(incident), extras) {
		d.show(res.Output)
		return nil
	}
	outs, err := d.tf.outputs(ctx, dir)
	if err != nil {
		return err
	}
	var managed map[string]int
	if err := json.Unmarshal(outs["managed"], &managed); err != nil {
		return fmt.Errorf("reading output managed: %w", err)
	}
	for _, want := range incident {
		d.expect(managed[want.name] == want.keep, "%s is managed by Terraform again: VMID %d", want.name, managed[want.name])
	}
	if err := d.expectNoChanges(ctx, dir); err != nil {
		return err
	}
	return d.removeExtras(ctx, dir, extras)
}

// removeExtras plays steps 2 to 4 of the guide: the extras' import block and
// resource are deleted from recovery.tf, so Terraform destroys them. Two have
// a disk on the pool that cannot be imported: as in Proxmox VE, their destroy
// succeeds with a warning that names the volume left behind and how to free
// it. Then recovery.tf goes, and the plan shows no changes.
func (d *demo) removeExtras(ctx context.Context, dir string, extras int) error {
	d.say("Step 2 of the guide: delete the extras' import block and resource from\nrecovery.tf. Terraform destroys them.")
	files, err := d.guideFiles(recoveryexample.RemoveExtras)
	if err != nil {
		return err
	}
	if err := d.rewriteFiles(dir, files); err != nil {
		return err
	}
	res, err := d.tf.run(ctx, dir, "apply", "-auto-approve", "-no-color")
	if err != nil {
		return err
	}
	d.show(summary(res.Output))
	destroyed := fmt.Sprintf("Resources: 0 added, 0 changed, %d destroyed", extras)
	if !d.expect(res.ok() && strings.Contains(res.Output, destroyed), "terraform apply destroys the %d other VMs", extras) {
		d.show(res.Output)
		return nil
	}
	leftNote := regexp.MustCompile(`(?s)Warning: VM destroyed, disks left behind.*pvesm free downloads:vm-1(08|11)-disk-1`)
	if d.expect(leftNote.MatchString(res.Output), "the two VMs with a disk on the broken pool are gone; the warning names the volumes and the command to free them") {
		d.show(warningBlocks(res.Output, "Warning: VM destroyed, disks left behind"))
	}
	for _, g := range incident {
		d.expect(slices.Equal(d.vmids(g.name), []int{g.keep}), "one VM named %s is left: %d", g.name, g.keep)
	}
	d.say("Step 4: delete recovery.tf. The stack is managed again, one VM per name.")
	if files, err = d.guideFiles(recoveryexample.Stack); err != nil {
		return err
	}
	if err := d.rewriteFiles(dir, files); err != nil {
		return err
	}
	return d.expectNoChanges(ctx, dir)
}
