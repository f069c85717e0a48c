package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// incidentName is one name the incident duplicated, as the team found it.
type incidentName struct {
	name  string
	vmids []int // every VM carrying the name
	keep  int   // the newest running one, which the team kept
}

var incident = []incidentName{
	{name: "monitoring-grafana", vmids: []int{110, 111, 115, 117, 122, 126}, keep: 126},
	{name: "monitoring-prometheus", vmids: []int{108, 112, 116, 121, 123}, keep: 123},
}

// duplicateGroup is one entry of proxmoxsafe_vm_duplicates.groups.
type duplicateGroup struct {
	Name         string            `json:"name"`
	Count        int               `json:"count"`
	KeepVMID     int               `json:"keep_vmid"`
	KeepImportID string            `json:"keep_import_id"`
	RemoveVMIDs  []int             `json:"remove_vmids"`
	Members      []duplicateMember `json:"members"`
}

type duplicateMember struct {
	VMID int    `json:"vmid"`
	Node string `json:"node"`
	Keep bool   `json:"keep"`
}

const act1HCL = `data "proxmoxsafe_vm_duplicates" "all" {}

output "groups" {
  value = data.proxmoxsafe_vm_duplicates.all.groups
}

output "totals" {
  value = {
    vms_scanned      = data.proxmoxsafe_vm_duplicates.all.vms_scanned
    names_duplicated = data.proxmoxsafe_vm_duplicates.all.names_duplicated
    vms_in_excess    = data.proxmoxsafe_vm_duplicates.all.vms_in_excess
  }
}
`

// actInventory lists the duplicated names with the data source.
func (d *demo) actInventory(ctx context.Context) error {
	d.say("Which names does more than one VM carry? The proxmoxsafe_vm_duplicates data source\nreads the whole cluster and proposes which VM of each name to keep.")
	dir, err := d.writeConfig("act1", act1HCL)
	if err != nil {
		return err
	}
	res, err := d.tf.run(ctx, dir, "apply", "-auto-approve", "-no-color")
	if err != nil {
		return err
	}
	if !res.ok() {
		d.show(res.Output)
		d.fail("terraform apply of the data source failed")
		return nil
	}
	d.show(summary(res.Output))
	outs, err := d.tf.outputs(ctx, dir)
	if err != nil {
		return err
	}
	var groups []duplicateGroup
	if err := json.Unmarshal(outs["groups"], &groups); err != nil {
		return fmt.Errorf("reading output groups: %w", err)
	}
	var totals struct {
		Scanned    int `json:"vms_scanned"`
		Duplicated int `json:"names_duplicated"`
		Excess     int `json:"vms_in_excess"`
	}
	if err := json.Unmarshal(outs["totals"], &totals); err != nil {
		return fmt.Errorf("reading output totals: %w", err)
	}
	printf(d.out, "\n")
	d.show(formatGroups(groups))
	d.say("  %d VMs scanned, %d names duplicated, %d VMs in excess.\n", totals.Scanned, totals.Duplicated, totals.Excess)
	d.checkIncidentGroups(groups)
	return nil
}

// formatGroups is the table of Act 1.
func formatGroups(groups []duplicateGroup) string {
	width := len("NAME")
	for _, g := range groups {
		width = max(width, len(g.Name))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-*s  %5s  %4s  %s\n", width, "NAME", "COUNT", "KEEP", "REMOVE")
	for _, g := range groups {
		fmt.Fprintf(&b, "%-*s  %5d  %4d  %s\n", width, g.Name, g.Count, g.KeepVMID, joinInts(g.RemoveVMIDs))
	}
	return b.String()
}

func (d *demo) checkIncidentGroups(groups []duplicateGroup) {
	for _, want := range incident {
		i := slices.IndexFunc(groups, func(g duplicateGroup) bool { return strings.EqualFold(g.Name, want.name) })
		if !d.expect(i >= 0, "%s is listed as duplicated", want.name) {
			continue
		}
		g := groups[i]
		members := append([]int{g.KeepVMID}, g.RemoveVMIDs...)
		slices.Sort(members)
		d.expect(g.Count == len(want.vmids) && slices.Equal(members, want.vmids),
			"%s: %d VMs (%s); the data source says %d (%s)", want.name, len(want.vmids), joinInts(want.vmids), g.Count, joinInts(members))
		d.expect(g.KeepVMID == want.keep, "%s: keep VMID %d, the newest running one (data source: %d)", want.name, want.keep, g.KeepVMID)
	}
}

// actIncident replays the apply that kept creating monitoring VMs.
func (d *demo) actIncident(ctx context.Context) error {
	const name = "monitoring-prometheus"
	before := d.vmids(name)
	d.say("The team's configuration, run against a cluster where the VM already exists\n(its state was reset). With another provider, this plan says \"1 to add\".")
	d.say("  Before: %d VMs named %s (VMIDs %s)", len(before), name, joinInts(before))
	dir, err := d.writeConfig("act2", fmt.Sprintf(`resource "proxmoxsafe_vm" "prometheus" {
  name = %q
  node = "pve"
}
`, name))
	if err != nil {
		return err
	}

	res, err := d.tf.run(ctx, dir, "plan", "-no-color")
	if err != nil {
		return err
	}
	d.show(diagnostics(res.Output))
	d.expect(!res.ok(), "terraform plan fails (exit code %d)", res.ExitCode)
	d.expect(containsText(res.Output, "Error: Several VMs already carry this name"), "the error says several VMs already carry the name")
	missing := []int{}
	for _, id := range before {
		if !regexp.MustCompile(fmt.Sprintf(`VMID %d\b`, id)).MatchString(res.Output) {
			missing = append(missing, id)
		}
	}
	d.expect(len(before) > 0 && len(missing) == 0, "the error lists all %d VMs (missing: [%s])", len(before), joinInts(missing))
	d.expect(containsText(res.Output, "proxmoxsafe_vm_duplicates"), "the error points at the proxmoxsafe_vm_duplicates data source")

	d.say("And the command the team actually ran:")
	res, err = d.tf.run(ctx, dir, "apply", "-auto-approve", "-no-color")
	if err != nil {
		return err
	}
	for _, s := range errorSummaries(res.Output) {
		d.show("Error: " + s)
	}
	d.expect(!res.ok(), "terraform apply fails too (exit code %d)", res.ExitCode)

	after := d.vmids(name)
	d.say("  After: %d VMs named %s (VMIDs %s)", len(after), name, joinInts(after))
	d.expect(slices.Equal(before, after), "nothing was created: %d VMs before, %d after", len(before), len(after))
	return nil
}

func webHCL(onExisting string) string {
	extra := ""
	if onExisting != "" {
		extra = fmt.Sprintf("\n  on_existing = %q\n", onExisting)
	}
	return fmt.Sprintf(`resource "proxmoxsafe_vm" "web" {
  name   = "demo-web"
  node   = "pve"
  memory = 1024
%s}

output "vmid" {
  value = proxmoxsafe_vm.web.vmid
}
`, extra)
}

// actStateLost loses the state of a fresh VM and applies again.
func (d *demo) actStateLost(ctx context.Context) error {
	const name = "demo-web"
	d.say("A new VM, created by Terraform:")
	dir, err := d.writeConfig("act3", webHCL(""))
	if err != nil {
		return err
	}
	vmid, err := d.applyVMID(ctx, dir, "terraform apply creates %s", name)
	if err != nil || vmid == 0 {
		return err
	}
	d.expect(slices.Equal(d.vmids(name), []int{vmid}), "the cluster has one VM named %s: VMID %d", name, vmid)

	// A state is lost after plans have run, as in the incident. A state
	// lost before any plan or refresh saw the new VM cannot be told apart
	// from an apply killed before it saved the VM: that VM is taken back.
	d.say("Later plans find nothing to change (the first one also confirms that the state holds the VM):")
	if err := d.expectNoChanges(ctx, dir); err != nil {
		return err
	}

	d.say("The state is lost (a reset, a deleted backend, a new workspace):")
	res, err := d.tf.run(ctx, dir, "state", "rm", "-no-color", "proxmoxsafe_vm.web")
	if err != nil {
		return err
	}
	d.show(summary(res.Output))
	if !d.expect(res.ok(), "the VM is no longer in the state") {
		d.show(res.Output)
		return nil
	}

	d.say("The next apply would create a second %s. Instead:", name)
	if d.statsLag > 0 {
		d.say("  (Like Proxmox VE, the simulator lists a VM created seconds ago without its name\n"+
			"  and with status \"unknown\" for %s. The provider reads such VMs' configuration,\n"+
			"  so even a VM created a moment ago is found.)", d.statsLag)
	}
	res, err = d.tf.run(ctx, dir, "apply", "-auto-approve", "-no-color")
	if err != nil {
		return err
	}
	d.show(diagnostics(res.Output))
	d.expect(!res.ok(), "terraform apply fails at plan time (exit code %d)", res.ExitCode)
	d.expect(containsText(res.Output, "Error: A VM with this name already exists"), "the error says a VM with this name already exists")
	d.expect(regexp.MustCompile(fmt.Sprintf(`VMID %d\b`, vmid)).MatchString(res.Output), "the error names VMID %d", vmid)
	d.expect(containsText(res.Output, "terraform import") && containsText(res.Output, "import {"),
		"the error shows how to import it (terraform import and an import block)")
	d.expect(slices.Equal(d.vmids(name), []int{vmid}), "still one VM named %s", name)

	d.say("Or let the resource take the existing VM over:")
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(webHCL("adopt")), 0o644); err != nil {
		return err
	}
	printf(d.out, "\n  act3/main.tf:\n")
	d.show(webHCL("adopt"))
	adopted, err := d.applyVMID(ctx, dir, "terraform apply adopts the existing VM")
	if err != nil || adopted == 0 {
		return err
	}
	d.say("  To Terraform the resource is new (\"1 added\"), but the provider took VMID %d over\n  instead of creating a VM.", adopted)
	d.expect(d.lastWarning != "", "the plan warns that the existing VM will be adopted")
	d.expect(adopted == vmid, "VMID before the state loss: %d, after adoption: %d", vmid, adopted)
	d.expect(slices.Equal(d.vmids(name), []int{vmid}), "the cluster still has exactly one VM named %s", name)
	return d.expectNoChanges(ctx, dir)
}

// applyVMID applies dir and returns its "vmid" output; 0 when the apply
// failed (recorded as a failed expectation).
func (d *demo) applyVMID(ctx context.Context, dir, format string, args ...any) (int, error) {
	res, err := d.tf.run(ctx, dir, "apply", "-auto-approve", "-no-color")
	if err != nil {
		return 0, err
	}
	d.show(summary(res.Output))
	if !d.expect(res.ok(), format, args...) {
		d.show(diagnostics(res.Output))
		return 0, nil
	}
	d.lastWarning = diagnostic(res.Output, "Warning: ")
	if d.lastWarning != "" {
		printf(d.out, "\n")
		d.show(d.lastWarning)
	}
	outs, err := d.tf.outputs(ctx, dir)
	if err != nil {
		return 0, err
	}
	var vmid int
	if err := json.Unmarshal(outs["vmid"], &vmid); err != nil {
		return 0, fmt.Errorf("reading output vmid: %w", err)
	}
	d.say("  VMID: %d", vmid)
	return vmid, nil
}

// expectNoChanges plans dir and expects the state to match the cluster.
func (d *demo) expectNoChanges(ctx context.Context, dir string) error {
	res, err := d.tf.run(ctx, dir, "plan", "-no-color", "-detailed-exitcode")
	if err != nil {
		return err
	}
	d.show(summary(res.Output))
	if !d.expect(res.ExitCode == 0, "a new plan has no changes (exit code %d)", res.ExitCode) {
		d.show(res.Output)
	}
	return nil
}

// warningBlocks returns the diagnostic boxes of out ("╷ ... ╵") whose
// text contains title.
func warningBlocks(out, title string) string {
	var blocks []string
	for _, part := range strings.Split(out, "╷")[1:] {
		box, _, _ := strings.Cut(part, "╵")
		if strings.Contains(box, title) {
			blocks = append(blocks, "╷"+box+"╵")
		}
	}
	return strings.Join(blocks, "\n")
}

var spaceRegexp = regexp.MustCompile(`\s+`)

// containsText reports whether s contains substr, ignoring how whitespace
// (line wrapping included) is laid out.
func containsText(s, substr string) bool {
	return strings.Contains(spaceRegexp.ReplaceAllString(s, " "), spaceRegexp.ReplaceAllString(substr, " "))
}

// checkCluster backs the demo's claim: the only VMs added are the ones Terraform
// was asked to create, and no name gained a duplicate.
func (d *demo) checkCluster(initial []pvesim.VM) {
	before, after := nameCounts(initial), nameCounts(d.sim.VMs())
	var grew []string
	for name, n := range after {
		if n > 1 && n > before[name] {
			grew = append(grew, fmt.Sprintf("%s (%d -> %d)", name, before[name], n))
		}
	}
	slices.Sort(grew)
	d.expect(len(grew) == 0, "no VM name gained a duplicate during the demo (grew: [%s])", strings.Join(grew, ", "))
	var created []string
	for _, vm := range d.sim.VMs() {
		if !slices.ContainsFunc(initial, func(o pvesim.VM) bool { return o.VMID == vm.VMID }) {
			created = append(created, fmt.Sprintf("%s (%d)", vm.Name, vm.VMID))
		}
	}
	d.expect(len(created) == 1 && strings.HasPrefix(created[0], "demo-web "),
		"the only VM created is demo-web: %d VMs before, %d after, new: [%s]", len(initial), len(d.sim.VMs()), strings.Join(created, ", "))
}

func nameCounts(vms []pvesim.VM) map[string]int {
	counts := map[string]int{}
	for _, vm := range vms {
		counts[strings.ToLower(vm.Name)]++
	}
	return counts
}
