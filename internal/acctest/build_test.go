package acctest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/provider"
)

// Every mirror and the dev_overrides directory of a run share one build per
// package and version, and the run removes them all when it ends: before,
// each mirror linked its own binary and every run left its builds behind.
func TestBuildsOncePerPackageAndVersionAndRemovesThem(t *testing.T) {
	compiled := map[buildKey]int{}
	build = func(out, pkg, version string) error {
		compiled[buildKey{pkg, version}]++
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, []byte(pkg+"@"+version), 0o600)
	}
	t.Cleanup(func() { removeBuilds(); build = goBuild })

	dev := ProviderBinaryDir(t)
	if ProviderBinaryDir(t) != dev {
		t.Fatal("a second dev_overrides directory")
	}
	own := []string{LocalMirror(t), LocalMirror(t)}
	peers := PeerMirror(t, PeerBPG, PeerTelmate)

	want := map[buildKey]int{{".", ""}: 1, {".", MirrorProviderVersion}: 1, {"./internal/acctest/peerprovider", MirrorProviderVersion}: 1}
	if len(compiled) != len(want) {
		t.Fatalf("builds %v, want %v", compiled, want)
	}
	for k, n := range want {
		if compiled[k] != n {
			t.Fatalf("builds %v, want %v", compiled, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dev, "terraform-provider-proxmoxsafe"+exeSuffix())); err != nil {
		t.Fatalf("dev_overrides directory: %v", err)
	}
	installed := func(mirror, address string) string {
		t.Helper()
		name := filepath.Base(address)
		path := filepath.Join(mirror, filepath.FromSlash(address), MirrorProviderVersion, runtime.GOOS+"_"+runtime.GOARCH,
			"terraform-provider-"+name+"_v"+MirrorProviderVersion+exeSuffix())
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("not installed: %v", err)
		}
		return string(data)
	}
	for _, mirror := range own {
		if got := installed(mirror, provider.RegistryAddress); got != ".@"+MirrorProviderVersion {
			t.Fatalf("the local mirror holds %q", got)
		}
	}
	for _, peer := range []string{PeerBPG, PeerTelmate} {
		if got := installed(peers, peer); got != "./internal/acctest/peerprovider@"+MirrorProviderVersion {
			t.Fatalf("the peer mirror holds %q for %s", got, peer)
		}
	}

	root := builds.root
	removeBuilds()
	if _, err := os.Stat(root); !os.IsNotExist(err) {
		t.Fatalf("the run's builds are still there: %v", err)
	}
}
