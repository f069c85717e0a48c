package pvesim

// rootOnly refuses root-only parameters for anyone but root@pam, as
// qemu-server API2/Qemu.pm does for skiplock (update_vm_api, destroy_vm,
// vm_stop, vm_reset, ...) and start's migration parameters
// ($get_root_param): `raise_param_exc({ $p => "Only root may use this
// option." }) if $value && $authuser ne 'root@pam'`. For an API token the
// authenticated user is the token ID ("root@pam!id", pve-manager
// HTTPServer.pm auth_handler), so no token passes.
func rootOnly(r *request, params ...string) *resp {
	if r.auth != nil && r.auth.user == "root@pam" {
		return nil
	}
	for _, p := range params {
		if v := r.params[p]; v != "" && v != "0" {
			return paramErr1(p, "Only root may use this option.")
		}
	}
	return nil
}
