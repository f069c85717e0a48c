package provider

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
)

func TestCreatedMarker(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	ours := createdByThisProcess(now)
	tag := ours.Tag()
	// A valid PVE tag (pve-common PVE_TAG_RE), lowercase as PVE stores it.
	if !regexp.MustCompile(`^[a-z0-9_][a-z0-9_\-+.]*$`).MatchString(tag) {
		t.Fatalf("marker %q is not a PVE tag", tag)
	}
	got, ok := createdMarkerOf([]string{"prod", tag})
	if !ok || got != (createdMarker{Created: now, Terraform: startedBy, Workspace: thisWorkspace(), Host: localHost()}) {
		t.Fatalf("createdMarkerOf(%q) = %+v, %v", tag, got, ok)
	}
	dotted := createdMarker{Created: now, Terraform: 7, Workspace: "0123456789ab", Host: "node.example.org"}
	if got, ok := createdMarkerOf([]string{dotted.Tag()}); !ok || got != dotted {
		t.Fatalf("a host with dots: createdMarkerOf(%q) = %+v, %v", dotted.Tag(), got, ok)
	}
	if _, ok := createdMarkerOf([]string{"proxmoxsafe-created", "proxmoxsafe-created.1.2.nothex.h"}); ok {
		t.Fatal("a tag that only looks like a created marker was taken for one")
	}
	// Users never see it, and a config change keeps it.
	if u := userTags([]string{"prod", tag}); len(u) != 1 || u[0] != "prod" {
		t.Fatalf("userTags = %q", u)
	}
	if m := markerTags([]string{"prod", tag}); len(m) != 1 || m[0] != tag {
		t.Fatalf("markerTags = %q", m)
	}

	defer func(f func(int) bool) { processAlive = f }(processAlive)
	processAlive = func(pid int) bool { return pid == 42 }
	here, elsewhere := thisWorkspace(), "ffffffffffff"
	for _, tc := range []struct {
		name string
		tags []string
		want guard.Creation
	}{
		{"no marker", []string{"prod"}, guard.Finished},
		{"created here, its terraform gone: lost on the way into the state",
			[]string{createdMarker{now, 43, here, localHost()}.Tag()}, guard.Unconfirmed},
		{"created here, its terraform alive: an apply of this workspace still runs",
			[]string{createdMarker{now, 42, here, localHost()}.Tag()}, guard.Finished},
		{"created in another workspace (a racer, another stack)",
			[]string{createdMarker{now, 43, elsewhere, localHost()}.Tag()}, guard.Finished},
		{"created on another host", []string{createdMarker{now, 43, here, "elsewhere"}.Tag()}, guard.Finished},
		{"a creating marker decides first",
			[]string{createMarker{now.Add(time.Minute), 42, localHost()}.Tag(), createdMarker{now, 43, here, localHost()}.Tag()},
			guard.Creating},
	} {
		if got := creationOf(tc.tags, now); got != tc.want {
			t.Errorf("%s: creationOf = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// The workspace identity follows Terraform's choice of workspace
// (internal/command/meta.go WorkspaceOverridden): TF_WORKSPACE, else the
// data directory's "environment" file, else "default".
func TestWorkspaceID(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	def := workspaceID(dir, getenv)
	if len(def) != 12 {
		t.Fatalf("workspaceID = %q, want 12 hex digits", def)
	}
	if other := workspaceID(t.TempDir(), getenv); other == def {
		t.Error("two working directories have the same identity")
	}
	if err := os.MkdirAll(filepath.Join(dir, ".terraform"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".terraform", "environment"), []byte("default\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := workspaceID(dir, getenv); got != def {
		t.Errorf("workspace file naming the default: %q, want %q", got, def)
	}
	if err := os.WriteFile(filepath.Join(dir, ".terraform", "environment"), []byte("prod"), 0o644); err != nil {
		t.Fatal(err)
	}
	prod := workspaceID(dir, getenv)
	if prod == def {
		t.Error("the selected workspace prod has the default workspace's identity")
	}
	env["TF_WORKSPACE"] = "prod"
	if got := workspaceID(dir, getenv); got != prod {
		t.Errorf("TF_WORKSPACE=prod: %q, want %q", got, prod)
	}
	env["TF_WORKSPACE"] = "staging"
	if got := workspaceID(dir, getenv); got == prod || got == def {
		t.Error("TF_WORKSPACE does not override the selected workspace")
	}
	delete(env, "TF_WORKSPACE")
	env["TF_DATA_DIR"] = filepath.Join(dir, "elsewhere")
	if got := workspaceID(dir, getenv); got != def {
		t.Errorf("TF_DATA_DIR without an environment file: %q, want the default workspace's %q", got, def)
	}
}
