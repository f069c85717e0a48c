package provider

import (
	"slices"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// predecessorStatsKept is how long PVE may go on listing a destroyed VM's
// statistics under its VMID: pve-manager PVE/API2Tools.pm extract_vm_stats
// keys a VM's name, status and template flag by VMID alone, and pve-cluster
// src/pmxcfs/status.c rrd_entry_is_old drops an entry only after 5 minutes
// without an update. A VM created on a recycled VMID is therefore listed
// under its predecessor's name until its node's first statistics update, at
// worst for that long. One statsCycle more covers the clock of the host that
// wrote the marker.
const predecessorStatsKept = 5*time.Minute + statsCycle

// distrustListedNamesOfNewVMs makes the name decision read the config of
// every VM that a racing apply of this provider is creating or created
// moments ago, instead of trusting the name /cluster/resources lists for
// it. Tags come live from the config (pve-manager PVE/API2/Cluster.pm
// resources: get_guest_config_properties), so the create marker shows at
// once, while the listed name may still be the predecessor's of a recycled
// VMID: a racer that trusted it would miss the winner and create a second
// VM with its name (issue 10). The VMs this process creates cost nothing:
// a listed name that is the one this process gave the VM is its own, not a
// predecessor's.
func distrustListedNamesOfNewVMs(inv *pve.Inventory, now time.Time, gave func(vmid int) (string, bool)) {
	for i := range inv.VMs {
		vm := &inv.VMs[i]
		// The prefix test first: this runs for every VM of every cluster
		// read, and few VMs carry a marker at all.
		if !vm.IsQEMU() || !vm.NameKnown || !slices.ContainsFunc(vm.Tags, isMarkerTag) || !createdMomentsAgo(vm.Tags, now) {
			continue
		}
		if name, ok := gave(vm.VMID); !ok || name != vm.Name {
			vm.Name, vm.NameKnown = "", false
		}
	}
}

// createdMomentsAgo reports whether a VM's tags say that this provider is
// creating it or finished creating it within predecessorStatsKept.
func createdMomentsAgo(tags []string, now time.Time) bool {
	if _, creating := markerOf(tags); creating {
		return true
	}
	created, ok := createdMarkerOf(tags)
	return ok && now.Sub(created.Created) < predecessorStatsKept
}
