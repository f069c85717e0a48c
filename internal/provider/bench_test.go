package provider

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"syscall"
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

// reportRequests adds requests per operation to the benchmark's output, as
// the simulator counted them (retries included).
func reportRequests(b *testing.B, sim *pvesim.Server, before int) {
	b.ReportMetric(float64(sim.TotalRequests()-before)/float64(b.N), "requests/op")
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
			before := sim.TotalRequests()
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
			reportRequests(b, sim, before)
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
			sim, client := benchCluster(b, clusterSize)
			ctx := context.Background()
			before := sim.TotalRequests()
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
			reportRequests(b, sim, before)
		})
	}
}

// BenchmarkInventory10000 measures the provider's CPU for one cluster read of
// a 10,000-VM cluster: decoding /cluster/resources and the two node lists
// (the live names) and checking a name with the guard. The answers are
// recorded from the simulator once and then served as static bytes, so the
// simulator's own work is not measured.
func BenchmarkInventory10000(b *testing.B) {
	sim, _ := benchCluster(b, 10000)
	answers := map[string][]byte{
		"/api2/json/cluster/resources":  recordAnswer(b, sim, "/cluster/resources"),
		"/api2/json/nodes/pve/qemu":     recordAnswer(b, sim, "/nodes/pve/qemu"),
		"/api2/json/nodes/pve2/qemu":    recordAnswer(b, sim, "/nodes/pve2/qemu"),
		"/api2/json/access/permissions": []byte(`{"data":{"/":{"VM.Audit":1}}}`),
	}
	static := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		body, ok := answers[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		// pveproxy sends the length, as the simulator does.
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	}))
	b.Cleanup(static.Close)
	client, err := pve.NewClient(context.Background(), pve.Config{Endpoint: static.URL, APIToken: sim.Token()})
	if err != nil {
		b.Fatal(err)
	}
	r := newBenchResource(client)
	ctx := context.Background()
	var bytes int
	for _, body := range answers {
		bytes += len(body)
	}
	b.SetBytes(int64(bytes))
	cpuBefore := processCPU(b)
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		r.data.inventory.invalidate()
		view, err := r.data.inventory.fresh(ctx)
		if err != nil {
			b.Fatal(err)
		}
		var diags diag.Diagnostics
		if d := r.data.decide(ctx, view, "new-vm", guard.PolicyFail, nil, &diags); d.Action != guard.ActionCreate || diags.HasError() {
			b.Fatalf("unexpected decision %v %v", d, diags)
		}
		if len(view.vms) != 10000 {
			b.Fatalf("%d VMs decoded", len(view.vms))
		}
	}
	b.StopTimer()
	// CPU time rather than wall time: the machine may be busy with others.
	// It includes the static server's writes, which only copy bytes.
	b.ReportMetric(float64((processCPU(b)-cpuBefore).Microseconds())/1000/float64(b.N), "cpu-ms/read")
}

// processCPU is the user and system CPU time this process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func recordAnswer(b *testing.B, sim *pvesim.Server, path string) []byte {
	b.Helper()
	req, err := http.NewRequest(http.MethodGet, sim.URL()+path, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "PVEAPIToken="+sim.Token())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		b.Fatalf("recording %s: %d %v", path, res.StatusCode, err)
	}
	return body
}
