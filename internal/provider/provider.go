// Package provider implements the proxmoxsafe Terraform provider: a Proxmox VE
// provider whose VM resource refuses to create a VM whose name already exists.
package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/providervalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// RegistryAddress is the provider's address in the Terraform registry.
const RegistryAddress = "registry.terraform.io/proxmoxsafe/proxmoxsafe"

var (
	_ provider.Provider                     = (*proxmoxsafeProvider)(nil)
	_ provider.ProviderWithConfigValidators = (*proxmoxsafeProvider)(nil)
	_ provider.ProviderWithValidateConfig   = (*proxmoxsafeProvider)(nil)
)

// New returns a constructor for the provider, as providerserver expects.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &proxmoxsafeProvider{version: version}
	}
}

type proxmoxsafeProvider struct {
	version string
}

// providerModel is the provider block as written by the user.
type providerModel struct {
	Endpoint       types.String `tfsdk:"endpoint"`
	APIToken       types.String `tfsdk:"api_token"`
	Username       types.String `tfsdk:"username"`
	Password       types.String `tfsdk:"password"`
	Insecure       types.Bool   `tfsdk:"insecure"`
	CACertificate  types.String `tfsdk:"ca_certificate"`
	MinTLS         types.String `tfsdk:"min_tls"`
	OnExisting     types.String `tfsdk:"on_existing"`
	DefaultNode    types.String `tfsdk:"default_node"`
	RequestTimeout types.Int64  `tfsdk:"request_timeout"`
	MaxRetries     types.Int64  `tfsdk:"max_retries"`
}

func (p *proxmoxsafeProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "proxmoxsafe"
	resp.Version = p.version
}

func (p *proxmoxsafeProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The proxmoxsafe provider manages Proxmox VE virtual machines and guarantees that " +
			"Terraform never creates a second VM with a name that already exists in the cluster, " +
			"even after the Terraform state was lost or reset.",
		Attributes: map[string]schema.Attribute{
			"endpoint": schema.StringAttribute{
				MarkdownDescription: "URL of the Proxmox VE API, e.g. `https://pve.example.com:8006/`, " +
					"with or without the `/api2/json` suffix. Environment variable: `" + envEndpoint + "`.",
				Optional: true,
			},
			"api_token": schema.StringAttribute{
				MarkdownDescription: "API token in the form `user@realm!tokenid=secret`. Conflicts with " +
					"`username`/`password`. Environment variable: `" + envAPIToken + "`.",
				Optional:  true,
				Sensitive: true,
			},
			"username": schema.StringAttribute{
				MarkdownDescription: "User for ticket login, e.g. `root@pam`. Requires `password`. " +
					"Environment variable: `" + envUsername + "`.",
				Optional: true,
			},
			"password": schema.StringAttribute{
				MarkdownDescription: "Password for ticket login. Environment variable: `" + envPassword + "`.",
				Optional:            true,
				Sensitive:           true,
			},
			"insecure": schema.BoolAttribute{
				MarkdownDescription: "Skip TLS certificate verification. Prefer `ca_certificate` for a " +
					"self-signed cluster. Defaults to `false`. Environment variable: `" + envInsecure + "`.",
				Optional: true,
			},
			"ca_certificate": schema.StringAttribute{
				MarkdownDescription: "PEM-encoded CA certificate (or bundle) to trust for the API endpoint, " +
					"so a self-signed cluster can be verified without `insecure`. Environment variable: `" +
					envCACertificate + "`, holding either PEM or a path to a PEM file.",
				Optional: true,
			},
			"min_tls": schema.StringAttribute{
				MarkdownDescription: "Minimum TLS version: `1.2` (default) or `1.3`. Environment variable: `" + envMinTLS + "`.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.OneOf(minTLSVersions()...)},
			},
			"on_existing": schema.StringAttribute{
				MarkdownDescription: "Default for `proxmoxsafe_vm.on_existing`: what to do when a VM with the " +
					"configured name already exists and is not in state. `fail` (default) stops with an error " +
					"that says how to import it; `adopt` takes the existing VM into state.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.OneOf(guard.Policies()...)},
			},
			"default_node": schema.StringAttribute{
				MarkdownDescription: "Node used by `proxmoxsafe_vm` resources that do not set `node`. " +
					"Environment variable: `" + envDefaultNode + "`.",
				Optional: true,
			},
			"request_timeout": schema.Int64Attribute{
				MarkdownDescription: "Timeout of one API request, in seconds. Defaults to `30`.",
				Optional:            true,
				Validators:          []validator.Int64{int64validator.Between(1, 3600)},
			},
			"max_retries": schema.Int64Attribute{
				MarkdownDescription: "How often a failed read-only API request (GET) is retried. Requests that " +
					"change something are never retried. Defaults to `3`.",
				Optional:   true,
				Validators: []validator.Int64{int64validator.Between(0, 10)},
			},
		},
	}
}

func (p *proxmoxsafeProvider) ConfigValidators(context.Context) []provider.ConfigValidator {
	return []provider.ConfigValidator{
		providervalidator.Conflicting(path.MatchRoot("api_token"), path.MatchRoot("username")),
		providervalidator.Conflicting(path.MatchRoot("api_token"), path.MatchRoot("password")),
		providervalidator.RequiredTogether(path.MatchRoot("username"), path.MatchRoot("password")),
		providervalidator.Conflicting(path.MatchRoot("insecure"), path.MatchRoot("ca_certificate")),
	}
}

// ValidateConfig checks what can be checked before any environment variable
// is read, so a malformed value fails `terraform validate` as well as plan.
func (p *proxmoxsafeProvider) ValidateConfig(ctx context.Context, req provider.ValidateConfigRequest, resp *provider.ValidateConfigResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	validateKnownSettings(cfg, &resp.Diagnostics)
}

func (p *proxmoxsafeProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}

	settings, diags := resolveSettings(cfg, osEnv)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}

	client, err := pve.NewClient(ctx, settings.client)
	if err != nil {
		resp.Diagnostics.AddError("Cannot create the Proxmox VE client", err.Error())
		return
	}
	tflog.Debug(ctx, "configured Proxmox VE client", map[string]any{
		"endpoint":    settings.client.Endpoint,
		"auth":        settings.authKind(),
		"on_existing": string(settings.onExisting),
	})

	data := newProviderData(client, settings)
	resp.ResourceData = data
	resp.DataSourceData = data
	resp.ListResourceData = data
}

func (p *proxmoxsafeProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewVMResource,
		NewNameGuardResource,
	}
}

func (p *proxmoxsafeProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewVMDataSource,
		NewVMsDataSource,
		NewVMDuplicatesDataSource,
	}
}
