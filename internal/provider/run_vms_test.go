package provider

import "testing"

func TestOwnedVMsHolds(t *testing.T) {
	owned := &ownedVMs{vmids: map[int]string{}}
	owned.add(4300, "slow")
	owned.add(0, "never") // no VMID yet: not recorded
	for _, tc := range []struct {
		name string
		vmid int
		vm   string
		want bool
	}{
		{"the VM a replacement destroys first", 4300, "slow", true},
		{"names compare as PVE users see them", 4300, "SLOW", true},
		{"another resource's VMID", 4300, "fast", false},
		{"a VMID no instance holds", 4301, "slow", false},
		{"a VM recorded without a VMID", 0, "never", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := owned.holds(tc.vmid, tc.vm); got != tc.want {
				t.Fatalf("holds(%d, %q) = %v, want %v", tc.vmid, tc.vm, got, tc.want)
			}
		})
	}
}
