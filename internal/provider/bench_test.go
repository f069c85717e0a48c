package provider

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

const managedVMs = 10

// benchCluster starts a simulator holding clusterSize VMs over two nodes and
// returns a client for it.
func benchCluster(b *testing.B, clusterSize int) (*pvesim.Server, *pve.Client) {
	b.Helper()
	sim, err := pvesim.New(pvesim.Options{Nodes: []string{"pve", "pve2"}, PlainHTTP: true})
	if err != nil {
		b.Fatal(err)
	}
	if err := sim.Start("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = sim.Close() })
	created := time.Now().Add(-time.Hour)
	for i := 0; i < clusterSize; i++ {
		node := []string{"pve", "pve2"}[i%2]
		if err := sim.AddVM(pvesim.VM{VMID: 1000 + i, Node: node, Name: fmt.Sprintf("vm-%d", i), Status: "stopped", CreatedAt: created}); err != nil {
			b.Fatal(err)
		}
	}
	client, err := pve.NewClient(context.Background(), pve.Config{
		Endpoint: sim.URL(), APIToken: sim.Token(), RequestTimeout: 10 * time.Second, MaxRetries: 0,
	})
	if err != nil {
		b.Fatal(err)
	}
	return sim, client
}

func newBenchResource(client *pve.Client) *vmResource {
	return &vmResource{data: newProviderData(client, providerSettings{onExisting: guard.PolicyFail})}
}

// reportRequests adds requests per operation to the benchmark's output.
func reportRequests(b *testing.B, client *pve.Client, before int64) {
	b.ReportMetric(float64(client.RequestCount()-before)/float64(b.N), "requests/op")
}

// BenchmarkRefresh measures one refresh of managedVMs VMs: the cost must not
// depend on the size of the cluster.
func BenchmarkRefresh(b *testing.B) {
	for _, clusterSize := range []int{50, 1000} {
		b.Run(fmt.Sprintf("cluster=%d", clusterSize), func(b *testing.B) {
			sim, client := benchCluster(b, clusterSize)
			states := make([]vmResourceModel, managedVMs)
			for i := range states {
				vm, _ := sim.VM(1000 + i)
				states[i] = vmResourceModel{
					VMID: types.Int64Value(int64(vm.VMID)), Node: types.StringValue(vm.Node),
					Name: types.StringValue(vm.Name), UUID: types.StringValue(vm.UUID), CreatedAt: types.StringNull(),
				}
			}
			ctx := context.Background()
			before := client.RequestCount()
			b.ResetTimer()
			for n := 0; n < b.N; n++ {
				r := newBenchResource(client) // one Terraform run
				for i := range states {
					if _, err := r.locate(ctx, &states[i]); err != nil {
						b.Fatalf("VM %s not found: %s", states[i].Name.ValueString(), err)
					}
				}
			}
			b.StopTimer()
			reportRequests(b, client, before)
			if n := sim.RequestCounts()["GET /cluster/resources"]; n != 0 {
				b.Fatalf("refresh listed the cluster %d times", n)
			}
		})
	}
}

// BenchmarkPlanGuard measures the plan-time duplicate check of managedVMs new
// VMs in one run: they share one inventory read.
func BenchmarkPlanGuard(b *testing.B) {
	for _, clusterSize := range []int{50, 1000} {
		b.Run(fmt.Sprintf("cluster=%d", clusterSize), func(b *testing.B) {
			_, client := benchCluster(b, clusterSize)
			ctx := context.Background()
			before := client.RequestCount()
			b.ResetTimer()
			for n := 0; n < b.N; n++ {
				r := newBenchResource(client)
				for i := 0; i < managedVMs; i++ {
					var diags diag.Diagnostics
					view, err := r.data.inventory.recent(ctx)
					if err != nil {
						b.Fatal(err)
					}
					d := r.data.decide(ctx, view, "new-vm-"+strconv.Itoa(i), guard.PolicyFail, nil, &diags)
					if d.Action != guard.ActionCreate || diags.HasError() {
						b.Fatalf("unexpected decision %v %v", d, diags)
					}
				}
			}
			b.StopTimer()
			reportRequests(b, client, before)
		})
	}
}
