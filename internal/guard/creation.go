package guard

// Creation is what the provider's create marker says about a VM.
type Creation int

const (
	// Finished: no marker. A VM like any other: someone else's, or one whose
	// create finished (a state reset forgot it).
	Finished Creation = iota
	// Creating: an apply of this provider is creating the VM and may still
	// finish, or remove it after losing a race for the name.
	Creating
	// Unfinished: an apply of this provider created the VM and can no longer
	// finish (it was killed, or its create timeout passed). It is in nobody's
	// state.
	Unfinished
	// Unconfirmed: an apply of this provider in this working directory and
	// workspace finished creating the VM, that terraform has ended, and no
	// refresh has confirmed that Terraform saved it. Either the apply was
	// killed between the create's last request and Terraform saving the
	// state, or the state was lost before any plan after that apply.
	Unconfirmed
)

func (c Creation) String() string {
	switch c {
	case Finished:
		return "finished"
	case Creating:
		return "creating"
	case Unfinished:
		return "unfinished"
	case Unconfirmed:
		return "unconfirmed"
	}
	return "Creation(?)"
}

// settleCreations applies the create markers to d.Matches (oldest first).
// It returns true when d is decided:
//
//   - a match is still being created: wait (ActionWait) and decide again,
//     never call it a duplicate, since the racer may remove it;
//   - the oldest match is an unfinished create of ours and no finished VM
//     carries the name: take it back (ActionAdopt, ReasonUnfinished),
//     whatever the policy;
//   - the only match is an unconfirmed create of ours: take it back
//     (ActionAdopt, ReasonUnconfirmed), whatever the policy.
//
// Unfinished matches that are not the oldest lost a race and were never
// finished: they go to d.Remove (ours, in nobody's state) and leave
// d.Matches, so the usual rules decide on the rest. An unconfirmed match
// that is not alone is a finished VM like any other: it won its race, and
// it may be in a state after all, so it is never removed.
func settleCreations(d *Decision) bool {
	if len(d.Matches) == 0 {
		return false
	}
	var creating []VM
	for _, vm := range d.Matches {
		if vm.Creation == Creating {
			creating = append(creating, vm)
		}
	}
	if len(creating) > 0 {
		d.Action, d.Reason, d.Creating = ActionWait, ReasonCreating, creating
		return true
	}
	winner := d.Matches[0]
	var rest []VM
	for _, vm := range d.Matches[1:] {
		if vm.Creation == Unfinished {
			d.Remove = append(d.Remove, vm)
		} else {
			rest = append(rest, vm)
		}
	}
	reason := ReasonUnfinished
	switch {
	case winner.Creation == Unconfirmed && len(rest) == 0 && !winner.Template:
		reason = ReasonUnconfirmed
	case winner.Creation != Unfinished:
		d.Matches = append([]VM{winner}, rest...)
		return false
	case len(rest) > 0 || winner.Template:
		// A finished VM younger than our unfinished one: not a state we
		// produce; refuse and let a person look.
		d.Remove = nil
		return false
	}
	d.Matches = []VM{winner}
	d.Target = &winner
	if len(d.Unchecked) > 0 {
		d.Action, d.Reason = ActionRefuse, ReasonUnverifiable
		return true
	}
	d.Action, d.Reason = ActionAdopt, reason
	return true
}
