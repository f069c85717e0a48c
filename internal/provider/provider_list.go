package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/provider"
)

var _ provider.ProviderWithListResources = (*proxmoxsafeProvider)(nil)

// ListResources are the list resources of `terraform query` (Terraform 1.14+).
// Older Terraform versions never ask for them.
func (p *proxmoxsafeProvider) ListResources(context.Context) []func() list.ListResource {
	return []func() list.ListResource{
		NewVMListResource,
	}
}
