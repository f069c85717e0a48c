package guard

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// incidentWith is the incident cluster with some VMs changed.
func incidentWith(change map[int]func(*VM)) []VM {
	vms := incidentVMs()
	for i := range vms {
		if f, ok := change[vms[i].VMID]; ok {
			f(&vms[i])
		}
	}
	return vms
}

func stopped(v *VM) { v.Status = "stopped" }

func TestDuplicateGroups(t *testing.T) {
	type wantGroup struct {
		name    string
		members []int
		keep    int
	}
	prom := []int{108, 112, 116, 121, 123}
	graf := []int{110, 111, 115, 117, 122, 126}
	cases := []struct {
		name string
		vms  []VM
		keep KeepPolicy
		want []wantGroup
	}{
		// The incident: the default keeps the running VM of each name.
		{"incident, default policy", incidentVMs(), "",
			[]wantGroup{{"monitoring-grafana", graf, 126}, {"monitoring-prometheus", prom, 123}}},
		{"incident, newest_running", incidentVMs(), KeepNewestRunning,
			[]wantGroup{{"monitoring-grafana", graf, 126}, {"monitoring-prometheus", prom, 123}}},
		{"incident, newest", incidentVMs(), KeepNewest,
			[]wantGroup{{"monitoring-grafana", graf, 126}, {"monitoring-prometheus", prom, 123}}},
		{"incident, oldest", incidentVMs(), KeepOldest,
			[]wantGroup{{"monitoring-grafana", graf, 110}, {"monitoring-prometheus", prom, 108}}},
		{"incident, lowest_vmid", incidentVMs(), KeepLowestVMID,
			[]wantGroup{{"monitoring-grafana", graf, 110}, {"monitoring-prometheus", prom, 108}}},
		{"incident, unknown policy acts as default", incidentVMs(), KeepPolicy("bogus"),
			[]wantGroup{{"monitoring-grafana", graf, 126}, {"monitoring-prometheus", prom, 123}}},
		{"incident shuffled input gives the same groups", reversed(incidentVMs()), "",
			[]wantGroup{{"monitoring-grafana", graf, 126}, {"monitoring-prometheus", prom, 123}}},

		// newest_running vs newest when an older VM is the running one
		{"older VM running: newest_running keeps it",
			incidentWith(map[int]func(*VM){126: stopped, 111: running, 123: stopped, 112: running, 116: running}), KeepNewestRunning,
			[]wantGroup{{"monitoring-grafana", graf, 111}, {"monitoring-prometheus", prom, 116}}},
		{"older VM running: newest ignores status",
			incidentWith(map[int]func(*VM){126: stopped, 111: running, 123: stopped, 112: running}), KeepNewest,
			[]wantGroup{{"monitoring-grafana", graf, 126}, {"monitoring-prometheus", prom, 123}}},
		{"nothing running: newest_running falls back to newest",
			incidentWith(map[int]func(*VM){126: stopped, 123: stopped}), KeepNewestRunning,
			[]wantGroup{{"monitoring-grafana", graf, 126}, {"monitoring-prometheus", prom, 123}}},
		{"status compared exactly: unknown is not running",
			[]VM{vm(100, "web", 1, func(v *VM) { v.Status = "unknown" }), vm(101, "web", 2)}, KeepNewestRunning,
			[]wantGroup{{"web", []int{100, 101}, 101}}},

		// creation order differs from VMID order
		{"ctime vs VMID: oldest", []VM{vm(150, "web", 500), vm(200, "web", 100)}, KeepOldest,
			[]wantGroup{{"web", []int{200, 150}, 200}}},
		{"ctime vs VMID: lowest_vmid", []VM{vm(150, "web", 500), vm(200, "web", 100)}, KeepLowestVMID,
			[]wantGroup{{"web", []int{200, 150}, 150}}},
		{"ctime vs VMID: newest", []VM{vm(150, "web", 500), vm(200, "web", 100)}, KeepNewest,
			[]wantGroup{{"web", []int{200, 150}, 150}}},
		{"ctime vs VMID: newest_running picks the newer running one",
			[]VM{vm(150, "web", 500, running), vm(200, "web", 100, running), vm(300, "web", 900)}, KeepNewestRunning,
			[]wantGroup{{"web", []int{200, 150, 300}, 150}}},
		{"same ctime: newest is the highest VMID",
			[]VM{vm(130, "web", 1000), vm(105, "web", 1000), vm(120, "web", 1000)}, KeepNewest,
			[]wantGroup{{"web", []int{105, 120, 130}, 130}}},
		{"same ctime: oldest is the lowest VMID",
			[]VM{vm(130, "web", 1000), vm(105, "web", 1000), vm(120, "web", 1000)}, KeepOldest,
			[]wantGroup{{"web", []int{105, 120, 130}, 105}}},
		{"unknown ctime sorts last and counts as newest",
			[]VM{vm(100, "web", 0), vm(200, "web", 50), vm(300, "web", 10)}, KeepNewest,
			[]wantGroup{{"web", []int{300, 200, 100}, 100}}},
		{"unknown ctime, oldest is the oldest known",
			[]VM{vm(100, "web", 0), vm(200, "web", 50), vm(300, "web", 10)}, KeepOldest,
			[]wantGroup{{"web", []int{300, 200, 100}, 300}}},

		// templates are kept only when nothing else is there
		{"template newest: newest keeps the VM",
			[]VM{vm(100, "web", 1), vm(101, "web", 2, template)}, KeepNewest,
			[]wantGroup{{"web", []int{100, 101}, 100}}},
		{"template oldest: oldest keeps the VM",
			[]VM{vm(100, "web", 1, template), vm(101, "web", 2), vm(102, "web", 3)}, KeepOldest,
			[]wantGroup{{"web", []int{100, 101, 102}, 101}}},
		{"template lowest VMID: lowest_vmid keeps the VM",
			[]VM{vm(100, "web", 1, template), vm(101, "web", 2)}, KeepLowestVMID,
			[]wantGroup{{"web", []int{100, 101}, 101}}},
		{"template newest, none running: newest_running keeps the VM",
			[]VM{vm(100, "web", 1), vm(101, "web", 2, template)}, KeepNewestRunning,
			[]wantGroup{{"web", []int{100, 101}, 100}}},
		{"only templates: newest template kept",
			[]VM{vm(100, "web", 1, template), vm(101, "web", 2, template)}, KeepNewest,
			[]wantGroup{{"web", []int{100, 101}, 101}}},
		{"only templates: oldest template kept",
			[]VM{vm(100, "web", 1, template), vm(101, "web", 2, template)}, KeepOldest,
			[]wantGroup{{"web", []int{100, 101}, 100}}},

		// grouping
		{"case-insensitive grouping, name of the oldest",
			[]VM{vm(100, "web", 30), vm(101, "WEB", 10), vm(102, "Web", 20)}, KeepOldest,
			[]wantGroup{{"WEB", []int{101, 102, 100}, 101}}},
		{"Kelvin sign groups with k like EqualFold",
			[]VM{vm(100, "kube", 1), vm(101, "\u212Aube", 2), vm(102, "KUBE", 3)}, KeepOldest,
			[]wantGroup{{"kube", []int{100, 101, 102}, 100}}},
		{"long s groups with s like EqualFold (ToLower would not)",
			[]VM{vm(100, "store", 1), vm(101, "\u017Ftore", 2)}, KeepOldest,
			[]wantGroup{{"store", []int{100, 101}, 100}}},
		{"groups sorted by lowercase name",
			[]VM{vm(1, "beta", 1), vm(2, "Alpha", 2), vm(3, "_x", 3), vm(4, "BETA", 4), vm(5, "alpha", 5), vm(6, "_X", 6), vm(7, "gamma", 7)}, KeepOldest,
			[]wantGroup{{"_x", []int{3, 6}, 3}, {"Alpha", []int{2, 5}, 2}, {"beta", []int{1, 4}, 1}}},
		{"no duplicates", []VM{vm(100, "a", 1), vm(101, "b", 2), vm(102, "ab", 3)}, "", nil},
		{"empty input", nil, "", nil},
		{"unknown names are left out",
			[]VM{vm(100, "web", 1), vm(101, "web", 2, func(v *VM) { v.NameKnown = false }), vm(102, "", 0, nameUnknown)}, "",
			nil},
		{"nameless VMs are not a group", []VM{vm(100, "", 1), vm(101, "", 2)}, "", nil},
		{"a VMID listed twice is not a group", []VM{vm(100, "web", 1), vm(100, "web", 1, onNode("b"))}, "", nil},
		{"a VMID listed twice counts once in a group",
			[]VM{vm(100, "web", 1), vm(101, "web", 2, running), vm(100, "web", 1, onNode("b"))}, "",
			[]wantGroup{{"web", []int{100, 101}, 101}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := slices.Clone(c.vms)
			got := DuplicateGroups(c.vms, c.keep)
			if len(got) != len(c.want) {
				t.Fatalf("got %d groups %v, want %d", len(got), groupNames(got), len(c.want))
			}
			for i, g := range got {
				w := c.want[i]
				if g.Name != w.name {
					t.Errorf("group %d: Name = %q, want %q", i, g.Name, w.name)
				}
				if !slices.Equal(ids(g.Members), w.members) {
					t.Errorf("group %q: Members = %v, want %v", g.Name, ids(g.Members), w.members)
				}
				if g.Keep.VMID != w.keep {
					t.Errorf("group %q: Keep = %d, want %d", g.Name, g.Keep.VMID, w.keep)
				}
				var wantRemove []int
				for _, id := range w.members {
					if id != w.keep {
						wantRemove = append(wantRemove, id)
					}
				}
				if !slices.Equal(ids(g.Remove), wantRemove) {
					t.Errorf("group %q: Remove = %v, want %v", g.Name, ids(g.Remove), wantRemove)
				}
				for _, m := range g.Members {
					if !SameName(m.Name, g.Name) {
						t.Errorf("group %q holds %d named %q", g.Name, m.VMID, m.Name)
					}
				}
			}
			if !reflect.DeepEqual(before, c.vms) {
				t.Errorf("DuplicateGroups modified its input")
			}
		})
	}
}

func TestParseKeepPolicy(t *testing.T) {
	cases := []struct {
		in      string
		want    KeepPolicy
		wantErr bool
	}{
		{"", KeepNewestRunning, false},
		{"newest_running", KeepNewestRunning, false},
		{"newest", KeepNewest, false},
		{"oldest", KeepOldest, false},
		{"lowest_vmid", KeepLowestVMID, false},
		{"Newest", "", true},
		{"newest-running", "", true},
		{"highest_vmid", "", true},
		{"oldest ", "", true},
	}
	for _, c := range cases {
		got, err := ParseKeepPolicy(c.in)
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("ParseKeepPolicy(%q) = %q, %v; want %q, err %v", c.in, got, err, c.want, c.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "newest_running, newest, oldest, lowest_vmid") {
			t.Errorf("error %q does not list the valid policies", err)
		}
	}
	if DefaultKeepPolicy != KeepNewestRunning {
		t.Errorf("DefaultKeepPolicy = %q", DefaultKeepPolicy)
	}
}

func TestKeepPolicies(t *testing.T) {
	want := []string{"newest_running", "newest", "oldest", "lowest_vmid"}
	got := KeepPolicies()
	if !slices.Equal(got, want) {
		t.Fatalf("KeepPolicies() = %v, want %v", got, want)
	}
	for _, p := range got {
		if parsed, err := ParseKeepPolicy(p); err != nil || string(parsed) != p {
			t.Errorf("ParseKeepPolicy(%q) = %q, %v", p, parsed, err)
		}
	}
	got[0] = "changed"
	if KeepPolicies()[0] != "newest_running" {
		t.Errorf("KeepPolicies shares its slice with callers")
	}
}

func TestFoldKey(t *testing.T) {
	names := []string{"web", "WEB", "Web", "kube", "\u212Aube", "KUBE", "ſtore", "STORE", "store",
		"straße", "STRASSE", "Σίσυφος", "σίσυφοσ", "ΣΊΣΥΦΟΣ", "_x", "_X", "a-b", "a_b", ""}
	for _, a := range names {
		for _, b := range names {
			if eq, same := strings.EqualFold(a, b), foldKey(a) == foldKey(b); eq != same {
				t.Errorf("%q vs %q: EqualFold %v but foldKey equal %v", a, b, eq, same)
			}
		}
	}
	for in, want := range map[string]string{"WEB": "web", "Monitoring-Grafana": "monitoring-grafana", "_X": "_x"} {
		if got := foldKey(in); got != want {
			t.Errorf("foldKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func reversed(vms []VM) []VM {
	out := slices.Clone(vms)
	slices.Reverse(out)
	return out
}

func groupNames(gs []Group) []string {
	var out []string
	for _, g := range gs {
		out = append(out, g.Name)
	}
	return out
}
