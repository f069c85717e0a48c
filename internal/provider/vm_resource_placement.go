package provider

// This file holds the plan-time checks of where a VM goes: its node and the
// storages of its disks must exist (and the node be online), so that a typo
// is a plan error instead of an apply that shuts a VM down and then fails.
// The nodes and storages are read once per run and shared by every
// resource, like the inventory.

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// topologyCache shares one read of the cluster's nodes and storages between
// the resources of a run. The lock is held while reading, so parallel
// resources wait for the one read instead of sending their own.
type topologyCache struct {
	client *pve.Client

	mu     sync.Mutex
	last   *pve.Topology
	readAt time.Time
	// bridges by node, read when a plan first needs a node's.
	bridges map[string][]string
}

// get returns the topology, read at most planInventoryMaxAge ago.
func (c *topologyCache) get(ctx context.Context) (*pve.Topology, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last != nil && time.Since(c.readAt) < planInventoryMaxAge {
		return c.last, nil
	}
	t, err := c.client.Topology(ctx)
	if err != nil {
		return nil, err
	}
	c.last, c.readAt, c.bridges = t, time.Now(), map[string][]string{}
	return t, nil
}

// bridgesOf returns the bridges of node, read once per run.
func (c *topologyCache) bridgesOf(ctx context.Context, node string) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b, ok := c.bridges[node]; ok {
		return b, nil
	}
	b, err := c.client.Bridges(ctx, node)
	if err != nil {
		return nil, err
	}
	if c.bridges == nil {
		c.bridges = map[string][]string{}
	}
	c.bridges[node] = b
	return b, nil
}

// checkPlacement refuses a plan whose node or disk storages do not exist.
// state is nil for a new VM.
func (r *vmResource) checkPlacement(ctx context.Context, state, plan *vmResourceModel, diags *diag.Diagnostics) {
	if plan.Node.IsUnknown() || plan.Node.IsNull() {
		return
	}
	node := plan.Node.ValueString()
	moving := state != nil && node != state.Node.ValueString()
	newDisks := map[string]diskModel{}
	have := map[string]diskModel{}
	if state != nil {
		have = state.disks(ctx, diags)
	}
	for iface, d := range plan.disks(ctx, diags) {
		if cur, ok := have[iface]; !ok || cur.Storage.ValueString() != d.Storage.ValueString() {
			newDisks[iface] = d
		}
	}
	newBridges := map[string]string{} // interface -> bridge
	haveNets := map[string]networkModel{}
	if state != nil {
		haveNets = state.networks(ctx, diags)
	}
	for iface, n := range plan.networks(ctx, diags) {
		if n.Bridge.IsUnknown() || n.Bridge.IsNull() {
			continue
		}
		if cur, ok := haveNets[iface]; moving || !ok || cur.Bridge.ValueString() != n.Bridge.ValueString() {
			newBridges[iface] = n.Bridge.ValueString()
		}
	}
	source := plan.clone(ctx, diags)
	cloneStorage := source != nil && !source.Storage.IsNull() && !source.Storage.IsUnknown() && source.Storage.ValueString() != ""
	efiStorage := newEFIStorage(ctx, state, plan, diags)
	if state != nil && !moving && len(newDisks) == 0 && len(newBridges) == 0 && efiStorage == "" {
		return
	}

	topo, err := r.data.topology.get(ctx)
	if err != nil {
		addAPIError(diags, "read the cluster's nodes and storages to check node "+node, err)
		return
	}
	if state == nil || moving {
		if problem := nodeProblem(topo, node); problem != "" {
			what := "The VM cannot be created there."
			if moving {
				what = fmt.Sprintf("VM %d stays on %s and is not shut down.", state.vmid(), state.Node.ValueString())
			}
			diags.AddAttributeError(pathNode, "Unusable node", problem+" "+what)
			return
		}
	}
	r.checkBridges(ctx, node, newBridges, diags)
	if len(topo.Storages) == 0 {
		// Without Datastore.Audit PVE lists no storage: nothing to check against.
		return
	}
	for _, iface := range sortedKeys(newDisks) {
		d := newDisks[iface]
		if d.Storage.IsUnknown() {
			continue
		}
		if problem := storageProblem(topo, node, d.Storage.ValueString()); problem != "" {
			diags.AddAttributeError(pathDisks.AtMapKey(iface).AtName("storage"), "Unknown storage", problem)
		}
	}
	if efiStorage != "" {
		if problem := storageProblem(topo, node, efiStorage); problem != "" {
			diags.AddAttributeError(pathEFIDisk.AtName("storage"), "Unknown storage", problem)
		}
	}
	if cloneStorage {
		if problem := storageProblem(topo, node, source.Storage.ValueString()); problem != "" {
			diags.AddAttributeError(path.Root("clone").AtName("storage"), "Unknown storage", problem)
		}
	}
}

// checkBridges refuses network devices on bridges node does not have (or
// that these credentials may not use: PVE lists only those).
func (r *vmResource) checkBridges(ctx context.Context, node string, bridges map[string]string, diags *diag.Diagnostics) {
	if len(bridges) == 0 {
		return
	}
	have, err := r.data.topology.bridgesOf(ctx, node)
	if err != nil {
		addAPIError(diags, "read the bridges of node "+node, err)
		return
	}
	for _, iface := range sortedKeys(bridges) {
		bridge := bridges[iface]
		if slices.Contains(have, bridge) {
			continue
		}
		diags.AddAttributeError(path.Root("networks").AtMapKey(iface).AtName("bridge"), "Unknown bridge",
			fmt.Sprintf("Bridge %q does not exist on node %s, or these credentials may not use it (SDN.Use on "+
				"/sdn/zones/localnetwork/%s, or on /sdn/zones/<zone>/%s for an SDN vnet). Bridges and SDN vnets "+
				"on %s: %s.", bridge, node, bridge, bridge, node, orNone(have)))
	}
}

// nodeProblem says why VMs cannot go to node, or "".
func nodeProblem(topo *pve.Topology, node string) string {
	n, ok := topo.Node(node)
	switch {
	case !ok:
		return fmt.Sprintf("There is no node %q in this cluster. Its nodes: %s.", node, nodeList(topo))
	case n.Status == "offline":
		return fmt.Sprintf("Node %q is offline. Its nodes: %s.", node, nodeList(topo))
	}
	return ""
}

func nodeList(topo *pve.Topology) string {
	parts := make([]string, 0, len(topo.Nodes))
	for _, n := range topo.Nodes {
		parts = append(parts, fmt.Sprintf("%s (%s)", n.Name, n.Status))
	}
	return strings.Join(parts, ", ")
}

// storageProblem says why a disk cannot be allocated on storage on node,
// or "".
func storageProblem(topo *pve.Topology, node, storage string) string {
	var onNode []string
	for _, s := range topo.StoragesOn(node) {
		if s.ID == storage {
			return ""
		}
		for _, c := range s.Content {
			if c == "images" {
				onNode = append(onNode, s.ID)
				break
			}
		}
	}
	var elsewhere []string
	for _, s := range topo.Storages {
		if s.ID == storage {
			elsewhere = append(elsewhere, s.Node)
		}
	}
	sort.Strings(onNode)
	msg := fmt.Sprintf("Storage %q does not exist on node %s. Storages on %s for VM disks: %s.",
		storage, node, node, orNone(onNode))
	if len(elsewhere) > 0 {
		msg += fmt.Sprintf(" %q is enabled on %s only.", storage, strings.Join(elsewhere, ", "))
	}
	return msg
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
