// Package recoveryexample reads the configuration of the recovery guide
// (examples/guides/recover-from-state-loss, rendered into
// docs/guides/recover-from-state-loss.md) as it stands at each step of the
// guide, so that the demo and the acceptance test apply exactly what the
// guide shows, not copies of it.
package recoveryexample

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Dir is the example's directory, relative to the module root.
const Dir = "examples/guides/recover-from-state-loss"

// The files of the example that a step can hold. terraform.tf (the
// required_providers and required_version block) is left to the caller,
// which pairs its own provider configuration with it.
const (
	StackFile    = "main.tf"
	RecoveryFile = "recovery.tf"
)

// Step is a state of the configuration in the guide.
type Step int

const (
	// Stack is the stack's configuration alone: as it was before the state
	// was lost, and again after step 4 deleted recovery.tf.
	Stack Step = iota
	// Import is step 1: the stack and recovery.tf, which import the VM to
	// keep of each name and every extra VM.
	Import
	// RemoveExtras is step 2: recovery.tf without the import block of the
	// extras and without the proxmoxsafe_vm.extra resource, so that
	// Terraform destroys the extras.
	RemoveExtras
)

// extraAddress is the resource of the extras, removed at step 2.
const extraAddress = "proxmoxsafe_vm.extra"

// Files returns the example's files at step (file name to content), read
// from the module at root.
func Files(root string, step Step) (map[string]string, error) {
	read := func(name string) (string, error) {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(Dir), name))
		if err != nil {
			return "", fmt.Errorf("reading the recovery guide's example: %w", err)
		}
		return string(b), nil
	}
	stack, err := read(StackFile)
	if err != nil {
		return nil, err
	}
	files := map[string]string{StackFile: stack}
	if step == Stack {
		return files, nil
	}
	recovery, err := read(RecoveryFile)
	if err != nil {
		return nil, err
	}
	if step == RemoveExtras {
		if recovery, err = withoutExtras(recovery); err != nil {
			return nil, err
		}
	}
	files[RecoveryFile] = recovery
	return files, nil
}

// Config is Files joined into one configuration, stack first.
func Config(root string, step Step) (string, error) {
	files, err := Files(root, step)
	if err != nil {
		return "", err
	}
	return files[StackFile] + "\n" + files[RecoveryFile], nil
}

// withoutExtras deletes from recovery.tf what step 2 of the guide tells the
// reader to delete: the import block into proxmoxsafe_vm.extra and that
// resource. It fails unless it finds exactly one of each, so that the guide
// and its example cannot drift apart unnoticed.
func withoutExtras(src string) (string, error) {
	f, diags := hclwrite.ParseConfig([]byte(src), RecoveryFile, hcl.InitialPos)
	if diags.HasErrors() {
		return "", fmt.Errorf("parsing %s of the recovery guide: %s", RecoveryFile, diags.Error())
	}
	var imports, resources int
	for _, b := range f.Body().Blocks() {
		switch {
		case b.Type() == "import" && importsInto(b, extraAddress):
			f.Body().RemoveBlock(b)
			imports++
		case b.Type() == "resource" && strings.Join(b.Labels(), ".") == extraAddress:
			f.Body().RemoveBlock(b)
			resources++
		}
	}
	if imports != 1 || resources != 1 {
		return "", fmt.Errorf("%s of the recovery guide has %d import blocks into %s and %d such resources, want one of each",
			RecoveryFile, imports, extraAddress, resources)
	}
	return strings.TrimRight(string(hclwrite.Format(f.Bytes())), "\n") + "\n", nil
}

// importsInto reports whether an import block's "to" is address or one of
// its instances.
func importsInto(b *hclwrite.Block, address string) bool {
	to := b.Body().GetAttribute("to")
	if to == nil {
		return false
	}
	expr := strings.TrimSpace(string(to.Expr().BuildTokens(nil).Bytes()))
	return expr == address || strings.HasPrefix(expr, address+"[")
}
