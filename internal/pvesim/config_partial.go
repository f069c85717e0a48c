package pvesim

import "slices"

// A config update that fails part way leaves what it wrote before. In
// qemu-server 9.2.6 (and 8.2.4) src/PVE/API2/Qemu.pm $update_vm_api,
// $updatefn walks "foreach my $opt (@delete)" and then "foreach my $opt
// (keys %$param)", and for each option reloads the config, puts the value
// into [PENDING] and calls PVE::QemuConfig->write_config. The checks that
// can still fail there run per option, inside that loop:
//
//   - write_config itself: QemuServer.pm write_vm_config's cleanup_config
//     passes every value through check_type, whose integers are /^(\d+)$/,
//     so "+2" (accepted by the API's JSONSchema is_integer) dies "unable to
//     parse value of 'cores' - type check ('integer') failed - got '+2'";
//   - the "boot" branch: "invalid bootorder: device '<dev>' does not exist'";
//   - a drive's create_disks: a CD-ROM image that does not exist.
//
// The options written before the failing one stay in [PENDING]: the
// cleanup_pending and the apply (vmconfig_apply_pending on a stopped VM,
// vmconfig_hotplug_pending on a running one) come after the loop and are
// never reached. So GET config (pending applied) shows them, config with
// current=1 does not, and /pending lists them, even on a stopped VM.
//
// Which options come "before" is Perl's hash order of %$param, randomised
// per process: a client can find any subset of the other options written.
// The simulator walks them sorted, one of PVE's possible orders.

// firstFailingOptionLocked runs $updatefn's per-option checks in the
// simulator's order and returns the failing option and its error, with
// set's drive values completed as create_disks writes them (ISO sizes).
func (s *Server) firstFailingOptionLocked(v *vmState, set map[string]string, del []string) (string, error) {
	for _, k := range sortedKeys(set) {
		if isDiskKey(k) {
			one := map[string]string{k: set[k]}
			if err := s.checkCDROMMediaLocked(v.Node, one); err != nil {
				return k, err
			}
			set[k] = one[k]
		}
		if k == "boot" {
			if err := checkBootOrder(v, set, del); err != nil {
				return k, err
			}
		}
		if err := configTypeErr(map[string]string{k: set[k]}); err != nil {
			return k, err
		}
	}
	return "", nil
}

// writtenBefore is the part of set that $updatefn wrote before it died at
// option failed.
func writtenBefore(set map[string]string, failed string) map[string]string {
	out := map[string]string{}
	keys := sortedKeys(set)
	for _, k := range keys[:slices.Index(keys, failed)] {
		out[k] = set[k]
	}
	return out
}
