package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

const providerAddress = "registry.terraform.io/proxmoxsafe/proxmoxsafe"

// terraform runs the CLI in one working directory with the provider
// installed through dev_overrides, so no `terraform init` is needed.
type terraform struct {
	bin, dir string
	env      []string
	logPath  string // the provider's TRACE log, when set
}

// logTo makes the next commands write the provider's TRACE log to path.
func (tf *terraform) logTo(path string) { tf.logPath = path }

func newTerraform(providerDir, dir string) (*terraform, error) {
	bin, err := exec.LookPath("terraform")
	if err != nil {
		return nil, errors.New("the terraform CLI is not on PATH")
	}
	cliConfig := filepath.Join(dir, "cli.tfrc")
	hcl := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    %q = %q\n  }\n  direct {}\n}\n",
		providerAddress, filepath.ToSlash(providerDir))
	if err := os.WriteFile(cliConfig, []byte(hcl), 0o600); err != nil {
		return nil, err
	}
	var env []string
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "TF_") || strings.HasPrefix(name, "PROXMOX_VE_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "TF_CLI_CONFIG_FILE="+cliConfig, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_INPUT=0")
	return &terraform{bin: bin, dir: dir, env: env}, nil
}

// writeConfig writes managed VMs named bench-<i> on benchNode. They are not
// started: the baseline only creates, and starting costs the same requests
// on both sides. Without autoVMID each VM gets vmid = 20000 + i, as the
// baseline's VMIDs are explicit too: parallel creates that ask
// /cluster/nextid collide until the provider allocates VMIDs in-process.
func (tf *terraform) writeConfig(endpoint, token string, managed int, autoVMID bool) error {
	vmid := "\n  vmid    = 20000 + count.index"
	if autoVMID {
		vmid = ""
	}
	hcl := fmt.Sprintf(`terraform {
  required_providers {
    proxmoxsafe = { source = "proxmoxsafe/proxmoxsafe" }
  }
}

provider "proxmoxsafe" {
  endpoint    = %q
  api_token   = %q
  max_retries = 0
}

resource "proxmoxsafe_vm" "bench" {
  count   = %d
  name    = "bench-${count.index}"
  node    = %q
  started = false%s
}
`, endpoint, token, managed, benchNode, vmid)
	return os.WriteFile(filepath.Join(tf.dir, "main.tf"), []byte(hcl), 0o600)
}

// run runs one command and fails unless it exits with one of okCodes.
func (tf *terraform) run(ctx context.Context, timeout time.Duration, okCodes []int, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, tf.bin, args...)
	cmd.Dir = tf.dir
	cmd.Env = tf.env
	if tf.logPath != "" {
		if err := os.MkdirAll(filepath.Dir(tf.logPath), 0o755); err != nil {
			return err
		}
		cmd.Env = append(cmd.Env[:len(cmd.Env):len(cmd.Env)], "TF_LOG_PROVIDER=TRACE", "TF_LOG_PATH="+tf.logPath)
	}
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("terraform %s did not finish within %s", args[0], timeout)
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	case err != nil:
		return err
	}
	for _, ok := range okCodes {
		if code == ok {
			return nil
		}
	}
	return fmt.Errorf("terraform %s exited with %d:\n%s", strings.Join(args, " "), code, tail(out.String(), 40))
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}
