package pve

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// defaultShutdownTimeout is used when ShutdownVM gets no timeout.
const defaultShutdownTimeout = 3 * time.Minute

// defaultShutdownGrace is how long after the timeout given to PVE we still
// wait for its shutdown task before stopping the VM ourselves.
const defaultShutdownGrace = 15 * time.Second

// minVMID is PVE's lowest guest ID.
const minVMID = 100

// CreateSpec describes a new VM. The VMID is always explicit: a create
// that lost its answer can then be told apart from someone else's VM.
type CreateSpec struct {
	VMID                    int
	Node, Name, Description string
	Tags                    []string
	Cores, Sockets          int64
	CPUType                 string
	MemoryMB                int64
	Disks                   []Disk
	Networks                []Network
	CDROMs                  []CDROM
	OnBoot, Protection      bool
	Agent                   *Agent // agent.go; nil leaves PVE's default
	// Hardware is what the configuration sets of firmware and devices
	// (hardware.go); nil fields take PVE's defaults.
	Hardware *HardwareChange
	Pool     string // resource pool to add the VM to; "" for none
}

// createParams is the POST /nodes/{node}/qemu body for spec.
func createParams(spec CreateSpec) (url.Values, error) {
	if spec.VMID < minVMID {
		return nil, fmt.Errorf("create VM: the VMID must be at least %d, got %d", minVMID, spec.VMID)
	}
	if spec.Node == "" {
		return nil, errors.New("create VM: the node is not set")
	}
	p := url.Values{}
	p.Set("vmid", strconv.Itoa(spec.VMID))
	seen := map[string]bool{}
	for _, d := range spec.Disks {
		switch {
		case !IsDiskInterface(d.Interface):
			return nil, fmt.Errorf("create VM: %q is not a disk interface (scsiN, virtioN, sataN, ideN)", d.Interface)
		case seen[d.Interface]:
			return nil, fmt.Errorf("create VM: disk interface %s is used twice", d.Interface)
		case d.Volume == "" && (d.Storage == "" || d.SizeGB <= 0):
			return nil, fmt.Errorf("create VM: disk %s needs a storage and a size", d.Interface)
		}
		seen[d.Interface] = true
	}
	for _, n := range spec.Networks {
		switch {
		case !isNetworkInterface(n.Interface):
			return nil, fmt.Errorf("create VM: %q is not a network interface (netN)", n.Interface)
		case seen[n.Interface]:
			return nil, fmt.Errorf("create VM: network interface %s is used twice", n.Interface)
		case n.Model == "":
			return nil, fmt.Errorf("create VM: network %s needs a model", n.Interface)
		}
		seen[n.Interface] = true
	}
	if err := checkCreateDrives(spec, seen); err != nil {
		return nil, err
	}
	// The keys and their encoding are ConfigChange's; a new VM leaves out
	// what is empty or zero and always says onboot and protection.
	values := ConfigChange{Disks: spec.Disks, Networks: spec.Networks, CDROMs: spec.CDROMs, OnBoot: &spec.OnBoot, Protection: &spec.Protection, Hardware: spec.Hardware}
	if spec.Name != "" {
		values.Name = &spec.Name
	}
	if spec.Description != "" {
		values.Description = &spec.Description
	}
	if len(NormalizeTags(spec.Tags)) > 0 {
		values.Tags = &spec.Tags
	}
	if spec.Cores > 0 {
		values.Cores = &spec.Cores
	}
	if spec.Sockets > 0 {
		values.Sockets = &spec.Sockets
	}
	if spec.CPUType != "" {
		values.CPUType = &spec.CPUType
	}
	if spec.MemoryMB > 0 {
		values.MemoryMB = &spec.MemoryMB
	}
	values.Agent = spec.Agent
	set, _ := values.params()
	for k, v := range set {
		p.Set(k, v)
	}
	setPoolParam(p, spec.Pool)
	return p, nil
}

// CloneSpec describes a clone. NewID is explicit for the same reason as
// CreateSpec.VMID.
type CloneSpec struct {
	SourceNode                    string
	SourceVMID                    int
	NewID                         int
	TargetNode, Name, Description string
	Full                          bool
	Storage                       string // target storage, full clones only
	Pool                          string // resource pool to add the clone to; "" for none
}

func cloneParams(spec CloneSpec) (url.Values, error) {
	if spec.SourceNode == "" || spec.SourceVMID < minVMID {
		return nil, errors.New("clone VM: the source node and VMID are required")
	}
	if spec.NewID < minVMID {
		return nil, fmt.Errorf("clone VM: the new VMID must be at least %d, got %d", minVMID, spec.NewID)
	}
	if spec.Storage != "" && !spec.Full {
		return nil, errors.New("clone VM: a target storage needs a full clone")
	}
	p := url.Values{}
	p.Set("newid", strconv.Itoa(spec.NewID))
	if spec.Name != "" {
		p.Set("name", spec.Name)
	}
	if spec.Description != "" {
		p.Set("description", spec.Description)
	}
	if spec.TargetNode != "" && spec.TargetNode != spec.SourceNode {
		p.Set("target", spec.TargetNode)
	}
	p.Set("full", pveBool(spec.Full))
	if spec.Storage != "" {
		p.Set("storage", spec.Storage)
	}
	setPoolParam(p, spec.Pool)
	return p, nil
}

// resizeDisk grows disk to sizeGB. PVE refuses to shrink; the same size is
// a no-op. Newer PVE answers with a task, older ones synchronously.
func (c *Client) resizeDisk(ctx context.Context, node string, vmid int, disk string, sizeGB int64) error {
	if !IsDiskInterface(disk) {
		return fmt.Errorf("resize disk: %q is not a disk interface", disk)
	}
	if sizeGB <= 0 {
		return fmt.Errorf("resize disk: invalid size %d GB", sizeGB)
	}
	params := url.Values{"disk": {disk}, "size": {strconv.FormatInt(sizeGB, 10) + "G"}}
	return c.retryLocked(ctx, "PUT resize", isLockTimeout, func() error {
		id, err := c.taskRequest(ctx, http.MethodPut, vmPath(node, vmid)+"/resize", params)
		if err != nil || id == "" {
			return err
		}
		return c.waitTask(ctx, node, id)
	})
}

var (
	reAlreadyRunning = regexp.MustCompile(`(?i)already running`)
	reNotRunning     = regexp.MustCompile(`(?i)\bnot running\b`)
)

// StartVM starts the VM and waits for the qmstart task. A VM that already
// runs is left alone.
func (c *Client) StartVM(ctx context.Context, node string, vmid int) error {
	ctx = c.logCtx(ctx)
	err := c.postTask(ctx, vmPath(node, vmid)+"/status/start", nil, node)
	if err != nil && reAlreadyRunning.MatchString(err.Error()) {
		return nil
	}
	return err
}

// stopVM stops the VM at once (power off) and waits. A stopped VM is left
// alone.
func (c *Client) stopVM(ctx context.Context, node string, vmid int) error {
	err := c.postTask(ctx, vmPath(node, vmid)+"/status/stop", nil, node)
	if err != nil && reNotRunning.MatchString(err.Error()) {
		return nil
	}
	return err
}

// ShutdownVM asks the guest to shut down and waits up to timeout (0 means
// 3 minutes). If the guest does not stop in time, or the shutdown fails,
// the VM is stopped.
func (c *Client) ShutdownVM(ctx context.Context, node string, vmid int, timeout time.Duration) error {
	ctx = c.logCtx(ctx)
	if timeout <= 0 {
		timeout = defaultShutdownTimeout
	}
	secs := int64(math.Ceil(timeout.Seconds()))
	params := url.Values{"timeout": {strconv.FormatInt(secs, 10)}}
	id, err := c.taskRequest(ctx, http.MethodPost, vmPath(node, vmid)+"/status/shutdown", params)
	if err != nil {
		if reNotRunning.MatchString(err.Error()) {
			return nil
		}
		return err
	}
	if id == "" {
		return fmt.Errorf("Proxmox VE API POST %s/status/shutdown: the answer has no task ID", vmPath(node, vmid)) //nolint:staticcheck // ST1005: starts with the product name "Proxmox VE", a proper noun
	}
	wctx, cancel := context.WithTimeout(ctx, timeout+c.shutdownGrace)
	shutdownErr := c.waitTask(wctx, node, id)
	cancel()
	switch {
	case shutdownErr == nil:
		return nil
	case ctx.Err() != nil:
		return shutdownErr
	case reNotRunning.MatchString(shutdownErr.Error()):
		return nil
	}
	logDebug(ctx, "Graceful shutdown failed, stopping the VM", map[string]any{
		"node": node, "vmid": vmid, "error": shutdownErr.Error(),
	})
	if err := c.stopVM(ctx, node, vmid); err != nil {
		return fmt.Errorf("graceful shutdown failed (%v), and stopping the VM failed too: %w", shutdownErr, err)
	}
	return nil
}

// MigrateVM moves the VM to target and waits. Running VMs migrate online;
// PVE falls back to an offline migration for stopped ones.
func (c *Client) MigrateVM(ctx context.Context, node string, vmid int, target string) error {
	ctx = c.logCtx(ctx)
	if target == "" {
		return errors.New("migrate VM: the target node is not set")
	}
	if target == node {
		return nil
	}
	params := url.Values{"target": {target}, "online": {pveBool(true)}, "with-local-disks": {pveBool(true)}}
	return c.postTask(ctx, vmPath(node, vmid)+"/migrate", params, node)
}

// DestroyVM deletes the VM with its disks and its firewall, backup, HA and
// replication entries (purge=1), and waits. PVE refuses protected
// (ErrProtected) and running (ErrRunning) VMs at once. A disk PVE cannot
// free (its storage cannot be activated) does not fail the destroy: the VM
// is gone and the volume is returned as left behind.
//
// destroy-unreferenced-disks is not sent: with it, qemu-server's destroy_vm
// lists the VMID's volumes on every enabled image storage
// (PVE::Storage::vdisk_list activates each one outside any eval), so a
// single broken pool anywhere on the node fails the task after the VM's
// healthy disks were already freed, and the VM stays without them.
func (c *Client) DestroyVM(ctx context.Context, node string, vmid int) ([]LeftoverVolume, error) {
	ctx = c.logCtx(ctx)
	path := vmPath(node, vmid)
	q := url.Values{"purge": {pveBool(true)}}
	var id, exit string
	err := c.retryLocked(ctx, http.MethodDelete+" "+path, isLockTimeout, func() error {
		var err error
		if id, err = c.taskRequest(ctx, http.MethodDelete, path, q); err != nil {
			return err
		}
		if id == "" {
			return fmt.Errorf("Proxmox VE API DELETE %s: the answer has no task ID", path) //nolint:staticcheck // ST1005: starts with the product name "Proxmox VE", a proper noun
		}
		exit, err = c.waitTaskExit(ctx, node, id)
		return err
	})
	if err != nil || !strings.HasPrefix(exit, "WARNINGS") {
		return nil, err
	}
	return c.leftoverVolumes(ctx, node, id), nil
}

// LeftoverVolume is a disk a destroy could not free.
type LeftoverVolume struct {
	// VolumeID is PVE's "<storage>:<volume>", what `pvesm free` takes.
	VolumeID string
	// Reason is PVE's error, e.g. "could not activate storage 'downloads',
	// zfs error: cannot import 'downloads': no such pool available".
	Reason string
}

// Storage is the storage the volume is on.
func (v LeftoverVolume) Storage() string {
	storage, _, _ := strings.Cut(v.VolumeID, ":")
	return storage
}

// reLeftoverDisk is qemu-server destroy_vm's warning for a volume it could
// not free, as log_warn prints it (pve-common RESTEnvironment.pm).
var reLeftoverDisk = regexp.MustCompile(`^WARN: Could not remove disk '([^']+)', check manually: (.*)$`)

// leftoverVolumes reads the volumes a destroy task left behind from its log.
// The log only adds detail: when it cannot be read, nothing is reported.
func (c *Client) leftoverVolumes(ctx context.Context, node, id string) []LeftoverVolume {
	var out []LeftoverVolume
	for _, line := range c.taskLogTail(ctx, node, id) {
		if m := reLeftoverDisk.FindStringSubmatch(line); m != nil {
			out = append(out, LeftoverVolume{VolumeID: m[1], Reason: strings.TrimSpace(m[2])})
		}
	}
	return out
}
