package pvesim

import (
	"bytes"
	"slices"
	"strconv"
	"testing"
	"time"
)

// mapVMEntry is how a node's guest list built each entry before the
// entries were written by hand (the map encoding/json sorted): the
// reference the hand-written encoding must match byte for byte.
func mapVMEntry(s *Server, v *vmState, now time.Time, fields guestListFields) map[string]any {
	m := map[string]any{"vmid": v.VMID}
	s.vmStatsLocked(v, now).addTo(m)
	m["name"] = v.name()
	m["status"] = v.status()
	if l := v.Conf["lock"]; l != "" {
		m["lock"] = l
	}
	if t, has := v.Conf["tags"]; has {
		m["tags"] = t
	}
	if v.Conf["template"] == "1" {
		m["template"] = 1
	}
	for i := range 4 {
		if v.Conf["serial"+strconv.Itoa(i)] != "" {
			m["serial"] = 1
			break
		}
	}
	if fields.qmpstatus {
		m["qmpstatus"] = v.status()
	}
	if fields.typ != "" {
		m["type"] = fields.typ
	}
	return m
}

// TestGuestListEncodingMatchesMaps: the hand-written node lists (qemu,
// qemu with full=1, lxc, an empty one) are the bytes the maps gave, and
// status/current's map is the list's entry.
func TestGuestListEncodingMatchesMaps(t *testing.T) {
	s := variedCluster(t)
	if err := s.SetVMConfig(100, "serial0", "socket"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetVMConfig(104, "tags", ""); err != nil { // removed: no tags key
		t.Fatal(err)
	}
	s.mu.Lock()
	s.vms[109].Conf["tags"] = "" // defined and empty: vmstatus still lists it
	s.mu.Unlock()
	now := time.Now()
	for _, c := range []struct {
		node, typ string
		fields    guestListFields
		n         int
	}{
		{"pve", "qemu", guestListFields{}, 5},
		{"pve", "qemu", guestListFields{qmpstatus: true}, 5},
		{"pve2", "qemu", guestListFields{}, 3},
		{"pve", "lxc", guestListFields{typ: "lxc"}, 2},
		{"pve2", "lxc", guestListFields{typ: "lxc"}, 0},
	} {
		var list []guestStatus
		maps := []map[string]any{}
		s.mu.Lock()
		for _, id := range s.sortedVMIDs() {
			if v := s.vms[id]; v.Node == c.node && v.Type == c.typ {
				g := s.guestStatusLocked(v, now)
				g.list = c.fields
				list = append(list, g)
				maps = append(maps, mapVMEntry(s, v, now, c.fields))
				if e := s.vmEntryLocked(v, now); len(e)+boolInt(c.fields.qmpstatus)+boolInt(c.fields.typ != "") != len(maps[len(maps)-1]) {
					t.Errorf("VM %d: status/current has %d keys, the list entry %d", id, len(e), len(maps[len(maps)-1]))
				}
			}
		}
		s.mu.Unlock()
		if len(list) != c.n {
			t.Fatalf("%+v: %d guests, want %d", c, len(list), c.n)
		}
		slices.Reverse(list) // the list sorts them
		got, err := responseBody(ok(encodeGuestList(list)))
		if err != nil {
			t.Fatal(err)
		}
		want, err := marshalPVE(map[string]any{"data": maps})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%+v:\n got  %s\n want %s", c, got, want)
		}
	}
}
