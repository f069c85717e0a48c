package pvesim

// withRevertLocked is the revert loop of $update_vm_api's
// $load_and_check_config (qemu-server src/PVE/API2/Qemu.pm, 8.2.x and 9.x
// alike): an option set in the current config is written again with its
// current value, which cleanup_pending (pve-guest-common AbstractConfig.pm)
// then drops from the pending section together with its pending delete; an
// option that is only pending is deleted, which removes its pending value.
// Reverting an option that is neither is a no-op. It returns new maps;
// callers hold s.mu.
func withRevertLocked(v *vmState, set map[string]string, del []string, revert map[string]bool) (map[string]string, []string) {
	if len(revert) == 0 {
		return set, del
	}
	out := copyConf(set)
	outDel := append([]string(nil), del...)
	for _, k := range sortedKeys(revert) {
		if cur, has := v.Conf[k]; has {
			out[k] = cur
		} else if _, pending := v.Pending[k]; pending {
			outDel = append(outDel, k)
		}
	}
	return out, outDel
}
