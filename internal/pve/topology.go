package pve

import (
	"context"
	"net/url"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"
)

// Node is a cluster member as /cluster/resources?type=node lists it.
type Node struct {
	Name string
	// Status is "online", "offline" (a cluster member that is down) or
	// "unknown" (no statistics yet).
	Status string
}

// Storage is a storage enabled on one node.
type Storage struct {
	ID, Node string
	Content  []string // e.g. images, iso, rootdir
	Shared   bool
	// Status is "available", or "unknown" when its node reports no
	// statistics for it (node offline, storage not active).
	Status string
}

// Topology is what a plan checks node and storage names against.
type Topology struct {
	Nodes    []Node    // sorted by name
	Storages []Storage // sorted by node, then ID
}

type topologyEntry struct {
	Node    string   `json:"node"`
	Type    string   `json:"type"`
	Storage string   `json:"storage"`
	Status  string   `json:"status"`
	Content string   `json:"content"`
	Shared  flexBool `json:"shared"`
}

// Topology reads the nodes and the storages of every node: two GETs of
// /cluster/resources, sent together (a plan waits for both). pve-manager PVE/API2/Cluster.pm "resources": every
// cluster member is listed (PVE::API2Tools extract_node_stats: status
// online, offline or unknown), and one storage entry per node on which the
// storage is enabled (storage_check_enabled, extract_storage_stats), but
// only storages the caller has Datastore.Audit on.
func (c *Client) Topology(ctx context.Context) (*Topology, error) {
	ctx = c.logCtx(ctx)
	var nodes, storages []topologyEntry
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return c.get(gctx, "/cluster/resources", url.Values{"type": {"node"}}, &nodes) })
	g.Go(func() error { return c.get(gctx, "/cluster/resources", url.Values{"type": {"storage"}}, &storages) })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	t := &Topology{}
	for _, e := range nodes {
		if e.Type == "node" && e.Node != "" {
			t.Nodes = append(t.Nodes, Node{Name: e.Node, Status: e.Status})
		}
	}
	for _, e := range storages {
		if e.Type != "storage" || e.Storage == "" {
			continue
		}
		var content []string
		if e.Content != "" {
			content = strings.Split(e.Content, ",")
		}
		t.Storages = append(t.Storages, Storage{ID: e.Storage, Node: e.Node, Content: content, Shared: bool(e.Shared), Status: e.Status})
	}
	sort.Slice(t.Nodes, func(i, j int) bool { return t.Nodes[i].Name < t.Nodes[j].Name })
	sort.Slice(t.Storages, func(i, j int) bool {
		if t.Storages[i].Node != t.Storages[j].Node {
			return t.Storages[i].Node < t.Storages[j].Node
		}
		return t.Storages[i].ID < t.Storages[j].ID
	})
	return t, nil
}

// Node returns the node named name.
func (t *Topology) Node(name string) (Node, bool) {
	for _, n := range t.Nodes {
		if n.Name == name {
			return n, true
		}
	}
	return Node{}, false
}

// StoragesOn lists the storages enabled on node.
func (t *Topology) StoragesOn(node string) []Storage {
	var out []Storage
	for _, s := range t.Storages {
		if s.Node == node {
			out = append(out, s)
		}
	}
	return out
}

// Bridges lists the bridges of node that VMs can attach to: GET
// /nodes/{node}/network?type=any_bridge (pve-manager PVE/API2/Network.pm
// "index": Linux and OVS bridges, plus SDN vnets). PVE leaves out bridges
// the caller may not use (check_sdn_bridge, SDN.Use or SDN.Audit on
// /sdn/zones/localnetwork/<bridge>); creating a VM on such a bridge fails
// the same permission (qemu-server create_vm check_bridge_access).
func (c *Client) Bridges(ctx context.Context, node string) ([]string, error) {
	ctx = c.logCtx(ctx)
	var entries []struct {
		Iface string `json:"iface"`
	}
	if err := c.get(ctx, "/nodes/"+url.PathEscape(node)+"/network", url.Values{"type": {"any_bridge"}}, &entries); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.Iface != "" {
			out = append(out, e.Iface)
		}
	}
	sort.Strings(out)
	return out, nil
}
