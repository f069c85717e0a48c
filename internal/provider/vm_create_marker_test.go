package provider

import (
	"os"
	"regexp"
	"testing"
	"time"
)

func TestCreateMarker(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	ours := thisProcess(now.Add(time.Minute))
	tag := ours.Tag()
	// A valid PVE tag (pve-common PVE_TAG_RE), lowercase as PVE stores it.
	if !regexp.MustCompile(`^[a-z0-9_][a-z0-9_\-+.]*$`).MatchString(tag) {
		t.Fatalf("marker %q is not a PVE tag", tag)
	}
	got, ok := markerOf([]string{"prod", tag, "web"})
	if !ok || got.PID != os.Getpid() || got.Host != localHost() || !got.Deadline.Equal(ours.Deadline) {
		t.Fatalf("markerOf(%q) = %+v, %v", tag, got, ok)
	}
	if _, ok := markerOf([]string{"prod", "proxmoxsafe-creating", "proxmoxsafe-creating.x.1.h"}); ok {
		t.Fatal("a tag that only looks like a marker was taken for one")
	}
	if u := userTags([]string{"prod", tag}); len(u) != 1 || u[0] != "prod" {
		t.Fatalf("userTags = %q", u)
	}
	if m := markerTags([]string{"prod", tag}); len(m) != 1 || m[0] != tag {
		t.Fatalf("markerTags = %q", m)
	}

	defer func(f func(int) bool) { processAlive = f }(processAlive)
	alive := map[int]bool{}
	processAlive = func(pid int) bool { return alive[pid] }
	for _, tc := range []struct {
		name      string
		m         createMarker
		abandoned bool
	}{
		{"this host, process alive, in time", createMarker{now.Add(time.Minute), 42, localHost()}, false},
		{"this host, process gone", createMarker{now.Add(time.Minute), 43, localHost()}, true},
		{"other host, in time", createMarker{now.Add(time.Minute), 43, "elsewhere"}, false},
		{"other host, deadline passed", createMarker{now.Add(-time.Second), 42, "elsewhere"}, true},
		{"this host, alive, deadline passed", createMarker{now.Add(-time.Second), 42, localHost()}, true},
	} {
		alive[42] = true
		if got := tc.m.abandoned(now); got != tc.abandoned {
			t.Errorf("%s: abandoned = %v, want %v", tc.name, got, tc.abandoned)
		}
	}
}

func TestProcessAlive(t *testing.T) {
	if !processAlive(os.Getpid()) {
		t.Fatal("this process is not alive")
	}
	// PIDs above pid_max (4194304 at most on Linux) never exist.
	if processAlive(1 << 30) {
		t.Fatal("an impossible PID is alive")
	}
}

// A clone carries its marker as the last line of its description until it
// moves to the tags; the user's description around it is kept as written.
func TestDescriptionMarker(t *testing.T) {
	m := createMarker{Deadline: time.Unix(1_800_000_000, 0), PID: 42, Host: "runner-1"}
	for _, user := range []string{"", "golden image", "line one\nline two", "ends with a blank line\n"} {
		marked := describeWithMarker(user, m)
		got, ok := descriptionMarker(marked)
		if !ok || got != m {
			t.Errorf("descriptionMarker(%q) = %+v, %v; want %+v", marked, got, ok, m)
		}
		if back := userDescription(marked); back != user {
			t.Errorf("userDescription(%q) = %q, want %q", marked, back, user)
		}
	}
	for _, plain := range []string{"", "proxmoxsafe-creating", "see proxmoxsafe-creating.1800000000.42.runner-1 below\nthen more"} {
		if _, ok := descriptionMarker(plain); ok {
			t.Errorf("%q was taken for a marked description", plain)
		}
		if back := userDescription(plain); back != plain {
			t.Errorf("userDescription(%q) = %q, want it unchanged", plain, back)
		}
	}
}
