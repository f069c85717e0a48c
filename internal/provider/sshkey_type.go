package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// sshKeyType is an OpenSSH public key whose spelling does not matter:
// keys equal after pve.SSHKeyLines (trailing newline, surrounding and
// repeated blanks) are the same key, so file("~/.ssh/id.pub") and what
// Proxmox VE stores cause no drift.
type sshKeyType struct{ basetypes.StringType }

var (
	_ basetypes.StringTypable                    = sshKeyType{}
	_ basetypes.StringValuableWithSemanticEquals = sshKeyValue{}
)

func (t sshKeyType) Equal(o attr.Type) bool { _, ok := o.(sshKeyType); return ok }

func (t sshKeyType) String() string { return "sshKeyType" }

func (t sshKeyType) ValueFromString(_ context.Context, in basetypes.StringValue) (basetypes.StringValuable, diag.Diagnostics) {
	return sshKeyValue{StringValue: in}, nil
}

func (t sshKeyType) ValueFromTerraform(ctx context.Context, in tftypes.Value) (attr.Value, error) {
	v, err := t.StringType.ValueFromTerraform(ctx, in)
	if err != nil {
		return nil, err
	}
	s, ok := v.(basetypes.StringValue)
	if !ok {
		return nil, fmt.Errorf("unexpected value type %T", v)
	}
	return sshKeyValue{StringValue: s}, nil
}

func (t sshKeyType) ValueType(context.Context) attr.Value { return sshKeyValue{} }

// sshKeyValue is a value of sshKeyType.
type sshKeyValue struct{ basetypes.StringValue }

func (v sshKeyValue) Equal(o attr.Value) bool {
	other, ok := o.(sshKeyValue)
	return ok && v.StringValue.Equal(other.StringValue)
}

func (v sshKeyValue) Type(context.Context) attr.Type { return sshKeyType{} }

// StringSemanticEquals keeps the prior spelling of the same key.
func (v sshKeyValue) StringSemanticEquals(_ context.Context, other basetypes.StringValuable) (bool, diag.Diagnostics) {
	o, ok := other.(sshKeyValue)
	if !ok {
		return false, nil
	}
	return equalStrings(pve.SSHKeyLines(v.ValueString()), pve.SSHKeyLines(o.ValueString())), nil
}
