package guard

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// KeepPolicy chooses which member of a duplicate group keeps the name.
type KeepPolicy string

const (
	// KeepNewestRunning keeps the newest running member, or the newest
	// member when none runs. It is the default: the running VM is most
	// likely the one in use.
	KeepNewestRunning KeepPolicy = "newest_running"
	KeepNewest        KeepPolicy = "newest"
	KeepOldest        KeepPolicy = "oldest"
	KeepLowestVMID    KeepPolicy = "lowest_vmid"

	DefaultKeepPolicy = KeepNewestRunning
)

// KeepPolicies lists the valid keep policies, default first, for validators.
func KeepPolicies() []string {
	return []string{string(KeepNewestRunning), string(KeepNewest), string(KeepOldest), string(KeepLowestVMID)}
}

// ParseKeepPolicy validates s; "" means DefaultKeepPolicy.
func ParseKeepPolicy(s string) (KeepPolicy, error) {
	if s == "" {
		return DefaultKeepPolicy, nil
	}
	for _, p := range KeepPolicies() {
		if s == p {
			return KeepPolicy(p), nil
		}
	}
	return "", fmt.Errorf("unknown keep policy %q: must be one of %s", s, strings.Join(KeepPolicies(), ", "))
}

// Group is a set of VMs sharing one name (case-insensitively).
type Group struct {
	// Name is the spelling of the oldest member.
	Name string
	// Members are oldest first (see the package comment).
	Members []VM
	Keep    VM
	// Remove is Members without Keep, in member order.
	Remove []VM
}

// DuplicateGroups groups vms by case-insensitive name and returns the groups
// with more than one member, sorted by lowercase name. VMs with an unknown or
// empty name are left out, and a VMID listed twice counts once.
//
// "Newest" is the reverse of member order: VMs without a creation time count
// as newer than all with one, and among equal times the highest VMID is newest.
//
// Templates: when a group has any non-template member, Keep is chosen among
// the non-templates only, so the kept VM is always one the resource could
// adopt. Templates can still be in Remove.
//
// An unknown keep policy behaves as the default; validate with ParseKeepPolicy.
func DuplicateGroups(vms []VM, keep KeepPolicy) []Group {
	byKey := make(map[string][]VM)
	seen := make(map[int]bool)
	var keys []string
	for _, vm := range vms {
		if !vm.NameKnown || vm.Name == "" || seen[vm.VMID] {
			continue
		}
		seen[vm.VMID] = true
		k := foldKey(vm.Name)
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], vm)
	}
	slices.Sort(keys)

	var groups []Group
	for _, k := range keys {
		members := byKey[k]
		if len(members) < 2 {
			continue
		}
		slices.SortStableFunc(members, compareAge)
		kept := pickKeep(members, keep)
		remove := make([]VM, 0, len(members)-1)
		for _, m := range members {
			if m.VMID != kept.VMID {
				remove = append(remove, m)
			}
		}
		groups = append(groups, Group{Name: members[0].Name, Members: members, Keep: kept, Remove: remove})
	}
	return groups
}

// pickKeep applies policy to members, which are oldest first.
func pickKeep(members []VM, policy KeepPolicy) VM {
	cands := members
	var live []VM
	for _, m := range members {
		if !m.Template {
			live = append(live, m)
		}
	}
	if len(live) > 0 {
		cands = live
	}
	newest := cands[len(cands)-1]
	switch policy {
	case KeepOldest:
		return cands[0]
	case KeepNewest:
		return newest
	case KeepLowestVMID:
		return slices.MinFunc(cands, func(a, b VM) int { return a.VMID - b.VMID })
	default: // KeepNewestRunning
		for i := len(cands) - 1; i >= 0; i-- {
			if cands[i].Status == "running" {
				return cands[i]
			}
		}
		return newest
	}
}

// foldKey maps s to a key equal for exactly the strings strings.EqualFold
// treats as equal: each rune becomes the lowercase of the smallest rune in
// its case-folding orbit (so "K", "k" and the Kelvin sign share a key).
func foldKey(s string) string {
	var b strings.Builder
	for _, r := range s {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		b.WriteRune(unicode.ToLower(m))
	}
	return b.String()
}
