package provider

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

func TestLeftoverVolumesWarning(t *testing.T) {
	var diags diag.Diagnostics
	addLeftoverVolumesWarning(&diags, guard.VM{VMID: 108, Node: "pve", Name: "monitoring-prometheus"}, nil)
	if len(diags) != 0 {
		t.Fatalf("a clean destroy warns: %v", diags)
	}
	addLeftoverVolumesWarning(&diags, guard.VM{VMID: 108, Node: "pve", Name: "monitoring-prometheus"}, []pve.LeftoverVolume{{
		VolumeID: "downloads:vm-108-disk-1",
		Reason:   "could not activate storage 'downloads', zfs error: cannot import 'downloads': no such pool available",
	}})
	if len(diags) != 1 || diags[0].Severity() != diag.SeverityWarning {
		t.Fatalf("diagnostics %v, want one warning", diags)
	}
	for _, want := range []string{
		`VM 108 ("monitoring-prometheus") on node pve is destroyed`,
		"downloads:vm-108-disk-1: could not activate storage 'downloads'",
		"pvesm free downloads:vm-108-disk-1",
	} {
		if !strings.Contains(diags[0].Detail(), want) {
			t.Errorf("warning %q lacks %q", diags[0].Detail(), want)
		}
	}
}

func TestDescribeAPIErrorNamesTheSettingToChange(t *testing.T) {
	refused := &url.Error{Op: "Get", URL: "https://127.0.0.1:1/api2/json/version",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}
	untrusted := &url.Error{Op: "Get", URL: "https://pve:8006/api2/json/version",
		Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}}
	for _, tt := range []struct {
		name string
		err  error
		want []string
	}{
		{"refused", fmt.Errorf("Proxmox VE API GET /version: %w", refused),
			[]string{"Nothing accepted the connection", `"endpoint" (or the PROXMOX_VE_ENDPOINT`, "8006"}},
		{"untrusted certificate", fmt.Errorf("Proxmox VE API GET /version: %w", untrusted),
			[]string{"could not be verified", `"ca_certificate" (or the PROXMOX_VE_CA_CERTIFICATE`, "/etc/pve/pve-root-ca.pem", `"insecure"`}},
		{"anything else", errors.New("boom"), []string{"boom"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := describeAPIError(tt.err)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q lacks %q", got, w)
				}
			}
		})
	}
}
