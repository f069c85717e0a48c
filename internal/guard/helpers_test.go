package guard

import (
	"slices"
)

// vm builds a stopped VM with a known name; opts adjust it.
func vm(id int, name string, createdAt int64, opts ...func(*VM)) VM {
	v := VM{VMID: id, Node: "pve", Name: name, NameKnown: true, Status: "stopped", CreatedAt: createdAt}
	for _, o := range opts {
		o(&v)
	}
	return v
}

func running(v *VM)     { v.Status = "running" }
func template(v *VM)    { v.Template = true }
func nameUnknown(v *VM) { v.NameKnown = false; v.Name = ""; v.Status = "unknown" }
func onNode(n string) func(*VM) {
	return func(v *VM) { v.Node = n }
}

func ids(vms []VM) []int {
	out := make([]int, 0, len(vms))
	for _, v := range vms {
		out = append(out, v.VMID)
	}
	return out
}

func set(ids ...int) map[int]bool {
	m := make(map[int]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// incidentVMs is the cluster that motivated the provider: repeated applies
// created five monitoring-prometheus and six monitoring-grafana VMs across
// two nodes; only the last of each (123, 126) runs. Creation times follow
// the VMIDs, a minute apart.
func incidentVMs() []VM {
	const base = int64(1_700_000_000)
	var out []VM
	add := func(name string, vmids ...int) {
		for i, id := range vmids {
			node := "pve1"
			if i%2 == 1 {
				node = "pve2"
			}
			v := vm(id, name, base+int64(id)*60, onNode(node))
			if id == 123 || id == 126 {
				v.Status = "running"
			}
			out = append(out, v)
		}
	}
	add("monitoring-prometheus", 108, 112, 116, 121, 123)
	add("monitoring-grafana", 110, 111, 115, 117, 122, 126)
	// an unrelated VM, and a container-free inventory as the caller filters lxc
	out = append(out, vm(100, "dns", base))
	slices.SortFunc(out, func(a, b VM) int { return a.VMID - b.VMID })
	return out
}

// permutations calls f with every ordering of vms (copies).
func permutations(vms []VM, f func([]VM)) {
	var rec func(k int, cur []VM)
	rec = func(k int, cur []VM) {
		if k == len(cur) {
			f(slices.Clone(cur))
			return
		}
		for i := k; i < len(cur); i++ {
			cur[k], cur[i] = cur[i], cur[k]
			rec(k+1, cur)
			cur[k], cur[i] = cur[i], cur[k]
		}
	}
	rec(0, slices.Clone(vms))
}
