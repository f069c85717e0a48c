package recoveryexample

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "..", "..")
}

func TestFilesFollowTheGuide(t *testing.T) {
	root := moduleRoot(t)
	stack, err := Files(root, Stack)
	if err != nil {
		t.Fatal(err)
	}
	if len(stack) != 1 || !strings.Contains(stack[StackFile], `resource "proxmoxsafe_vm" "monitoring"`) {
		t.Fatalf("the stack step holds %v", stack)
	}

	imp, err := Files(root, Import)
	if err != nil {
		t.Fatal(err)
	}
	onDisk, err := os.ReadFile(filepath.Join(root, Dir, RecoveryFile))
	if err != nil {
		t.Fatal(err)
	}
	if imp[RecoveryFile] != string(onDisk) || imp[StackFile] != stack[StackFile] {
		t.Fatal("step 1 is not the example as it is")
	}

	removed, err := Files(root, RemoveExtras)
	if err != nil {
		t.Fatal(err)
	}
	got := removed[RecoveryFile]
	for _, gone := range []string{`resource "proxmoxsafe_vm" "extra"`, "to       = proxmoxsafe_vm.extra"} {
		if strings.Contains(got, gone) {
			t.Errorf("step 2 still holds %q:\n%s", gone, got)
		}
	}
	for _, kept := range []string{`data "proxmoxsafe_vm_duplicates" "monitoring"`, "to       = proxmoxsafe_vm.monitoring[each.key]", "extra_vms = merge("} {
		if !strings.Contains(got, kept) {
			t.Errorf("step 2 lost %q:\n%s", kept, got)
		}
	}
}

func TestWithoutExtrasRefusesAnExampleThatDrifted(t *testing.T) {
	for name, src := range map[string]string{
		"no extras":  "import {\n  to = proxmoxsafe_vm.monitoring[\"a\"]\n  id = \"a\"\n}\n",
		"no import":  "resource \"proxmoxsafe_vm\" \"extra\" {\n  name = \"a\"\n}\n",
		"two blocks": "import {\n  to = proxmoxsafe_vm.extra[\"1\"]\n  id = \"pve/1\"\n}\nimport {\n  to = proxmoxsafe_vm.extra[\"2\"]\n  id = \"pve/2\"\n}\nresource \"proxmoxsafe_vm\" \"extra\" {\n  name = \"a\"\n}\n",
	} {
		if _, err := withoutExtras(src); err == nil || !strings.Contains(err.Error(), "want one of each") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
