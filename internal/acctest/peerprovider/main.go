// Command peerprovider is a stand-in for the Proxmox VE providers people
// migrate from (bpg/proxmox and Telmate/proxmox), for the tests of `moved`
// blocks. Terraform installs every provider that the state names, so a state
// holding a proxmox_virtual_environment_vm or a proxmox_vm_qemu cannot be
// planned unless some provider answers for that address; the test harness
// builds this binary into a local filesystem mirror under both addresses.
//
// It only declares the two resource types, with just their identifying
// attributes: moving a resource to another type hands the raw state to the
// target provider, so nothing else of the old schema is needed. It never talks
// to Proxmox VE; reading or changing a resource is an error.
package main

import (
	"context"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
)

func main() {
	err := providerserver.Serve(context.Background(), func() provider.Provider { return peerProvider{} },
		providerserver.ServeOpts{Address: "registry.terraform.io/peer/proxmox"})
	if err != nil {
		log.Fatal(err)
	}
}

type peerProvider struct{}

func (peerProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "proxmox"
}

func (peerProvider) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse) {}

func (peerProvider) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}

func (peerProvider) DataSources(context.Context) []func() datasource.DataSource { return nil }

func (peerProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		// bpg/proxmox
		func() resource.Resource {
			return peerVM{typeName: "proxmox_virtual_environment_vm", ints: []string{"vm_id"}, strs: []string{"node_name", "name"}}
		},
		// Telmate/proxmox
		func() resource.Resource {
			return peerVM{typeName: "proxmox_vm_qemu", ints: []string{"vmid"}, strs: []string{"target_node", "name"}}
		},
	}
}

type peerVM struct {
	typeName   string
	ints, strs []string
}

func (r peerVM) Metadata(_ context.Context, _ resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = r.typeName
}

func (r peerVM) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	attrs := map[string]schema.Attribute{"id": schema.StringAttribute{Computed: true}}
	for _, a := range r.ints {
		attrs[a] = schema.Int64Attribute{Optional: true, Computed: true}
	}
	for _, a := range r.strs {
		attrs[a] = schema.StringAttribute{Optional: true}
	}
	resp.Schema = schema.Schema{Attributes: attrs}
}

const refusal = "This is a stand-in for tests of moved blocks; it manages nothing."

func (r peerVM) Create(_ context.Context, _ resource.CreateRequest, resp *resource.CreateResponse) {
	resp.Diagnostics.AddError("Stand-in provider", refusal)
}

func (r peerVM) Read(_ context.Context, _ resource.ReadRequest, resp *resource.ReadResponse) {
	resp.Diagnostics.AddError("Stand-in provider", refusal)
}

func (r peerVM) Update(_ context.Context, _ resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.Diagnostics.AddError("Stand-in provider", refusal)
}

func (r peerVM) Delete(_ context.Context, _ resource.DeleteRequest, resp *resource.DeleteResponse) {
	resp.Diagnostics.AddError("Stand-in provider", refusal)
}
