package guard

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// VM is one virtual machine as the guard sees it.
type VM struct {
	VMID int
	Node string
	Name string
	// NameKnown is false while the VM's name could not be read (its node
	// is offline or did not list it); such a VM never matches and makes
	// Decide fail closed.
	NameKnown bool
	Status    string
	Template  bool
	// CreatedAt is the unix creation time (meta ctime); 0 when unknown.
	CreatedAt int64
	Tags      []string
	Uptime    int64
	// Creation is what the provider's create marker says about the VM.
	Creation Creation
}

// Inventory is one read of the cluster.
type Inventory struct {
	VMs []VM
	// Unresolved lists VMIDs whose names could not be read.
	Unresolved []int
	// Complete is true only when the credentials see every VM. The zero
	// value is false on purpose: an inventory nobody vouched for is partial.
	Complete bool
}

// Policy says what to do when exactly one VM already has the name.
type Policy string

const (
	PolicyFail  Policy = "fail"
	PolicyAdopt Policy = "adopt"
)

// Policies lists the valid policies, for schema validators.
func Policies() []string { return []string{string(PolicyFail), string(PolicyAdopt)} }

// ParsePolicy validates s; "" means PolicyFail, the safe default.
func ParsePolicy(s string) (Policy, error) {
	switch Policy(s) {
	case "":
		return PolicyFail, nil
	case PolicyFail, PolicyAdopt:
		return Policy(s), nil
	}
	return "", fmt.Errorf("unknown on_existing policy %q: must be one of %s", s, strings.Join(Policies(), ", "))
}

// Action is what the caller should do.
type Action int

const (
	ActionCreate Action = iota
	ActionAdopt
	ActionRefuse
	// ActionWait: an apply of this provider is creating a VM with the name;
	// read the cluster again shortly and decide again.
	ActionWait
)

func (a Action) String() string {
	switch a {
	case ActionCreate:
		return "create"
	case ActionAdopt:
		return "adopt"
	case ActionRefuse:
		return "refuse"
	case ActionWait:
		return "wait"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Reason explains a Decision.
type Reason int

const (
	ReasonNoMatch           Reason = iota // no VM has the name: create
	ReasonExists                          // one VM has it and the policy is fail
	ReasonDuplicates                      // several VMs have it: refuse whatever the policy
	ReasonTemplate                        // the only match is a template: never adopted
	ReasonUnverifiable                    // some names could not be read: see Unchecked
	ReasonPartialVisibility               // the credentials do not see every VM
	ReasonCreating                        // a racing apply is creating a VM with the name
	ReasonUnfinished                      // our own create of the VM was interrupted: take it back
	ReasonUnconfirmed                     // our own create finished, but no refresh confirmed it was saved: take it back
)

func (r Reason) String() string {
	switch r {
	case ReasonNoMatch:
		return "no_match"
	case ReasonExists:
		return "exists"
	case ReasonDuplicates:
		return "duplicates"
	case ReasonTemplate:
		return "template"
	case ReasonUnverifiable:
		return "unverifiable"
	case ReasonPartialVisibility:
		return "partial_visibility"
	case ReasonCreating:
		return "creating"
	case ReasonUnfinished:
		return "unfinished"
	case ReasonUnconfirmed:
		return "unconfirmed"
	}
	return fmt.Sprintf("Reason(%d)", int(r))
}

// Decision is the outcome of Decide.
type Decision struct {
	Action Action
	// Target is the VM to adopt, or the one conflicting VM (ReasonExists,
	// ReasonTemplate, and ReasonUnverifiable when one VM matched). Nil for
	// ReasonDuplicates (see Matches) and ReasonPartialVisibility.
	Target *VM
	// Matches are the VMs with the name, oldest first, ignored ones left out.
	// Filled whatever the Reason, so errors can name them.
	Matches []VM
	Reason  Reason
	// Unchecked are the VMIDs, ascending, whose names could not be read:
	// Inventory.Unresolved plus VMs with NameKnown false, minus ignored ones.
	// Filled whatever the Reason.
	Unchecked []int
	// Incomplete is true when the inventory was not Complete.
	Incomplete bool
	// Creating are the matches a racing apply is creating (ActionWait).
	Creating []VM
	// Remove are unfinished creates of ours that lost the name to an older
	// VM: never in any state, to be removed before acting.
	Remove []VM
}

// SameName reports whether two VM names are the same to PVE users.
func SameName(a, b string) bool { return strings.EqualFold(a, b) }

// NameKey maps a name to a key that is equal for exactly the names SameName
// treats as equal, for maps keyed by name.
func NameKey(name string) string { return foldKey(name) }

// compareAge orders older VMs first: known CreatedAt ascending, unknown
// (<= 0) after every known one, then lowest VMID.
func compareAge(a, b VM) int {
	ak, bk := a.CreatedAt > 0, b.CreatedAt > 0
	switch {
	case ak && !bk:
		return -1
	case !ak && bk:
		return 1
	case ak && bk && a.CreatedAt != b.CreatedAt:
		return cmp.Compare(a.CreatedAt, b.CreatedAt)
	}
	return cmp.Compare(a.VMID, b.VMID)
}

// Matches returns every VM whose known name is name, oldest first. A VMID
// listed twice counts once (VMIDs are unique cluster-wide). The empty name
// matches nothing: a VM without a name is not a match for "".
func Matches(inv Inventory, name string) []VM {
	if name == "" {
		return nil
	}
	var out []VM
	seen := make(map[int]bool)
	for _, vm := range inv.VMs {
		if !vm.NameKnown || !SameName(vm.Name, name) || seen[vm.VMID] {
			continue
		}
		seen[vm.VMID] = true
		out = append(out, vm)
	}
	slices.SortStableFunc(out, compareAge)
	return out
}

// Decide says whether a VM named name may be created, must be adopted, or
// must be refused. ignore holds VMIDs to treat as absent (our own VM being
// replaced); a nil map ignores nothing. Any policy other than PolicyAdopt
// behaves as PolicyFail.
//
// Precedence: partial visibility, then duplicates, then the single match
// (exists, template), then unverifiable names. A create or an adopt is
// refused as unverifiable while any name is unread, because the unread VM
// could carry the name; a refusal caused by matches keeps its own Reason.
func Decide(inv Inventory, name string, policy Policy, ignore map[int]bool) Decision {
	var d Decision
	for _, vm := range Matches(inv, name) {
		if !ignore[vm.VMID] {
			d.Matches = append(d.Matches, vm)
		}
	}
	d.Unchecked = unchecked(inv, ignore)

	if !inv.Complete {
		d.Action, d.Reason, d.Incomplete = ActionRefuse, ReasonPartialVisibility, true
		return d
	}
	if settleCreations(&d) {
		return d
	}
	switch len(d.Matches) {
	case 0:
		if len(d.Unchecked) > 0 {
			d.Action, d.Reason = ActionRefuse, ReasonUnverifiable
			return d
		}
		d.Action, d.Reason = ActionCreate, ReasonNoMatch
	case 1:
		t := d.Matches[0]
		d.Target = &t
		switch {
		case policy != PolicyAdopt:
			d.Action, d.Reason = ActionRefuse, ReasonExists
		case t.Template:
			d.Action, d.Reason = ActionRefuse, ReasonTemplate
		case len(d.Unchecked) > 0:
			d.Action, d.Reason = ActionRefuse, ReasonUnverifiable
		default:
			d.Action, d.Reason = ActionAdopt, ReasonExists
		}
	default:
		d.Action, d.Reason = ActionRefuse, ReasonDuplicates
	}
	return d
}

// unchecked collects the VMIDs whose names are unknown, ascending and unique.
func unchecked(inv Inventory, ignore map[int]bool) []int {
	var ids []int
	for _, id := range inv.Unresolved {
		if !ignore[id] {
			ids = append(ids, id)
		}
	}
	for _, vm := range inv.VMs {
		if !vm.NameKnown && !ignore[vm.VMID] {
			ids = append(ids, vm.VMID)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// Winner picks the VM that keeps the name after a creation race: the oldest
// (earliest known CreatedAt, then lowest VMID). The result does not depend on
// the order of matches, so every racer computes the same winner. It returns
// the zero VM for no matches.
func Winner(matches []VM) VM {
	if len(matches) == 0 {
		return VM{}
	}
	w := matches[0]
	for _, vm := range matches[1:] {
		if compareAge(vm, w) < 0 {
			w = vm
		}
	}
	return w
}
