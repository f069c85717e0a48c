package provider

// This file carries the firmware, controller and agent settings the old
// providers record into the moved state, so that the first plan after a
// move (even with -refresh=false) compares the configuration with what the
// VM has rather than with nothing. A setting a state does not record stays
// null and is read from the VM at the next refresh. Attribute names come
// from the providers' sources: bpg/terraform-provider-proxmox
// proxmoxtf/resource/vm/vm.go (mkAgent "agent" with enabled/trim/type,
// mkBIOS "bios", mkMachine "machine", mkSCSIHardware "scsi_hardware",
// mkOperatingSystem "operating_system" with type, mkCPU "cpu" with numa);
// Telmate/terraform-provider-proxmox proxmox/resource_vm_qemu.go ("agent"
// 0/1, "bios", "machine", "scsihw", "cpu" block or v2 "numa"). Telmate's
// qemu_os is left out: its DiffSuppressFunc keeps a value the VM may not
// have.

import (
	"encoding/json"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// movedFirmware is what an old state records of the VM's firmware,
// controllers and agent; "" and nil are not recorded.
type movedFirmware struct {
	BIOS, Machine, SCSIHardware, OSType string
	NUMA                                *bool
	Agent                               *pve.Agent
}

// firmware reads the firmware settings of a raw state of s.
func (s movedSource) firmware(raw []byte) movedFirmware {
	if s.typeName == telmateVMSource.typeName {
		return telmateFirmware(raw)
	}
	return bpgFirmware(raw)
}

func bpgFirmware(raw []byte) movedFirmware {
	var s struct {
		BIOS            string `json:"bios"`
		Machine         string `json:"machine"`
		SCSIHardware    string `json:"scsi_hardware"`
		OperatingSystem []struct {
			Type string `json:"type"`
		} `json:"operating_system"`
		CPU []struct {
			NUMA *bool `json:"numa"`
		} `json:"cpu"`
		Agent []struct {
			Enabled bool   `json:"enabled"`
			Trim    bool   `json:"trim"`
			Type    string `json:"type"`
		} `json:"agent"`
	}
	if json.Unmarshal(raw, &s) != nil {
		return movedFirmware{}
	}
	f := movedFirmware{BIOS: s.BIOS, Machine: s.Machine, SCSIHardware: s.SCSIHardware}
	if len(s.OperatingSystem) > 0 {
		f.OSType = s.OperatingSystem[0].Type
	}
	if len(s.CPU) > 0 {
		f.NUMA = s.CPU[0].NUMA
	}
	if len(s.Agent) > 0 {
		a := s.Agent[0]
		f.Agent = &pve.Agent{Enabled: a.Enabled, FstrimClonedDisks: a.Trim, Type: a.Type}
	}
	return f
}

func telmateFirmware(raw []byte) movedFirmware {
	var s struct {
		BIOS    string          `json:"bios"`
		Machine string          `json:"machine"`
		SCSIHW  string          `json:"scsihw"`
		NUMA    *bool           `json:"numa"` // v2
		CPU     json.RawMessage `json:"cpu"`  // v3: a block; v2: the CPU type
		Agent   *int64          `json:"agent"`
	}
	if json.Unmarshal(raw, &s) != nil {
		return movedFirmware{}
	}
	f := movedFirmware{BIOS: s.BIOS, Machine: s.Machine, SCSIHardware: s.SCSIHW, NUMA: s.NUMA}
	var blocks []struct {
		NUMA *bool `json:"numa"`
	}
	if json.Unmarshal(s.CPU, &blocks) == nil && len(blocks) > 0 && blocks[0].NUMA != nil {
		f.NUMA = blocks[0].NUMA
	}
	if s.Agent != nil {
		// Telmate records only whether the agent is on: its schema has no
		// trim or type, and mapToSDK_QemuGuestAgent sends only Enable. Its
		// create leaves PVE's defaults (proxmox-api-go
		// config__qemu__guestagent.go QemuGuestAgent.mapToAPI writes "0" or
		// "1" when there are no current settings), but its updates keep the
		// VM's, e.g. a clone's from its template: the next refresh reads
		// them. A mover cannot: MoveResourceState gets no provider data.
		f.Agent = &pve.Agent{Enabled: *s.Agent == 1}
	}
	return f
}

// apply puts the recorded settings into a moved model.
func (f movedFirmware) apply(m *vmResourceModel) {
	set := func(v string) types.String {
		if v == "" {
			return types.StringNull()
		}
		return types.StringValue(v)
	}
	m.BIOS, m.Machine, m.SCSIHardware, m.OSType = set(f.BIOS), set(f.Machine), set(f.SCSIHardware), set(f.OSType)
	if f.NUMA != nil {
		attrs := m.CPU.Attributes()
		attrs["numa"] = types.BoolValue(*f.NUMA)
		m.CPU = types.ObjectValueMust(cpuAttrTypes, attrs)
	}
	if a := f.Agent; a != nil {
		typ := a.Type
		if typ == "" {
			typ = pve.AgentTypeVirtio
		}
		m.Agent = types.ObjectValueMust(agentAttrTypes, map[string]attr.Value{
			"enabled": types.BoolValue(a.Enabled), "trim": types.BoolValue(a.FstrimClonedDisks),
			"type": types.StringValue(typ), "wait_for_ip": types.ObjectNull(waitForIPAttrTypes),
		})
	}
}
