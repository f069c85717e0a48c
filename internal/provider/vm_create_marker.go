package provider

// This file owns the create marker: a tag written with every VM this
// provider creates and replaced, by Create's last request, with the
// "created, unconfirmed" marker that the first refresh removes
// (vm_created_marker.go). A VM whose create never finished (the plugin or
// terraform was killed) still carries it, so the next apply can tell
// "ours, unfinished" from "someone else's" or "a finished VM a state reset
// forgot".
//
// Why a tag: PVE keeps tags as written (lowercased, sorted: pve-guest-common
// GuestHelpers::get_unique_tags), accepts them in the create request
// (qemu-server PVE/API2/Qemu.pm create_vm: $conf->{tags} is written with the
// config, checked by assert_tag_permissions, which needs only
// VM.Config.Options for a free-form tag, the datacenter default
// "user-tag-access: free"), and they carry no meaning for the guest. The
// resource never shows the markers in `tags` and keeps them through every
// change but the ones that replace or remove them, so users see no drift. A config key
// of our own is impossible: PVE refuses unknown keys, and `description` is
// the user's.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

const createMarkerPrefix = "proxmoxsafe-creating."

// createMarker is who is creating a VM and until when it may try.
type createMarker struct {
	// Deadline is when the creating apply's create timeout ends: after it,
	// that apply has given up, alive or not.
	Deadline time.Time
	// PID and Host are the provider process that creates the VM.
	PID  int
	Host string
}

// PVE_TAG_RE (pve-common PVE/JSONSchema.pm) is [a-z0-9_][a-z0-9_\-\+\.]*, so
// the marker uses only those characters.
var (
	reMarkerTag   = regexp.MustCompile(`^` + regexp.QuoteMeta(createMarkerPrefix) + `([0-9]+)\.([0-9]+)\.([a-z0-9_\-+.]+)$`)
	reTagSanitize = regexp.MustCompile(`[^a-z0-9_\-+.]+`)
)

// thisProcess is the marker of a create that this process starts now.
func thisProcess(deadline time.Time) createMarker {
	return createMarker{Deadline: deadline, PID: os.Getpid(), Host: localHost()}
}

func localHost() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "unknown"
	}
	h = reTagSanitize.ReplaceAllString(strings.ToLower(h), "-")
	return strings.Trim(h, ".")
}

// Tag is the marker as a PVE tag.
func (m createMarker) Tag() string {
	return fmt.Sprintf("%s%d.%d.%s", createMarkerPrefix, m.Deadline.Unix(), m.PID, m.Host)
}

// markerOf finds the create marker among a VM's tags.
func markerOf(tags []string) (createMarker, bool) {
	for _, t := range tags {
		m := reMarkerTag.FindStringSubmatch(strings.ToLower(t))
		if m == nil {
			continue
		}
		deadline, err1 := strconv.ParseInt(m[1], 10, 64)
		pid, err2 := strconv.Atoi(m[2])
		if err1 != nil || err2 != nil {
			continue
		}
		return createMarker{Deadline: time.Unix(deadline, 0), PID: pid, Host: m[3]}, true
	}
	return createMarker{}, false
}

// isMarkerTag reports whether a tag is a create marker, creating or
// created (vm_created_marker.go), of any process.
func isMarkerTag(tag string) bool {
	t := strings.ToLower(tag)
	return strings.HasPrefix(t, createMarkerPrefix) || strings.HasPrefix(t, createdMarkerPrefix)
}

// userTags are a VM's tags without create markers.
func userTags(tags []string) []string {
	var out []string
	for _, t := range tags {
		if !isMarkerTag(t) {
			out = append(out, t)
		}
	}
	return out
}

// markerTags are the create markers among a VM's tags.
func markerTags(tags []string) []string {
	var out []string
	for _, t := range tags {
		if isMarkerTag(t) {
			out = append(out, t)
		}
	}
	return out
}

// processAlive tells whether a process of this host runs; a seam for tests.
var processAlive = func(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// abandoned reports whether the create that wrote m can no longer finish:
// its process on this host is gone, or its create timeout has passed.
// A create of another host that is still within its timeout may be running.
func (m createMarker) abandoned(now time.Time) bool {
	if now.After(m.Deadline) {
		return true
	}
	return m.Host == localHost() && m.PID > 0 && !processAlive(m.PID)
}

// String names the creator for messages.
func (m createMarker) String() string {
	return fmt.Sprintf("provider process %d on %s, create timeout until %s", m.PID, m.Host, m.Deadline.UTC().Format(time.RFC3339))
}

// creationOf is what a VM's tags say about its create, for the guard.
func creationOf(tags []string, now time.Time) guard.Creation {
	m, ok := markerOf(tags)
	return creation(m, ok, tags, now)
}

// creation is what a creating marker (ok: found) and otherwise the created
// marker among tags say about a VM's create.
func creation(m createMarker, ok bool, tags []string, now time.Time) guard.Creation {
	switch {
	case ok && m.abandoned(now):
		return guard.Unfinished
	case ok:
		return guard.Creating
	}
	if c, ok := createdMarkerOf(tags); ok && c.lostFromThisWorkspace() {
		return guard.Unconfirmed
	}
	return guard.Finished
}

// markerOfVM is the create marker of a VM read from PVE, if it has one: in
// its tags, or still in its description (a clone whose task has not ended
// or whose creator died before it moved the marker to the tags).
func markerOfVM(vm *pve.VM) (createMarker, bool) {
	if m, ok := markerOf(vm.Tags); ok {
		return m, true
	}
	return descriptionMarker(vm.Description)
}

// descriptionMarker is the create marker on a description's last line.
func descriptionMarker(description string) (createMarker, bool) {
	_, line, ok := splitDescriptionMarker(description)
	if !ok {
		return createMarker{}, false
	}
	return markerOf([]string{line})
}

// creationOfVM is what a VM's config says about its create, for the guard.
func creationOfVM(vm *pve.VM, now time.Time) guard.Creation {
	m, ok := markerOfVM(vm)
	return creation(m, ok, vm.Tags, now)
}

// A clone carries its create marker in its description until the clone
// task ends: PVE's clone takes no tags (qemu-server PVE/API2/Qemu.pm
// clone_vm: no tags parameter, additionalProperties 0; the clone copies the
// source's tags). It takes a description, and $clonefn puts name and
// description into the same $newconf that every write_config of the task
// writes: the clone never carries our name without the marker, even when
// terraform or the plugin is killed while PVE's task goes on. The marker is
// the description's last line.

// describeWithMarker is a description with the marker as its last line.
func describeWithMarker(description string, m createMarker) string {
	if description == "" {
		return m.Tag()
	}
	return description + "\n" + m.Tag()
}

// splitDescriptionMarker splits a create marker off the last line of a
// description: the user's description, the marker, and whether there was one.
func splitDescriptionMarker(description string) (string, string, bool) {
	rest, last := "", description
	if i := strings.LastIndexByte(description, '\n'); i >= 0 {
		rest, last = description[:i], description[i+1:]
	}
	if !reMarkerTag.MatchString(strings.ToLower(strings.TrimSpace(last))) {
		return description, "", false
	}
	return rest, strings.TrimSpace(last), true
}

// userDescription is a description without a create marker.
func userDescription(description string) string {
	d, _, _ := splitDescriptionMarker(description)
	return d
}

// markCreating moves the create marker of a clone whose task ended from its
// description to its tags, where the cluster list shows it to racing
// applies, and gives the clone back the description it is to have.
func (r *vmResource) markCreating(ctx context.Context, node string, vmid int, marker createMarker) error {
	vm, err := r.data.client.GetVMConfig(ctx, node, vmid)
	if err != nil {
		return err
	}
	tags := append(userTags(vm.Tags), marker.Tag())
	description := userDescription(vm.Description)
	return r.data.client.ApplyConfigChange(ctx, node, vmid, pve.ConfigChange{Tags: &tags, Description: &description}, vm.Digest)
}

// waitOthersCreate waits until the create of a VM that another apply of this
// provider is running settles: its marker is gone (finished), the VM is
// gone (it lost a race), or the creator can no longer finish. It returns
// the VM, or nil when it was removed.
func (r *vmResource) waitOthersCreate(ctx context.Context, node string, vmid int) (*pve.VM, error) {
	settle, cancel := context.WithTimeout(ctx, raceSettleTimeout)
	defer cancel()
	for {
		vm, err := r.data.client.GetVMConfig(ctx, node, vmid)
		if errors.Is(err, pve.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if m, ok := markerOfVM(vm); !ok || m.abandoned(time.Now()) {
			vm.Node = node
			return vm, nil
		}
		if err := sleepUntil(settle, time.Now().Add(lockPollInterval)); err != nil {
			return nil, fmt.Errorf("VM %d is still being created by another apply: %w", vmid, err)
		}
	}
}
