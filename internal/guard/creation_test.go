package guard

import (
	"slices"
	"testing"
)

func creating(v *VM)    { v.Creation = Creating }
func unfinished(v *VM)  { v.Creation = Unfinished }
func unconfirmed(v *VM) { v.Creation = Unconfirmed }

func TestDecideCreateMarkers(t *testing.T) {
	inv := func(vms ...VM) Inventory { return Inventory{VMs: vms, Complete: true} }
	cases := []struct {
		name       string
		inv        Inventory
		policy     Policy
		action     Action
		reason     Reason
		target     int // 0: none
		remove     []int
		creatingID []int
	}{
		{"our interrupted create is taken back under fail", inv(vm(100, "web", 1, unfinished)), PolicyFail,
			ActionAdopt, ReasonUnfinished, 100, nil, nil},
		{"our interrupted create is taken back under adopt", inv(vm(100, "web", 1, unfinished)), PolicyAdopt,
			ActionAdopt, ReasonUnfinished, 100, nil, nil},
		{"a finished VM (state reset) still fails under fail", inv(vm(100, "web", 1)), PolicyFail,
			ActionRefuse, ReasonExists, 100, nil, nil},
		{"a racer still creating: wait, not duplicates", inv(vm(100, "web", 1), vm(101, "web", 2, creating)), PolicyFail,
			ActionWait, ReasonCreating, 0, nil, []int{101}},
		{"two racers creating: wait", inv(vm(100, "web", 1, creating), vm(101, "web", 2, creating)), PolicyAdopt,
			ActionWait, ReasonCreating, 0, nil, []int{100, 101}},
		{"an unfinished loser of an older finished VM is removed, fail refuses the winner",
			inv(vm(100, "web", 1), vm(101, "web", 2, unfinished)), PolicyFail,
			ActionRefuse, ReasonExists, 100, []int{101}, nil},
		{"an unfinished loser is removed, adopt adopts the winner",
			inv(vm(100, "web", 1), vm(101, "web", 2, unfinished)), PolicyAdopt,
			ActionAdopt, ReasonExists, 100, []int{101}, nil},
		{"two unfinished: the oldest is taken back, the other removed",
			inv(vm(101, "web", 2, unfinished), vm(100, "web", 1, unfinished)), PolicyFail,
			ActionAdopt, ReasonUnfinished, 100, []int{101}, nil},
		{"unfinished older than a finished VM: refused, nothing removed",
			inv(vm(100, "web", 1, unfinished), vm(101, "web", 2)), PolicyAdopt,
			ActionRefuse, ReasonDuplicates, 0, nil, nil},
		{"unfinished but a name is unread: refused", Inventory{VMs: []VM{vm(100, "web", 1, unfinished)}, Unresolved: []int{7}, Complete: true},
			PolicyFail, ActionRefuse, ReasonUnverifiable, 100, nil, nil},
		{"a marker on an ignored VM (being replaced) changes nothing", inv(vm(100, "web", 1, creating)), PolicyFail,
			ActionCreate, ReasonNoMatch, 0, nil, nil},
		{"our unconfirmed create (killed before terraform saved it) is taken back under fail",
			inv(vm(100, "web", 1, unconfirmed)), PolicyFail, ActionAdopt, ReasonUnconfirmed, 100, nil, nil},
		{"our unconfirmed create is taken back under adopt",
			inv(vm(100, "web", 1, unconfirmed)), PolicyAdopt, ActionAdopt, ReasonUnconfirmed, 100, nil, nil},
		{"an unfinished loser of our unconfirmed winner is removed, the winner taken back",
			inv(vm(100, "web", 1, unconfirmed), vm(101, "web", 2, unfinished)), PolicyFail,
			ActionAdopt, ReasonUnconfirmed, 100, []int{101}, nil},
		{"unconfirmed next to a finished VM is a duplicate, nothing removed",
			inv(vm(100, "web", 1, unconfirmed), vm(101, "web", 2)), PolicyAdopt,
			ActionRefuse, ReasonDuplicates, 0, nil, nil},
		{"a finished VM older than an unconfirmed one: duplicates, the unconfirmed one is never removed",
			inv(vm(100, "web", 1), vm(101, "web", 2, unconfirmed)), PolicyFail,
			ActionRefuse, ReasonDuplicates, 0, nil, nil},
		{"an unconfirmed template is never taken back",
			inv(vm(100, "web", 1, unconfirmed, template)), PolicyAdopt, ActionRefuse, ReasonTemplate, 100, nil, nil},
		{"unconfirmed but a name is unread: refused", Inventory{VMs: []VM{vm(100, "web", 1, unconfirmed)}, Unresolved: []int{7}, Complete: true},
			PolicyFail, ActionRefuse, ReasonUnverifiable, 100, nil, nil},
		{"a racer still creating next to our unconfirmed VM: wait", inv(vm(100, "web", 1, unconfirmed), vm(101, "web", 2, creating)),
			PolicyFail, ActionWait, ReasonCreating, 0, nil, []int{101}},
		{"markers of other names do not matter", inv(vm(100, "db", 1, creating), vm(101, "web", 1)), PolicyFail,
			ActionRefuse, ReasonExists, 101, nil, nil},
	}
	for _, c := range cases {
		ignore := map[int]bool(nil)
		if c.name == "a marker on an ignored VM (being replaced) changes nothing" {
			ignore = set(100)
		}
		d := Decide(c.inv, "web", c.policy, ignore)
		target := 0
		if d.Target != nil {
			target = d.Target.VMID
		}
		if d.Action != c.action || d.Reason != c.reason || target != c.target ||
			!slices.Equal(ids(d.Remove), c.remove) || !slices.Equal(ids(d.Creating), c.creatingID) {
			t.Errorf("%s: got %v/%v target %d remove %v creating %v; want %v/%v target %d remove %v creating %v",
				c.name, d.Action, d.Reason, target, ids(d.Remove), ids(d.Creating),
				c.action, c.reason, c.target, c.remove, c.creatingID)
		}
	}
}
