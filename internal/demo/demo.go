package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

// demo is the stage every act plays on: one simulated cluster, one provider
// build, one Terraform CLI configuration.
type demo struct {
	out       io.Writer
	sim       *pvesim.Server
	tf        *terraform
	workdir   string
	root      string // the module, for the examples the demo applies
	tfVersion string

	statsLag    time.Duration
	lastWarning string // first warning of the last applyVMID

	passed int
	failed []string
}

// act is one scene of the demo, with its own Terraform working directory.
type act struct {
	title string
	play  func(ctx context.Context) error
}

// printf writes the demo's narration to w (the terminal). A failed write
// cannot be reported anywhere better and must not stop the demo, so its
// error is deliberately dropped.
func printf(w io.Writer, format string, args ...any) {
	_, _ = fmt.Fprintf(w, format, args...)
}

func (d *demo) header(title string) {
	printf(d.out, "\n\n=== %s ===\n", title)
}

func (d *demo) say(format string, args ...any) {
	printf(d.out, "\n"+format+"\n", args...)
}

// show prints text indented under the command that produced it.
func (d *demo) show(text string) {
	text = strings.TrimRight(text, "\n")
	if text == "" {
		return
	}
	for _, l := range strings.Split(text, "\n") {
		if l == "" {
			printf(d.out, "\n")
			continue
		}
		printf(d.out, "    %s\n", l)
	}
}

// expect records whether a claim of the demo held, and prints it.
func (d *demo) expect(ok bool, format string, args ...any) bool {
	msg := fmt.Sprintf(format, args...)
	if ok {
		d.passed++
		printf(d.out, "  [ok] %s\n", msg)
		return true
	}
	d.fail("%s", msg)
	return false
}

func (d *demo) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	d.failed = append(d.failed, msg)
	printf(d.out, "  [FAIL] %s\n", msg)
}

// summary ends the run: an error unless every expectation held.
func (d *demo) summary(ctx context.Context, elapsed time.Duration) error {
	d.header("Result")
	if err := ctx.Err(); err != nil {
		d.failed = append(d.failed, "interrupted: "+context.Cause(ctx).Error())
	}
	if len(d.failed) > 0 {
		printf(d.out, "\n%d of %d expectations failed (%s):\n", len(d.failed), d.passed+len(d.failed), elapsed.Round(time.Second))
		for _, f := range d.failed {
			printf(d.out, "  - %s\n", f)
		}
		return fmt.Errorf("%d expectation(s) failed", len(d.failed))
	}
	printf(d.out, "\nAll %d expectations met in %s: Terraform never created a second VM with an existing name.\n",
		d.passed, elapsed.Round(time.Second))
	return nil
}

// writeConfig writes the provider boilerplate and body into a fresh
// <workdir>/<name> (a kept work directory may hold an earlier run's state),
// prints body and returns the directory.
func (d *demo) writeConfig(name, body string) (string, error) {
	return d.writeFiles(name, map[string]string{"main.tf": body})
}

// writeFiles is writeConfig for a configuration of several files (file
// name to content).
func (d *demo) writeFiles(name string, files map[string]string) (string, error) {
	dir := filepath.Join(d.workdir, name)
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "provider.tf"), []byte(d.providerHCL()), 0o644); err != nil {
		return "", err
	}
	return dir, d.rewriteFiles(dir, files)
}

// rewriteFiles replaces the configuration files of a directory writeFiles
// made (a .tf file not in files is deleted), keeping its state and
// provider.tf, and prints each file.
func (d *demo) rewriteFiles(dir string, files map[string]string) error {
	old, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		return err
	}
	for _, f := range old {
		if name := filepath.Base(f); name != "provider.tf" && files[name] == "" {
			if err := os.Remove(f); err != nil {
				return err
			}
			printf(d.out, "\n  %s/%s: deleted\n", filepath.Base(dir), name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(files[name]), 0o644); err != nil {
			return err
		}
		printf(d.out, "\n  %s/%s:\n", filepath.Base(dir), name)
		d.show(files[name])
	}
	return nil
}

// providerHCL points the provider at the simulator. The token is the
// simulator's fixed development token, not a secret.
func (d *demo) providerHCL() string {
	return fmt.Sprintf(`terraform {
  required_providers {
    proxmoxsafe = {
      source = "proxmoxsafe/proxmoxsafe"
    }
  }
}

provider "proxmoxsafe" {
  endpoint       = %q
  api_token      = %q
  ca_certificate = file("../%s")
}
`, d.sim.URL(), d.sim.Token(), caFile)
}

// vmids lists the VMIDs of the simulator's VMs carrying name.
func (d *demo) vmids(name string) []int {
	vms := d.sim.VMsNamed(name)
	ids := make([]int, 0, len(vms))
	for _, vm := range vms {
		ids = append(ids, vm.VMID)
	}
	return ids
}

func (d *demo) acts() []act {
	acts := []act{
		{"Act 1: What exists?", d.actInventory},
		{"Act 2: The incident, replayed", d.actIncident},
		{"Act 3: State lost, apply again", d.actStateLost},
	}
	if versionAtLeast(d.tfVersion, 1, 7) {
		acts = append(acts, act{"Act 4: Clean up the incident with Terraform", d.actCleanup})
	} else {
		printf(d.out, "\n  (Act 4 needs Terraform 1.7 or newer for import blocks with for_each; skipped with %s.)\n", d.tfVersion)
	}
	return acts
}

// versionAtLeast compares a "major.minor.patch" version with major.minor.
func versionAtLeast(v string, major, minor int) bool {
	var ma, mi int
	if _, err := fmt.Sscanf(v, "%d.%d", &ma, &mi); err != nil {
		return false
	}
	return ma > major || ma == major && mi >= minor
}

func joinInts(ids []int) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, ", ")
}
