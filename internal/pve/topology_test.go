package pve

import (
	"context"
	"reflect"
	"testing"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

func TestTopologyAndBridges(t *testing.T) {
	srv := startSim(t, pvesim.Options{PlainHTTP: true, Nodes: []string{"pve", "pve2"}})
	c := simClient(t, srv)
	ctx := context.Background()
	srv.SetNodeOffline("pve2", true)
	topo, err := c.Topology(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Node{{"pve", "online"}, {"pve2", "offline"}}; !reflect.DeepEqual(topo.Nodes, want) {
		t.Errorf("nodes %+v, want %+v", topo.Nodes, want)
	}
	found := false
	for _, s := range topo.StoragesOn("pve") {
		if s.ID == "local-lvm" && s.Status == "available" {
			found = true
		}
	}
	if !found {
		t.Errorf("local-lvm not available on pve: %+v", topo.StoragesOn("pve"))
	}
	srv.SetNodeBridges("pve", "vmbr1", "vmbr0")
	bridges, err := c.Bridges(ctx, "pve")
	if err != nil || !reflect.DeepEqual(bridges, []string{"vmbr0", "vmbr1"}) {
		t.Fatalf("bridges %v, %v", bridges, err)
	}
}
