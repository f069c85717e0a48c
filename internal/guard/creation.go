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
)

func (c Creation) String() string {
	switch c {
	case Finished:
		return "finished"
	case Creating:
		return "creating"
	case Unfinished:
		return "unfinished"
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
//
// Unfinished matches that are not the oldest lost a race and were never
// finished: they go to d.Remove (ours, in nobody's state) and leave
// d.Matches, so the usual rules decide on the rest.
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
	if winner.Creation != Unfinished {
		d.Matches = append([]VM{winner}, rest...)
		return false
	}
	if len(rest) > 0 || winner.Template {
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
	d.Action, d.Reason = ActionAdopt, ReasonUnfinished
	return true
}
