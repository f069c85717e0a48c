package provider_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// convergedBeforeFirstStart checks in the simulator's request log that
// every config write, disk resize and cloud-init regeneration of the only
// VM named name came before its first start, that it was started, and
// that the clone was converged at all (a config write and a resize).
func convergedBeforeFirstStart(t *testing.T, sim *pvesim.Server, name string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		vmid := onlyVMNamed(t, sim, name).VMID
		changes := map[string]bool{
			"POST /nodes/{node}/qemu/{vmid}/config":   true,
			"PUT /nodes/{node}/qemu/{vmid}/config":    true,
			"PUT /nodes/{node}/qemu/{vmid}/resize":    true,
			"PUT /nodes/{node}/qemu/{vmid}/cloudinit": true,
		}
		started := -1
		seen := map[string]int{}
		for i, r := range sim.RequestLog() {
			if r.VMID != vmid {
				continue
			}
			key := r.Method + " " + r.Pattern
			if markerOnly(r.Params) {
				// The create marker's removal (tags), Create's last request
				// by design: bookkeeping, not the configuration.
				continue
			}
			switch {
			case r.Method == "POST" && strings.HasSuffix(r.Path, "/status/start") && started < 0:
				started = i
			case changes[key] && started >= 0:
				return fmt.Errorf("VM %d: request %d (%s %s %v) changed the clone after its first start (request %d)",
					vmid, i, r.Method, r.Path, r.Params, started)
			case changes[key]:
				seen[r.Pattern]++
			}
		}
		if started < 0 {
			return fmt.Errorf("VM %d was never started", vmid)
		}
		if seen["/nodes/{node}/qemu/{vmid}/config"] == 0 || seen["/nodes/{node}/qemu/{vmid}/resize"] == 0 {
			return fmt.Errorf("VM %d: before its start, %v; want a config write and a resize", vmid, seen)
		}
		return nil
	}
}

// markerOnly reports whether a request's parameters change only tags.
func markerOnly(params []string) bool {
	for _, p := range params {
		if p != "tags" && p != "delete=tags" && p != "digest" {
			return false
		}
	}
	return len(params) > 0
}
