package guard

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestSameName(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"web", "web", true},
		{"web", "WEB", true},
		{"Monitoring-Grafana", "monitoring-grafana", true},
		{"web-1", "web-01", false},
		{"web", "web-1", false},
		{"web", "web ", false},
		{"web", "we", false},
		{"\u212Aube", "kube", true}, // Kelvin sign folds to k
		{"", "", true},
		{"", "a", false},
	}
	for _, c := range cases {
		if got := SameName(c.a, c.b); got != c.want {
			t.Errorf("SameName(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
		if got := SameName(c.b, c.a); got != c.want {
			t.Errorf("SameName(%q, %q) = %v, want %v (not symmetric)", c.b, c.a, got, c.want)
		}
	}
}

func TestMatches(t *testing.T) {
	cases := []struct {
		name string
		inv  Inventory
		q    string
		want []int
	}{
		{"empty inventory", Inventory{Complete: true}, "web", nil},
		{"no such name", Inventory{VMs: []VM{vm(100, "db", 1), vm(101, "web-1", 2)}}, "web", nil},
		{"one", Inventory{VMs: []VM{vm(100, "db", 1), vm(101, "web", 2)}}, "web", []int{101}},
		{"case-insensitive", Inventory{VMs: []VM{vm(100, "WEB", 1), vm(101, "Web", 2), vm(102, "web", 3)}}, "wEb", []int{100, 101, 102}},
		{"oldest first, not by VMID",
			Inventory{VMs: []VM{vm(100, "web", 300), vm(101, "web", 100), vm(102, "web", 200)}},
			"web", []int{101, 102, 100}},
		{"unknown creation time after known ones",
			Inventory{VMs: []VM{vm(100, "web", 0), vm(101, "web", 500), vm(99, "web", -1), vm(102, "web", 10)}},
			"web", []int{102, 101, 99, 100}},
		{"tie on creation time by lowest VMID (clones copy ctime)",
			Inventory{VMs: []VM{vm(130, "web", 1000), vm(105, "web", 1000), vm(140, "web", 999)}},
			"web", []int{140, 105, 130}},
		{"templates and every node count",
			Inventory{VMs: []VM{vm(100, "web", 1, template, onNode("a")), vm(200, "web", 2, onNode("b"))}},
			"web", []int{100, 200}},
		{"unknown names never match even if Name is stale",
			Inventory{VMs: []VM{vm(100, "web", 1, func(v *VM) { v.NameKnown = false }), vm(101, "web", 2)}},
			"web", []int{101}},
		{"a VMID listed twice counts once",
			Inventory{VMs: []VM{vm(100, "web", 1), vm(100, "web", 1, onNode("other"))}},
			"web", []int{100}},
		{"empty name matches nothing, not nameless VMs",
			Inventory{VMs: []VM{vm(100, "", 1), vm(101, "", 2)}},
			"", nil},
		{"incident prometheus", Inventory{VMs: incidentVMs(), Complete: true},
			"monitoring-prometheus", []int{108, 112, 116, 121, 123}},
		{"incident grafana, other case", Inventory{VMs: incidentVMs(), Complete: true},
			"MONITORING-GRAFANA", []int{110, 111, 115, 117, 122, 126}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := slices.Clone(c.inv.VMs)
			got := Matches(c.inv, c.q)
			if !slices.Equal(ids(got), c.want) {
				t.Fatalf("Matches(%q) = %v, want %v", c.q, ids(got), c.want)
			}
			for _, m := range got {
				if !SameName(m.Name, c.q) {
					t.Errorf("match %d has name %q", m.VMID, m.Name)
				}
			}
			if !reflect.DeepEqual(before, c.inv.VMs) {
				t.Errorf("Matches modified its input")
			}
		})
	}
}

func TestDecide(t *testing.T) {
	type want struct {
		action     Action
		reason     Reason
		target     int // 0: nil
		matches    []int
		unchecked  []int
		incomplete bool
	}
	full := func(vms ...VM) Inventory { return Inventory{VMs: vms, Complete: true} }
	cases := []struct {
		name   string
		inv    Inventory
		q      string
		policy Policy
		ignore map[int]bool
		want   want
	}{
		{"empty cluster creates", full(), "web", PolicyFail, nil,
			want{action: ActionCreate, reason: ReasonNoMatch}},
		{"other names only create", full(vm(100, "web-1", 1), vm(101, "web2", 2), vm(102, "db", 3)), "web", PolicyAdopt, nil,
			want{action: ActionCreate, reason: ReasonNoMatch}},
		{"one match, fail", full(vm(100, "db", 1), vm(101, "web", 2)), "web", PolicyFail, nil,
			want{action: ActionRefuse, reason: ReasonExists, target: 101, matches: []int{101}}},
		{"one match other case, fail", full(vm(101, "Web", 2)), "WEB", PolicyFail, nil,
			want{action: ActionRefuse, reason: ReasonExists, target: 101, matches: []int{101}}},
		{"unknown policy behaves as fail", full(vm(101, "web", 2)), "web", Policy(""), nil,
			want{action: ActionRefuse, reason: ReasonExists, target: 101, matches: []int{101}}},
		{"policy is case-sensitive: ADOPT is not adopt", full(vm(101, "web", 2)), "web", Policy("ADOPT"), nil,
			want{action: ActionRefuse, reason: ReasonExists, target: 101, matches: []int{101}}},
		{"one match, adopt", full(vm(100, "db", 1), vm(101, "web", 2, running)), "web", PolicyAdopt, nil,
			want{action: ActionAdopt, reason: ReasonExists, target: 101, matches: []int{101}}},
		{"one match other case, adopt", full(vm(101, "WeB", 2)), "web", PolicyAdopt, nil,
			want{action: ActionAdopt, reason: ReasonExists, target: 101, matches: []int{101}}},
		{"one template, adopt refuses", full(vm(101, "web", 2, template)), "web", PolicyAdopt, nil,
			want{action: ActionRefuse, reason: ReasonTemplate, target: 101, matches: []int{101}}},
		{"one template, fail says exists", full(vm(101, "web", 2, template)), "web", PolicyFail, nil,
			want{action: ActionRefuse, reason: ReasonExists, target: 101, matches: []int{101}}},
		{"two matches, fail", full(vm(101, "web", 20), vm(100, "web", 10)), "web", PolicyFail, nil,
			want{action: ActionRefuse, reason: ReasonDuplicates, matches: []int{100, 101}}},
		{"two matches, adopt still refuses", full(vm(101, "web", 20, running), vm(100, "web", 10)), "web", PolicyAdopt, nil,
			want{action: ActionRefuse, reason: ReasonDuplicates, matches: []int{100, 101}}},
		{"duplicates across case and nodes", full(vm(300, "WEB", 5, onNode("a")), vm(200, "web", 9, onNode("b")), vm(100, "Web", 0, onNode("c"))), "web", PolicyAdopt, nil,
			want{action: ActionRefuse, reason: ReasonDuplicates, matches: []int{300, 200, 100}}},
		{"a template among duplicates is still duplicates", full(vm(100, "web", 1, template), vm(101, "web", 2)), "web", PolicyAdopt, nil,
			want{action: ActionRefuse, reason: ReasonDuplicates, matches: []int{100, 101}}},
		{"incident prometheus, adopt", Inventory{VMs: incidentVMs(), Complete: true}, "monitoring-prometheus", PolicyAdopt, nil,
			want{action: ActionRefuse, reason: ReasonDuplicates, matches: []int{108, 112, 116, 121, 123}}},
		{"incident grafana, fail", Inventory{VMs: incidentVMs(), Complete: true}, "monitoring-grafana", PolicyFail, nil,
			want{action: ActionRefuse, reason: ReasonDuplicates, matches: []int{110, 111, 115, 117, 122, 126}}},
		{"incident, free name creates", Inventory{VMs: incidentVMs(), Complete: true}, "monitoring-loki", PolicyFail, nil,
			want{action: ActionCreate, reason: ReasonNoMatch}},

		// ignore: our own VM being replaced
		{"ignored only match creates", full(vm(101, "web", 2)), "web", PolicyFail, set(101),
			want{action: ActionCreate, reason: ReasonNoMatch}},
		{"ignore leaves one match to adopt", full(vm(100, "web", 1), vm(101, "web", 2)), "web", PolicyAdopt, set(100),
			want{action: ActionAdopt, reason: ReasonExists, target: 101, matches: []int{101}}},
		{"ignore leaves one match, fail", full(vm(100, "web", 1), vm(101, "web", 2)), "web", PolicyFail, set(101),
			want{action: ActionRefuse, reason: ReasonExists, target: 100, matches: []int{100}}},
		{"ignore of an unrelated VMID changes nothing", full(vm(100, "web", 1), vm(101, "web", 2)), "web", PolicyAdopt, set(999),
			want{action: ActionRefuse, reason: ReasonDuplicates, matches: []int{100, 101}}},
		{"all matches ignored creates", full(vm(100, "web", 1), vm(101, "web", 2)), "web", PolicyFail, set(100, 101),
			want{action: ActionCreate, reason: ReasonNoMatch}},
		{"ignore false entries do not ignore", full(vm(100, "web", 1)), "web", PolicyFail, map[int]bool{100: false},
			want{action: ActionRefuse, reason: ReasonExists, target: 100, matches: []int{100}}},

		// partial visibility
		{"incomplete, no match", Inventory{VMs: []VM{vm(100, "db", 1)}}, "web", PolicyFail, nil,
			want{action: ActionRefuse, reason: ReasonPartialVisibility, incomplete: true}},
		{"incomplete, one match adopt", Inventory{VMs: []VM{vm(100, "web", 1)}}, "web", PolicyAdopt, nil,
			want{action: ActionRefuse, reason: ReasonPartialVisibility, matches: []int{100}, incomplete: true}},
		{"incomplete, duplicates", Inventory{VMs: []VM{vm(101, "web", 2), vm(100, "web", 1)}}, "web", PolicyAdopt, nil,
			want{action: ActionRefuse, reason: ReasonPartialVisibility, matches: []int{100, 101}, incomplete: true}},
		{"incomplete with unresolved", Inventory{VMs: []VM{vm(100, "db", 1)}, Unresolved: []int{105}}, "web", PolicyFail, nil,
			want{action: ActionRefuse, reason: ReasonPartialVisibility, unchecked: []int{105}, incomplete: true}},
		{"zero inventory is partial", Inventory{}, "web", PolicyFail, nil,
			want{action: ActionRefuse, reason: ReasonPartialVisibility, incomplete: true}},

		// unresolved names: fail closed
		{"unresolved, no match", Inventory{VMs: []VM{vm(100, "db", 1)}, Unresolved: []int{107, 105, 107}, Complete: true}, "web", PolicyFail, nil,
			want{action: ActionRefuse, reason: ReasonUnverifiable, unchecked: []int{105, 107}}},
		{"name-unknown VM not listed as unresolved still blocks", full(vm(100, "db", 1), vm(105, "", 0, nameUnknown)), "web", PolicyFail, nil,
			want{action: ActionRefuse, reason: ReasonUnverifiable, unchecked: []int{105}}},
		{"stale Name on a name-unknown VM is not a match", full(vm(105, "web", 0, func(v *VM) { v.NameKnown = false })), "web", PolicyAdopt, nil,
			want{action: ActionRefuse, reason: ReasonUnverifiable, unchecked: []int{105}}},
		{"unresolved list and name-unknown VMs merge", Inventory{VMs: []VM{vm(105, "", 0, nameUnknown), vm(103, "", 0, nameUnknown)}, Unresolved: []int{105, 104}, Complete: true}, "web", PolicyFail, nil,
			want{action: ActionRefuse, reason: ReasonUnverifiable, unchecked: []int{103, 104, 105}}},
		{"unresolved, one match fail says exists", Inventory{VMs: []VM{vm(100, "web", 1)}, Unresolved: []int{105}, Complete: true}, "web", PolicyFail, nil,
			want{action: ActionRefuse, reason: ReasonExists, target: 100, matches: []int{100}, unchecked: []int{105}}},
		{"unresolved, one match adopt refuses", Inventory{VMs: []VM{vm(100, "web", 1)}, Unresolved: []int{105}, Complete: true}, "web", PolicyAdopt, nil,
			want{action: ActionRefuse, reason: ReasonUnverifiable, target: 100, matches: []int{100}, unchecked: []int{105}}},
		{"unresolved, template adopt says template", Inventory{VMs: []VM{vm(100, "web", 1, template)}, Unresolved: []int{105}, Complete: true}, "web", PolicyAdopt, nil,
			want{action: ActionRefuse, reason: ReasonTemplate, target: 100, matches: []int{100}, unchecked: []int{105}}},
		{"unresolved, duplicates", Inventory{VMs: []VM{vm(100, "web", 1), vm(101, "web", 2)}, Unresolved: []int{105}, Complete: true}, "web", PolicyAdopt, nil,
			want{action: ActionRefuse, reason: ReasonDuplicates, matches: []int{100, 101}, unchecked: []int{105}}},
		{"ignored unresolved VMID does not block", Inventory{VMs: []VM{vm(100, "db", 1), vm(105, "", 0, nameUnknown)}, Unresolved: []int{105}, Complete: true}, "web", PolicyFail, set(105),
			want{action: ActionCreate, reason: ReasonNoMatch}},
		{"ignore some unresolved, others still block", Inventory{Unresolved: []int{105, 106}, Complete: true}, "web", PolicyFail, set(105),
			want{action: ActionRefuse, reason: ReasonUnverifiable, unchecked: []int{106}}},
		{"ignored match plus unresolved", Inventory{VMs: []VM{vm(100, "web", 1)}, Unresolved: []int{105}, Complete: true}, "web", PolicyAdopt, set(100),
			want{action: ActionRefuse, reason: ReasonUnverifiable, unchecked: []int{105}}},
		{"VMID listed twice is one match", full(vm(100, "web", 1), vm(100, "web", 1, onNode("b"))), "web", PolicyAdopt, nil,
			want{action: ActionAdopt, reason: ReasonExists, target: 100, matches: []int{100}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := slices.Clone(c.inv.VMs)
			d := Decide(c.inv, c.q, c.policy, c.ignore)
			if d.Action != c.want.action || d.Reason != c.want.reason {
				t.Errorf("got %s/%s, want %s/%s", d.Action, d.Reason, c.want.action, c.want.reason)
			}
			switch {
			case c.want.target == 0 && d.Target != nil:
				t.Errorf("Target = %d, want nil", d.Target.VMID)
			case c.want.target != 0 && d.Target == nil:
				t.Errorf("Target = nil, want %d", c.want.target)
			case c.want.target != 0 && d.Target.VMID != c.want.target:
				t.Errorf("Target = %d, want %d", d.Target.VMID, c.want.target)
			}
			if !slices.Equal(ids(d.Matches), c.want.matches) { // slices.Equal treats nil and empty as equal
				t.Errorf("Matches = %v, want %v", ids(d.Matches), c.want.matches)
			}
			if !slices.Equal(d.Unchecked, c.want.unchecked) {
				t.Errorf("Unchecked = %v, want %v", d.Unchecked, c.want.unchecked)
			}
			if d.Incomplete != c.want.incomplete {
				t.Errorf("Incomplete = %v, want %v", d.Incomplete, c.want.incomplete)
			}
			if d.Target != nil && len(c.inv.VMs) > 0 {
				// Target must be a copy: changing it must not reach the inventory.
				d.Target.Name = "changed"
				for _, v := range c.inv.VMs {
					if v.Name == "changed" {
						t.Errorf("Target aliases the inventory")
					}
				}
			}
			if !reflect.DeepEqual(before, c.inv.VMs) {
				t.Errorf("Decide modified its input")
			}
		})
	}
}

func TestWinner(t *testing.T) {
	cases := []struct {
		name string
		in   []VM
		want int
	}{
		{"single", []VM{vm(100, "web", 5)}, 100},
		{"earliest creation beats lower VMID", []VM{vm(100, "web", 300), vm(101, "web", 200)}, 101},
		{"same creation time: lowest VMID (clone)", []VM{vm(130, "web", 1000), vm(105, "web", 1000), vm(99, "web", 1001)}, 105},
		{"known creation time beats unknown", []VM{vm(100, "web", 0), vm(200, "web", 5)}, 200},
		{"negative creation time counts as unknown", []VM{vm(100, "web", -5), vm(200, "web", 5)}, 200},
		{"all unknown: lowest VMID", []VM{vm(300, "web", 0), vm(120, "web", 0), vm(200, "web", 0)}, 120},
		{"a race: ours is newer and higher", []VM{vm(142, "web", 1_700_000_010), vm(141, "WEB", 1_700_000_009)}, 141},
		{"a race in the same second", []VM{vm(142, "web", 1_700_000_010), vm(141, "web", 1_700_000_010), vm(143, "web", 1_700_000_010)}, 141},
		{"ours got the lower VMID but the other was first", []VM{vm(141, "web", 1_700_000_011), vm(142, "web", 1_700_000_010)}, 142},
		{"template counts like any VM", []VM{vm(100, "web", 1, template), vm(101, "web", 2, running)}, 100},
		{"incident prometheus", Matches(Inventory{VMs: incidentVMs()}, "monitoring-prometheus"), 108},
		{"incident grafana", Matches(Inventory{VMs: incidentVMs()}, "monitoring-grafana"), 110},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := slices.Clone(c.in)
			if got := Winner(c.in); got.VMID != c.want {
				t.Fatalf("Winner = %d, want %d", got.VMID, c.want)
			}
			if !reflect.DeepEqual(before, c.in) {
				t.Errorf("Winner modified its input")
			}
			// Every racer may list the VMs in another order; all must agree.
			n := 0
			permutations(c.in, func(p []VM) {
				n++
				if got := Winner(p); got.VMID != c.want {
					t.Errorf("Winner(%v) = %d, want %d", ids(p), got.VMID, c.want)
				}
			})
			if len(c.in) > 1 && n < 2 {
				t.Fatalf("only %d permutations tried", n)
			}
			// Winner agrees with the head of Matches.
			if m := Matches(Inventory{VMs: c.in}, c.in[0].Name); len(m) > 0 && m[0].VMID != c.want {
				t.Errorf("Matches()[0] = %d, Winner = %d", m[0].VMID, c.want)
			}
		})
	}

	t.Run("empty", func(t *testing.T) {
		if got := Winner(nil); !reflect.DeepEqual(got, VM{}) {
			t.Errorf("Winner(nil) = %+v, want zero VM", got)
		}
	})

	t.Run("shuffled incident", func(t *testing.T) {
		vms := incidentVMs()
		r := rand.New(rand.NewPCG(1, 2))
		for range 500 {
			r.Shuffle(len(vms), func(i, j int) { vms[i], vms[j] = vms[j], vms[i] })
			if got := Winner(vms); got.VMID != 100 {
				t.Fatalf("Winner(%v) = %d, want 100 (the dns VM is oldest)", ids(vms), got.VMID)
			}
			prom := Matches(Inventory{VMs: vms}, "monitoring-prometheus")
			r.Shuffle(len(prom), func(i, j int) { prom[i], prom[j] = prom[j], prom[i] })
			if got := Winner(prom); got.VMID != 108 {
				t.Fatalf("Winner(%v) = %d, want 108", ids(prom), got.VMID)
			}
		}
	})
}

func TestActionString(t *testing.T) {
	cases := map[Action]string{
		ActionCreate: "create",
		ActionAdopt:  "adopt",
		ActionRefuse: "refuse",
		Action(9):    "Action(9)",
		Action(-1):   "Action(-1)",
	}
	for a, want := range cases {
		if got := a.String(); got != want {
			t.Errorf("Action(%d).String() = %q, want %q", int(a), got, want)
		}
	}
}

func TestReasonString(t *testing.T) {
	cases := map[Reason]string{
		ReasonNoMatch:           "no_match",
		ReasonExists:            "exists",
		ReasonDuplicates:        "duplicates",
		ReasonTemplate:          "template",
		ReasonUnverifiable:      "unverifiable",
		ReasonPartialVisibility: "partial_visibility",
		Reason(42):              "Reason(42)",
	}
	seen := map[string]bool{}
	for r, want := range cases {
		got := r.String()
		if got != want {
			t.Errorf("Reason(%d).String() = %q, want %q", int(r), got, want)
		}
		if seen[got] {
			t.Errorf("two reasons print as %q", got)
		}
		seen[got] = true
	}
}

func TestParsePolicy(t *testing.T) {
	cases := []struct {
		in      string
		want    Policy
		wantErr bool
	}{
		{"", PolicyFail, false},
		{"fail", PolicyFail, false},
		{"adopt", PolicyAdopt, false},
		{"Adopt", "", true},
		{"replace", "", true},
		{" fail", "", true},
	}
	for _, c := range cases {
		got, err := ParsePolicy(c.in)
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("ParsePolicy(%q) = %q, %v; want %q, err %v", c.in, got, err, c.want, c.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "fail, adopt") {
			t.Errorf("error %q does not list the valid policies", err)
		}
	}
	if got := Policies(); !slices.Equal(got, []string{"fail", "adopt"}) {
		t.Errorf("Policies() = %v", got)
	}
}
