package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pvesim"
)

const (
	modulePath      = "github.com/proxmoxsafe/terraform-provider-proxmoxsafe"
	providerAddress = "registry.terraform.io/proxmoxsafe/proxmoxsafe"
	providerBinary  = "terraform-provider-proxmoxsafe"
	caFile          = "ca.pem"
	cliConfigFile   = "terraform.rc"
)

// prepareWorkdir returns the work directory and how to clean it up: a temp
// directory is removed unless keep; a directory the user named is kept.
func prepareWorkdir(dir string, keep bool) (string, func() error, error) {
	noop := func() error { return nil }
	if dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return "", nil, err
		}
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return "", nil, fmt.Errorf("creating the work directory: %w", err)
		}
		return abs, noop, nil
	}
	tmp, err := os.MkdirTemp("", "proxmoxsafe-demo-")
	if err != nil {
		return "", nil, fmt.Errorf("creating a temporary work directory: %w", err)
	}
	if keep {
		return tmp, noop, nil
	}
	return tmp, func() error { return os.RemoveAll(tmp) }, nil
}

// moduleRoot walks up from dir to the go.mod of this module.
func moduleRoot(dir string) (string, error) {
	for d := dir; ; {
		gomod := filepath.Join(d, "go.mod")
		if _, err := os.Stat(gomod); err == nil {
			mod, err := moduleName(gomod)
			if err != nil {
				return "", err
			}
			if mod != modulePath {
				return "", fmt.Errorf("%s is module %q, not %s: run the demo from the provider's repository", gomod, mod, modulePath)
			}
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod above %s: run the demo from the provider's repository", dir)
		}
		d = parent
	}
}

func moduleName(gomod string) (string, error) {
	f, err := os.Open(gomod)
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }() // opened read-only: a close error loses nothing
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("%s has no module line", gomod)
}

// setUp starts the simulator, builds the provider and writes the Terraform
// CLI configuration. The returned function stops the simulator.
func setUp(ctx context.Context, workdir string, statsLag time.Duration, out io.Writer) (*demo, func() error, error) {
	tfBin, err := exec.LookPath("terraform")
	if err != nil {
		return nil, nil, errors.New("the terraform CLI is not on PATH: install Terraform 1.5 or newer")
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil, nil, err
	}
	root, err := moduleRoot(wd)
	if err != nil {
		return nil, nil, err
	}

	printf(out, "\n=== Setting the stage ===\n\n")
	sim, err := startSimulator(workdir, statsLag)
	if err != nil {
		return nil, nil, err
	}
	printf(out, "  Simulated Proxmox VE cluster (scenario \"incident\"): %s, %d VMs\n", sim.URL(), len(sim.VMs()))

	ok := false
	defer func() {
		if !ok {
			_ = sim.Close()
		}
	}()
	if err := buildProvider(ctx, root, workdir, out); err != nil {
		return nil, nil, err
	}
	cliConfig := filepath.Join(workdir, cliConfigFile)
	if err := os.WriteFile(cliConfig, []byte(cliConfigHCL(workdir)), 0o644); err != nil {
		return nil, nil, err
	}
	tf := &terraform{bin: tfBin, env: terraformEnv(os.Environ(), cliConfig), out: out}
	version, err := tf.version(ctx)
	if err != nil {
		return nil, nil, err
	}
	printf(out, "  Terraform %s, provider installed through dev_overrides (%s)\n", version, cliConfig)

	ok = true
	return &demo{out: out, sim: sim, tf: tf, workdir: workdir, root: root, tfVersion: version, statsLag: statsLag}, sim.Close, nil
}

func startSimulator(workdir string, statsLag time.Duration) (*pvesim.Server, error) {
	sim, err := pvesim.New(pvesim.Options{Scenario: "incident", StatsLag: statsLag})
	if err != nil {
		return nil, fmt.Errorf("creating the simulator: %w", err)
	}
	if err := sim.Start("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("starting the simulator: %w", err)
	}
	if err := os.WriteFile(filepath.Join(workdir, caFile), sim.CACertPEM(), 0o644); err != nil {
		_ = sim.Close()
		return nil, fmt.Errorf("writing the simulator's CA certificate: %w", err)
	}
	return sim, nil
}

// buildProvider compiles the provider from the module at root into workdir,
// where dev_overrides points Terraform.
func buildProvider(ctx context.Context, root, workdir string, out io.Writer) error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return errors.New("the go command is not on PATH")
	}
	bin := filepath.Join(workdir, providerBinary)
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	printf(out, "  $ go build -o %s .\n", bin)
	start := time.Now()
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", bin, ".")
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the provider: %w\n%s", err, msg)
	}
	printf(out, "  Provider built in %s\n", time.Since(start).Round(100*time.Millisecond))
	return nil
}

// cliConfigHCL makes Terraform load the provider from dir without a
// registry, so no `terraform init` and no network are needed.
func cliConfigHCL(dir string) string {
	return fmt.Sprintf(`provider_installation {
  dev_overrides {
    %q = %q
  }
  direct {}
}
`, providerAddress, filepath.ToSlash(dir))
}
