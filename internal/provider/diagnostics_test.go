package provider

import (
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

func TestLeftoverVolumesWarning(t *testing.T) {
	var diags diag.Diagnostics
	addLeftoverVolumesWarning(&diags, guard.VM{VMID: 108, Node: "pve", Name: "monitoring-prometheus"}, nil)
	if len(diags) != 0 {
		t.Fatalf("a clean destroy warns: %v", diags)
	}
	addLeftoverVolumesWarning(&diags, guard.VM{VMID: 108, Node: "pve", Name: "monitoring-prometheus"}, []pve.LeftoverVolume{{
		VolumeID: "downloads:vm-108-disk-1",
		Reason:   "could not activate storage 'downloads', zfs error: cannot import 'downloads': no such pool available",
	}})
	if len(diags) != 1 || diags[0].Severity() != diag.SeverityWarning {
		t.Fatalf("diagnostics %v, want one warning", diags)
	}
	for _, want := range []string{
		`VM 108 ("monitoring-prometheus") on node pve is destroyed`,
		"downloads:vm-108-disk-1: could not activate storage 'downloads'",
		"pvesm free downloads:vm-108-disk-1",
	} {
		if !strings.Contains(diags[0].Detail(), want) {
			t.Errorf("warning %q lacks %q", diags[0].Detail(), want)
		}
	}
}
