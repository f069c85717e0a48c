package provider

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

const duplicatesHint = "The proxmoxsafe_vm_duplicates data source lists every duplicated name with the VMID it " +
	"would keep and ready-to-use import IDs."

// addAPIError reports a failed Proxmox VE call, with advice for the errors a
// user can act on.
func addAPIError(diags *diag.Diagnostics, action string, err error) {
	diags.AddError(fmt.Sprintf("Failed to %s", action), describeAPIError(err))
}

func describeAPIError(err error) string {
	var taskErr *pve.TaskError
	switch {
	case errors.As(err, &taskErr):
		return fmt.Sprintf("The Proxmox VE task %s failed: %s\n\nTask: %s on node %s.",
			taskErr.Type, taskErr.ExitStatus, taskErr.UPID, taskErr.Node)
	case errors.Is(err, pve.ErrUnauthorized):
		return fmt.Sprintf("Proxmox VE rejected the provider's credentials: %s\n\nCheck the provider's "+
			"api_token (%s) or username/password (%s/%s).", err, envAPIToken, envUsername, envPassword)
	case errors.Is(err, pve.ErrPermission):
		return fmt.Sprintf("Proxmox VE refused the request: %s\n\nThe token or user needs the privilege "+
			"named in the message (VM.Audit on /vms to see every VM, VM.Allocate to create one).", err)
	case errors.Is(err, pve.ErrNodeUnreachable):
		return fmt.Sprintf("A Proxmox VE node could not be reached: %s\n\nNothing was changed on it; "+
			"retry when the node is back.", err)
	case isCertificateError(err):
		return fmt.Sprintf("The TLS certificate of the Proxmox VE endpoint could not be verified: %s\n\n"+
			"Give the provider the cluster's CA certificate in %s (on any node it is "+
			"/etc/pve/pve-root-ca.pem), and make the endpoint's host name one the certificate names. For "+
			"a throwaway lab only, %s skips the check.", err, settingCACertificate.describe(), settingInsecure.describe())
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("Nothing accepted the connection to the Proxmox VE endpoint: %s\n\nCheck the host "+
			"and port in %s: the Proxmox VE API listens on port 8006 (https://<node>:8006), and pveproxy must "+
			"be running on that node.", err, settingEndpoint.describe())
	}
	return err.Error()
}

// isCertificateError reports whether err is a failed verification of the
// server's certificate (unknown authority, wrong host name, expired).
func isCertificateError(err error) bool {
	var verify *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid)
}

// vmLine describes one VM in an error: VMID, node, name, status, created.
func vmLine(vm guard.VM) string {
	var b strings.Builder
	fmt.Fprintf(&b, "VMID %d on node %s, name %q", vm.VMID, vm.Node, vm.Name)
	if vm.Status != "" {
		fmt.Fprintf(&b, ", %s", vm.Status)
	}
	if vm.Template {
		b.WriteString(", template")
	}
	if vm.CreatedAt > 0 {
		fmt.Fprintf(&b, ", created %s", time.Unix(vm.CreatedAt, 0).UTC().Format(time.RFC3339))
	}
	return b.String()
}

func vmList(vms []guard.VM) string {
	lines := make([]string, 0, len(vms))
	for _, vm := range vms {
		lines = append(lines, "  - "+vmLine(vm))
	}
	return strings.Join(lines, "\n")
}

func importAdvice(id string) string {
	return fmt.Sprintf("To manage it with this resource, import it:\n\n"+
		"  terraform import <resource address> %s\n\n"+
		"or with an import block:\n\n"+
		"  import {\n    to = <resource address>\n    id = %q\n  }\n\n"+
		"or set on_existing = \"adopt\" to take it over on the next apply.", id, id)
}

// addGuardRefusal explains why the guard refused to create a VM named name.
func addGuardRefusal(diags *diag.Diagnostics, name string, d guard.Decision) {
	var summary, detail string
	switch d.Reason {
	case guard.ReasonExists:
		summary = "A VM with this name already exists"
		detail = fmt.Sprintf("Proxmox VE already has a VM named %q that is not in this Terraform state:\n%s\n\n"+
			"Creating another would leave two VMs with one name, so nothing was created.\n\n%s\n\n"+
			"If this resource sets create_before_destroy, remove it: VM names must stay unique, so the old "+
			"VM has to be destroyed before its replacement is created. If the VM listed is that old VM, "+
			"Terraform now holds it as a deposed object: remove the resource from state (a removed block "+
			"with destroy = false, or terraform state rm) and import the VM again.",
			name, vmList([]guard.VM{*d.Target}), importAdvice(d.Target.Name))
	case guard.ReasonDuplicates:
		summary = "Several VMs already carry this name"
		ids := make([]string, 0, len(d.Matches))
		for _, vm := range d.Matches {
			ids = append(ids, fmt.Sprintf("%s/%d", vm.Node, vm.VMID))
		}
		detail = fmt.Sprintf("Proxmox VE has %d VMs named %q:\n%s\n\nNothing was created and none was adopted, "+
			"whatever on_existing says: decide which one to keep, import it by node/VMID (one of %s), and "+
			"delete or rename the others.\n\n%s",
			len(d.Matches), name, vmList(d.Matches), strings.Join(ids, ", "), duplicatesHint)
	case guard.ReasonTemplate:
		summary = "Refusing to adopt a template"
		detail = fmt.Sprintf("The only VM named %q is a template:\n%s\n\non_existing = \"adopt\" never takes "+
			"over a template. Choose another name, or use the template as a clone source "+
			"(clone = { source = %q }).", name, vmList([]guard.VM{*d.Target}), name)
	case guard.ReasonUnverifiable:
		summary = "Cannot verify that the VM name is unique"
		detail = fmt.Sprintf("The names of these VMs could not be read, so a VM named %q may already exist: "+
			"VMIDs %s. Their node may be offline or the VM was created seconds ago.\n\nNothing was created. "+
			"Retry when every node is online.", name, joinInts(d.Unchecked))
	case guard.ReasonPartialVisibility:
		summary = "The provider's credentials cannot see every VM"
		detail = fmt.Sprintf("The token or user lacks VM.Audit on /vms (or /), so Proxmox VE hides some VMs "+
			"from it and a VM named %q may exist unseen. Nothing was created.\n\nGrant VM.Audit on /vms "+
			"(for example the PVEAuditor role) to the token or user.", name)
	case guard.ReasonCreating:
		summary = "Another apply is still creating a VM with this name"
		detail = fmt.Sprintf("An apply of this provider is creating a VM named %q and had not finished after "+
			"waiting for it:\n%s\n\nNothing was created. This is not a duplicate: that apply either keeps "+
			"the VM or removes it. Run terraform apply again once it has finished.", name, vmList(d.Creating))
	default:
		summary = "Refusing to create the VM"
		detail = fmt.Sprintf("The duplicate guard refused to create a VM named %q (%s).", name, d.Reason)
	}
	diags.AddAttributeError(pathName, summary, detail)
}

func joinInts(ids []int) string {
	s := make([]string, 0, len(ids))
	for _, id := range ids {
		s = append(s, fmt.Sprint(id))
	}
	return strings.Join(s, ", ")
}

// addLeftoverVolumesWarning tells the operator which disks a destroy left
// behind on a storage Proxmox VE could not activate, and how to free them
// once the storage is back: `pvesm free <volid>` (pve-storage
// PVE/CLI/pvesm.pm maps it to the storage content delete call).
func addLeftoverVolumesWarning(diags *diag.Diagnostics, vm guard.VM, leftovers []pve.LeftoverVolume) {
	if len(leftovers) == 0 {
		return
	}
	lines := make([]string, 0, len(leftovers))
	commands := make([]string, 0, len(leftovers))
	for _, v := range leftovers {
		lines = append(lines, fmt.Sprintf("  - %s: %s", v.VolumeID, v.Reason))
		commands = append(commands, "  pvesm free "+v.VolumeID)
	}
	diags.AddWarning("VM destroyed, disks left behind",
		fmt.Sprintf("VM %d (%q) on node %s is destroyed, but Proxmox VE could not free %d of its disks, so they "+
			"stay on their storage and use its space:\n%s\n\nOnce the storage is available again, free them on "+
			"node %s:\n%s", vm.VMID, vm.Name, vm.Node, len(leftovers), strings.Join(lines, "\n"), vm.Node,
			strings.Join(commands, "\n")))
}
