package provider

import (
	"reflect"
	"testing"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

func TestMovedFirmwareFromPeerStates(t *testing.T) {
	yes, no := true, false
	for name, tc := range map[string]struct {
		source movedSource
		raw    string
		want   movedFirmware
	}{
		"bpg": {bpgVMSource, `{"bios":"ovmf","machine":"q35","scsi_hardware":"virtio-scsi-single",
			"operating_system":[{"type":"l26"}],"cpu":[{"numa":true}],"agent":[{"enabled":true,"trim":true,"type":"isa"}]}`,
			movedFirmware{BIOS: "ovmf", Machine: "q35", SCSIHardware: "virtio-scsi-single", OSType: "l26", NUMA: &yes,
				Agent: &pve.Agent{Enabled: true, FstrimClonedDisks: true, Type: "isa"}}},
		"bpg without the settings": {bpgVMSource, `{"name":"a"}`, movedFirmware{}},
		"telmate v3": {telmateVMSource, `{"bios":"seabios","scsihw":"lsi","cpu":[{"numa":false}],"agent":1,"qemu_os":"win11"}`,
			movedFirmware{BIOS: "seabios", SCSIHardware: "lsi", NUMA: &no, Agent: &pve.Agent{Enabled: true}}},
		"telmate v2": {telmateVMSource, `{"cpu":"host","numa":true,"agent":0}`,
			movedFirmware{NUMA: &yes, Agent: &pve.Agent{}}},
		"not JSON": {telmateVMSource, `{`, movedFirmware{}},
	} {
		t.Run(name, func(t *testing.T) {
			if got := tc.source.firmware([]byte(tc.raw)); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("firmware = %+v, want %+v", got, tc.want)
			}
		})
	}
}
