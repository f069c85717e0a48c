package provider

// This file owns the second half of the create marker's life: the
// "created, unconfirmed" marker. Create's last request replaces the
// "creating" marker (vm_create_marker.go) with it, and the first Read of
// the resource removes it. Only Terraform can confirm that it saved a VM,
// and it never tells the provider; but Terraform reads a resource only
// when the resource is in its state. So a VM whose create finished and
// that still carries the marker was either lost on the way into the state
// (the plugin or terraform was killed after PVE handled the create's last
// request and before the state was written), or its state was lost before
// any plan after the apply that created it. When the marker says it was
// written from this working directory and workspace, by a provider process
// that has ended, the next apply takes the VM back whatever on_existing
// says; a VM of another directory or workspace (a racing apply, another
// stack) stays "someone else's" and on_existing = "fail" refuses it.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

const createdMarkerPrefix = "proxmoxsafe-created."

// createdMarker is who finished creating a VM, from where, and when.
type createdMarker struct {
	Created time.Time
	// Terraform is the PID of the terraform that ran the creating provider
	// (its parent: terraform starts provider plugins as its children,
	// internal/command/meta_providers.go). Terraform, not the plugin, holds
	// the state lock and writes the state; a plugin can outlive a killed
	// terraform for a while, a terraform never outlives its apply.
	Terraform int
	// Workspace identifies the Terraform working directory and workspace
	// of the creating apply (see workspaceID).
	Workspace string
	Host      string
}

// The workspace comes before the host: a host name may hold dots.
var reCreatedTag = regexp.MustCompile(`^` + regexp.QuoteMeta(createdMarkerPrefix) +
	`([0-9]+)\.([0-9]+)\.([0-9a-f]{12})\.([a-z0-9_\-+.]+)$`)

// createdByThisProcess is the marker this process writes when it finishes
// a create.
func createdByThisProcess(now time.Time) createdMarker {
	return createdMarker{Created: now, Terraform: startedBy, Workspace: thisWorkspace(), Host: localHost()}
}

// startedBy is the terraform that started this provider process, read at
// start: a plugin orphaned by a killed terraform may still finish a create,
// and must name the terraform that is gone, not the process that adopted it.
var startedBy = os.Getppid()

// Tag is the marker as a PVE tag (pve-common PVE_TAG_RE, like the creating
// marker's).
func (m createdMarker) Tag() string {
	return fmt.Sprintf("%s%d.%d.%s.%s", createdMarkerPrefix, m.Created.Unix(), m.Terraform, m.Workspace, m.Host)
}

// createdMarkerOf finds the created marker among a VM's tags.
func createdMarkerOf(tags []string) (createdMarker, bool) {
	for _, t := range tags {
		m := reCreatedTag.FindStringSubmatch(strings.ToLower(t))
		if m == nil {
			continue
		}
		created, err1 := strconv.ParseInt(m[1], 10, 64)
		pid, err2 := strconv.Atoi(m[2])
		if err1 != nil || err2 != nil {
			continue
		}
		return createdMarker{Created: time.Unix(created, 0), Terraform: pid, Workspace: m[3], Host: m[4]}, true
	}
	return createdMarker{}, false
}

// lostFromThisWorkspace reports whether the VM is one this working
// directory and workspace created and never saw in its state: the creating
// terraform is gone (one of this workspace still running holds the state
// lock, and its VMs are its own). A marker of another host or workspace
// says nothing about this state.
func (m createdMarker) lostFromThisWorkspace() bool {
	return m.Host == localHost() && m.Workspace == thisWorkspace() && m.Terraform > 1 && !processAlive(m.Terraform)
}

// thisWorkspace identifies the Terraform working directory and workspace
// this provider serves; a seam for tests.
var thisWorkspace = sync.OnceValue(func() string {
	dir, err := os.Getwd()
	if err != nil {
		dir = "unknown"
	}
	return workspaceID(dir, os.Getenv)
})

// workspaceID is a short hash of a Terraform working directory and the
// workspace selected in it. Terraform starts provider plugins in its own
// working directory (internal/command/meta_providers.go: exec.Command
// without Dir; -chdir changes terraform's directory first), and reads the
// workspace from TF_WORKSPACE, else from the file "environment" in its
// data directory (TF_DATA_DIR, default .terraform), else "default"
// (internal/command/meta.go WorkspaceOverridden).
func workspaceID(dir string, getenv func(string) string) string {
	workspace := getenv("TF_WORKSPACE")
	if workspace == "" {
		dataDir := getenv("TF_DATA_DIR")
		if dataDir == "" {
			dataDir = ".terraform"
		}
		if !filepath.IsAbs(dataDir) {
			dataDir = filepath.Join(dir, dataDir)
		}
		b, _ := os.ReadFile(filepath.Join(dataDir, "environment"))
		workspace = string(bytes.TrimSpace(b))
	}
	if workspace == "" {
		workspace = "default"
	}
	sum := sha256.Sum256([]byte(dir + "\x00" + workspace))
	return hex.EncodeToString(sum[:6])
}

// markCreated replaces the VM's create markers (tag or description) with
// the created marker of this process: the last request of a create, and of
// taking back an interrupted one. known is the VM's config when the caller
// read it after its last config change (its digest still holds), else nil
// and the config is read.
func (r *vmResource) markCreated(ctx context.Context, node string, vmid int, known *pve.VM) error {
	vm := known
	if vm == nil {
		var err error
		if vm, err = r.data.client.GetVMConfig(ctx, node, vmid); err != nil {
			return err
		}
	}
	change := withoutMarkers(vm)
	*change.Tags = append(*change.Tags, createdByThisProcess(time.Now()).Tag())
	return r.data.client.ApplyConfigChange(ctx, node, vmid, change, vm.Digest)
}

// withoutMarkers is the change that takes every create marker off a VM:
// the marker tags, and a creating marker on the description's last line.
func withoutMarkers(vm *pve.VM) pve.ConfigChange {
	tags := userTags(vm.Tags)
	if tags == nil {
		tags = []string{}
	}
	change := pve.ConfigChange{Tags: &tags}
	if description, _, marked := splitDescriptionMarker(vm.Description); marked {
		change.Description = &description
	}
	return change
}

// markKeptVMCreated replaces the create marker of a VM that a failed create
// keeps in state (tainted) with the created marker, as a finished create
// does. The VM is in a state now: once this process is gone, its create
// marker would make it look like an interrupted create, which another
// working directory's apply with the name takes back (two states would hold
// it) or removes when it lost its name. Best effort, on a context of its
// own (the create's may be what expired); a VM PVE is still creating stays
// locked and keeps its marker.
func (r *vmResource) markKeptVMCreated(ctx context.Context, state *tfsdk.State) {
	if state.Raw.IsNull() {
		return
	}
	var kept vmResourceModel
	if state.Get(ctx, &kept).HasError() || kept.vmid() == 0 {
		return
	}
	probeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := r.markCreated(probeCtx, kept.Node.ValueString(), kept.vmid(), nil); err != nil {
		tflog.Warn(ctx, "could not mark the VM a failed create keeps in state as created", map[string]any{
			"vmid": kept.vmid(), "error": err.Error(),
		})
	}
}

// confirmCreated removes the create markers from a VM that Read found in
// state: Terraform saved it, so it is no longer a create to take back. That
// is the created marker of a finished create, and the creating marker of a
// VM a create kept in state while Proxmox VE was still creating it (a create
// timeout: markKeptVMCreated cannot write to a VM locked by its create),
// which would otherwise read as an interrupted create for good. It is one
// write per VM lifetime, with the digest Read just got, so a concurrent
// change wins; a locked VM waits for the next refresh. Tags apply at once
// even to a running VM (qemu-server PVE/QemuServer.pm $fast_plug_option),
// and GET .../pending, which Read uses for a running VM, carries the file's
// digest (pve-guest-common GuestHelpers.pm config_with_pending_array). A
// refused write (a read-only token) does not fail the refresh: the next one
// tries again, and until then only an apply of this workspace whose state
// lost the VM would take it back.
func (r *vmResource) confirmCreated(ctx context.Context, vm *pve.VM) {
	_, creating := markerOfVM(vm)
	if vm.Lock != "" || (!creating && len(markerTags(vm.Tags)) == 0) {
		return
	}
	// The cluster views this run already read may still show the marker;
	// harmless, as name decisions ignore the VMs of this state.
	err := r.data.client.ApplyConfigChange(ctx, vm.Node, vm.VMID, withoutMarkers(vm), vm.Digest)
	if err != nil {
		tflog.Debug(ctx, "could not remove the create markers; the next refresh tries again",
			map[string]any{"vmid": vm.VMID, "node": vm.Node, "error": err.Error()})
	}
}
