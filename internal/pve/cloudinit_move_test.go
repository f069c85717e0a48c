package pve

import (
	"reflect"
	"testing"
)

// A cloud-init drive move is two updates: the removal deletes the old
// drive's key, the second allocates "<storage>:cloudinit" at the new one.
func TestCloudInitDriveMoveParams(t *testing.T) {
	for name, tc := range map[string]struct {
		change  CloudInitChange
		wantSet map[string]string
		wantDel []string
	}{
		"remove":  {CloudInitChange{RemoveDrive: "ide2"}, map[string]string{}, []string{"ide2"}},
		"add":     {CloudInitChange{Drive: &CloudInitDrive{Interface: "scsi1", Storage: "local-lvm"}}, map[string]string{"scsi1": "local-lvm:cloudinit"}, nil},
		"nothing": {CloudInitChange{}, map[string]string{}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			set, del := ConfigChange{CloudInit: &tc.change}.params()
			if !reflect.DeepEqual(set, tc.wantSet) || !reflect.DeepEqual(del, tc.wantDel) {
				t.Fatalf("params = %v, delete %v; want %v, delete %v", set, del, tc.wantSet, tc.wantDel)
			}
			if empty := (ConfigChange{CloudInit: &tc.change}).Empty(); empty != (name == "nothing") {
				t.Fatalf("Empty() = %t", empty)
			}
		})
	}
}
