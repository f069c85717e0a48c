package provider

// This file holds the guest agent group of proxmoxsafe_vm: the agent
// setting, the addresses the agent reports, and wait_for_ip.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

var pathAgent = path.Root("agent")

var waitForIPAttrTypes = map[string]attr.Type{"timeout": timetypes.GoDurationType{}}

var agentAttrTypes = map[string]attr.Type{
	"enabled":     types.BoolType,
	"trim":        types.BoolType,
	"type":        types.StringType,
	"wait_for_ip": types.ObjectType{AttrTypes: waitForIPAttrTypes},
}

var guestInterfaceAttrTypes = map[string]attr.Type{
	"name":      types.StringType,
	"mac":       types.StringType,
	"addresses": types.ListType{ElemType: types.StringType},
}

type agentModel struct {
	Enabled   types.Bool   `tfsdk:"enabled"`
	Trim      types.Bool   `tfsdk:"trim"`
	Type      types.String `tfsdk:"type"`
	WaitForIP types.Object `tfsdk:"wait_for_ip"`
}

type waitForIPModel struct {
	Timeout timetypes.GoDuration `tfsdk:"timeout"`
}

// agentAttributes are the schema of the group, added to the resource's.
func agentAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"agent": schema.SingleNestedAttribute{
			MarkdownDescription: "Enable/disable communication with the QEMU Guest Agent and its properties. What " +
				"the configuration leaves out keeps what the VM has; a new VM gets Proxmox VE's defaults. Changes " +
				"other than `trim` take effect when the VM next starts (see `reboot_after_update`).",
			Optional:      true,
			Computed:      true,
			PlanModifiers: []planmodifier.Object{objectplanmodifier.UseStateForUnknown()},
			Attributes: map[string]schema.Attribute{
				"enabled": schema.BoolAttribute{
					MarkdownDescription: "Enable/disable communication with a QEMU Guest Agent (QGA) running in the VM. " +
						"Proxmox VE's default is `false`.",
					Optional: true, Computed: true,
					PlanModifiers: []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()},
				},
				"trim": schema.BoolAttribute{
					MarkdownDescription: "Run fstrim after moving a disk or migrating the VM (Proxmox VE's " +
						"`fstrim_cloned_disks`). Proxmox VE's default is `false`.",
					Optional: true, Computed: true,
					PlanModifiers: []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()},
				},
				"type": schema.StringAttribute{
					MarkdownDescription: "Select the agent type: `virtio` or `isa`. Proxmox VE's default is `virtio`.",
					Optional:            true, Computed: true,
					PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
					Validators:    []validator.String{stringvalidator.OneOf(pve.AgentTypeVirtio, pve.AgentTypeISA)},
				},
				"wait_for_ip": schema.SingleNestedAttribute{
					MarkdownDescription: "When the provider creates, starts or restarts the VM (also for pending changes, `reboot_after_update`), wait until the guest agent " +
						"reports an IP address other than loopback and link-local, so that `ipv4_addresses` and " +
						"`ipv6_addresses` are known when the apply ends. Refresh never waits.",
					Optional: true,
					Attributes: map[string]schema.Attribute{
						"timeout": schema.StringAttribute{
							MarkdownDescription: "How long to wait, as a Go duration such as `5m`. Reaching it fails " +
								"the apply.",
							Required:   true,
							CustomType: timetypes.GoDurationType{},
						},
					},
				},
			},
		},
		"ipv4_addresses": schema.ListAttribute{
			MarkdownDescription: "IPv4 addresses the guest agent reports (all interfaces, without loopback and " +
				"link-local addresses, sorted). Empty while the VM is stopped, the agent is disabled or does not " +
				"answer.",
			ElementType: types.StringType,
			Computed:    true,
		},
		"ipv6_addresses": schema.ListAttribute{
			MarkdownDescription: "IPv6 addresses the guest agent reports, like `ipv4_addresses`.",
			ElementType:         types.StringType,
			Computed:            true,
		},
		"network_interfaces": schema.ListNestedAttribute{
			MarkdownDescription: "The guest's network interfaces as the guest agent reports them, loopback " +
				"included. Empty while the VM is stopped, the agent is disabled or does not answer.",
			Computed: true,
			NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
				"name": schema.StringAttribute{MarkdownDescription: "Interface name in the guest, e.g. `ens18`.", Computed: true},
				"mac":  schema.StringAttribute{MarkdownDescription: "Hardware (MAC) address.", Computed: true},
				"addresses": schema.ListAttribute{
					MarkdownDescription: "Addresses in CIDR notation, e.g. `10.0.0.20/24`.",
					ElementType:         types.StringType,
					Computed:            true,
				},
			}},
		},
	}
}

func (m *vmResourceModel) agent(ctx context.Context, diags *diag.Diagnostics) *agentModel {
	if m.Agent.IsNull() || m.Agent.IsUnknown() {
		return nil
	}
	var a agentModel
	diags.Append(m.Agent.As(ctx, &a, basetypes.ObjectAsOptions{})...)
	return &a
}

// agentFor merges the known parts of the configured agent into base.
func agentFor(a *agentModel, base pve.Agent) pve.Agent {
	if known(a.Enabled) {
		base.Enabled = a.Enabled.ValueBool()
	}
	if known(a.Trim) {
		base.FstrimClonedDisks = a.Trim.ValueBool()
	}
	if known(a.Type) {
		base.Type = a.Type.ValueString()
	}
	return base
}

// agentCreate is the agent of a new VM: nil (PVE's default) unless the
// configuration says something.
func (m *vmResourceModel) agentCreate(ctx context.Context, diags *diag.Diagnostics) *pve.Agent {
	a := m.agent(ctx, diags)
	if a == nil || (!known(a.Enabled) && !known(a.Trim) && !known(a.Type)) {
		return nil
	}
	out := agentFor(a, pve.ParseAgent(""))
	return &out
}

// diffAgent is the agent change, keeping the properties of the VM's agent
// the provider does not manage; nil when nothing changes.
func diffAgent(ctx context.Context, want *vmResourceModel, have *pve.VM, diags *diag.Diagnostics) *pve.Agent {
	a := want.agent(ctx, diags)
	if a == nil {
		return nil
	}
	w := agentFor(a, have.Agent)
	if pve.SameAgent(w, have.Agent) {
		return nil
	}
	out := have.Agent.WithManaged(w)
	return &out
}

// applyAgent copies the VM's agent setting and what its agent reported
// into the model; wait_for_ip exists only in Terraform and is kept.
func (m *vmResourceModel) applyAgent(ctx context.Context, vm *pve.VM, diags *diag.Diagnostics) {
	wait := types.ObjectNull(waitForIPAttrTypes)
	if prior := m.agent(ctx, diags); prior != nil && !prior.WaitForIP.IsUnknown() {
		wait = prior.WaitForIP
	}
	typ := vm.Agent.Type
	if typ == "" {
		typ = pve.AgentTypeVirtio
	}
	agent, d := types.ObjectValue(agentAttrTypes, map[string]attr.Value{
		"enabled":     types.BoolValue(vm.Agent.Enabled),
		"trim":        types.BoolValue(vm.Agent.FstrimClonedDisks),
		"type":        types.StringValue(typ),
		"wait_for_ip": wait,
	})
	diags.Append(d...)
	m.Agent = agent
	m.applyGuestInterfaces(ctx, vm.GuestInterfaces, diags)
}

func (m *vmResourceModel) applyGuestInterfaces(ctx context.Context, ifaces []pve.GuestInterface, diags *diag.Diagnostics) {
	ipv4, ipv6 := pve.RoutableAddresses(ifaces)
	var d diag.Diagnostics
	m.IPv4Addresses, d = types.ListValueFrom(ctx, types.StringType, ipv4)
	diags.Append(d...)
	m.IPv6Addresses, d = types.ListValueFrom(ctx, types.StringType, ipv6)
	diags.Append(d...)
	objs := make([]attr.Value, 0, len(ifaces))
	for _, gi := range ifaces {
		addrs, d := types.ListValueFrom(ctx, types.StringType, gi.Addresses)
		diags.Append(d...)
		o, d := types.ObjectValue(guestInterfaceAttrTypes, map[string]attr.Value{
			"name": types.StringValue(gi.Name), "mac": types.StringValue(gi.MAC), "addresses": addrs,
		})
		diags.Append(d...)
		objs = append(objs, o)
	}
	m.NetworkInterfaces, d = types.ListValue(types.ObjectType{AttrTypes: guestInterfaceAttrTypes}, objs)
	diags.Append(d...)
}

// readGuest asks the guest agent of a running VM with the agent enabled
// for its interfaces: one request, bounded by pve.AgentReadTimeout, and
// none otherwise. An agent that does not answer (or any failure) leaves
// the interfaces empty: a refresh never fails or waits for the agent.
func (r *vmResource) readGuest(ctx context.Context, vm *pve.VM) {
	if vm.Status != "running" || !vm.Agent.Enabled {
		return
	}
	ifaces, err := r.data.client.GuestInterfaces(ctx, vm.Node, vm.VMID)
	if err != nil {
		level := tflog.Warn
		if errors.Is(err, pve.ErrAgentNotRunning) {
			level = tflog.Debug
		}
		level(ctx, "no network interfaces from the guest agent", map[string]any{"vmid": vm.VMID, "error": err.Error()})
		return
	}
	vm.GuestInterfaces = ifaces
}

// agentPollInterval is the pause between two questions to a guest agent
// that has no address yet.
const agentPollInterval = 2 * time.Second

// waitForIP waits, when the configuration asks for it, until the guest
// agent of a VM the provider just started reports a routable address, and
// records what it reports. Reaching the timeout is an error.
func (r *vmResource) waitForIP(ctx context.Context, plan *vmResourceModel, vm *pve.VM, diags *diag.Diagnostics) {
	a := plan.agent(ctx, diags)
	if a == nil || a.WaitForIP.IsNull() || a.WaitForIP.IsUnknown() || !plan.Started.ValueBool() {
		return
	}
	var w waitForIPModel
	diags.Append(a.WaitForIP.As(ctx, &w, basetypes.ObjectAsOptions{})...)
	timeout, d := w.Timeout.ValueGoDuration()
	diags.Append(d...)
	if diags.HasError() {
		return
	}
	clock := r.data.clock
	deadline := clock.Now().Add(timeout)
	lastErr := "the agent reported no address other than loopback and link-local"
	for {
		if !vm.Agent.Enabled {
			lastErr = "the agent is not enabled in the VM's configuration (agent.enabled)"
		} else if ifaces, err := r.data.client.GuestInterfaces(ctx, vm.Node, vm.VMID); err != nil {
			lastErr = err.Error()
		} else {
			vm.GuestInterfaces = ifaces
			if v4, v6 := pve.RoutableAddresses(ifaces); len(v4)+len(v6) > 0 {
				return
			}
			lastErr = "the agent reported no address other than loopback and link-local"
		}
		next := clock.Now().Add(agentPollInterval)
		if !next.Before(deadline) || clock.SleepUntil(ctx, next) != nil {
			break
		}
	}
	diags.AddAttributeError(pathAgent.AtName("wait_for_ip"), "No IP address from the guest agent",
		fmt.Sprintf("VM %d (%q) on node %s runs, but its guest agent reported no IP address other than loopback "+
			"and link-local within %s. Last answer: %s.\n\nCheck that the QEMU guest agent is installed and running "+
			"in the guest (qemu-guest-agent), that agent.enabled = true was in effect when the VM started, that the "+
			"VM booted, and that its network gets an address; then raise agent.wait_for_ip.timeout or remove "+
			"wait_for_ip. The VM is kept in state.",
			vm.VMID, vm.Name, vm.Node, timeout, strings.TrimSuffix(lastErr, ".")))
}

// waitForIPAfterStart is waitForIP for a VM the provider just created or
// started, reading the VM first and recording it in state after: the wait
// costs nothing when wait_for_ip is not set.
func (r *vmResource) waitForIPAfterStart(ctx context.Context, plan *vmResourceModel, node string, vmid int, state *tfsdk.State, diags *diag.Diagnostics) {
	a := plan.agent(ctx, diags)
	if a == nil || a.WaitForIP.IsNull() || a.WaitForIP.IsUnknown() || !plan.Started.ValueBool() || diags.HasError() {
		return
	}
	vm, err := r.data.client.GetVM(ctx, node, vmid)
	if err != nil {
		addAPIError(diags, fmt.Sprintf("read VM %d to wait for its IP address", vmid), err)
		return
	}
	r.waitForIP(ctx, plan, vm, diags)
	var saveDiags diag.Diagnostics
	r.saveVM(ctx, plan, vm, state, &saveDiags)
	diags.Append(saveDiags...)
}

// guestDataAttributes are the attributes the guest agent fills.
var guestDataAttributes = map[string]bool{"ipv4_addresses": true, "ipv6_addresses": true, "network_interfaces": true}

// keepGuestDataWithoutChange keeps what the guest agent reported when the
// plan changes nothing else: the framework marks every computed attribute
// unknown as soon as the proposed state differs from the prior one in any
// way, even where plan modifiers then restore every value, and a plan of
// "(known after apply)" addresses alone would never be clean.
func keepGuestDataWithoutChange(state tfsdk.State, plan *tfsdk.Plan) {
	if state.Raw.IsNull() || plan.Raw.IsNull() {
		return
	}
	diffs, err := plan.Raw.Diff(state.Raw)
	if err != nil || len(diffs) == 0 {
		return
	}
	for _, d := range diffs {
		steps := d.Path.Steps()
		if len(steps) == 0 {
			return
		}
		name, ok := steps[0].(tftypes.AttributeName)
		if !ok || !guestDataAttributes[string(name)] {
			return
		}
	}
	plan.Raw = state.Raw.Copy()
}

// withoutGuestData gives a model built by hand (a moved resource) the
// group's values before the first refresh: no agent setting known, no
// addresses, and reboot_after_update's default.
func (m *vmResourceModel) withoutGuestData() {
	m.Agent = types.ObjectNull(agentAttrTypes)
	m.IPv4Addresses = types.ListValueMust(types.StringType, []attr.Value{})
	m.IPv6Addresses = types.ListValueMust(types.StringType, []attr.Value{})
	m.NetworkInterfaces = types.ListValueMust(types.ObjectType{AttrTypes: guestInterfaceAttrTypes}, []attr.Value{})
	m.RebootAfterUpdate = types.BoolValue(true)
}
