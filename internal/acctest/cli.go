package acctest

// This file runs the Terraform CLI directly against a provider binary built
// from this module, for what terraform-plugin-testing cannot do: choose
// -parallelism (terraform-exec refuses TF_CLI_ARGS), run several applies
// with separate provider processes at once, and kill the provider plugin in
// the middle of an apply.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const providerAddress = "registry.terraform.io/proxmoxsafe/proxmoxsafe"

var (
	buildOnce sync.Once
	builtDir  string
	buildErr  error
)

// ProviderBinaryDir builds the provider once per test binary and returns the
// directory holding it.
func ProviderBinaryDir(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		var root string
		if root, buildErr = moduleRoot(); buildErr != nil {
			return
		}
		// Shared by every test of the binary, so not one test's TempDir.
		if builtDir, buildErr = os.MkdirTemp("", "proxmoxsafe-provider-"); buildErr != nil { //nolint:usetesting // outlives the first test
			return
		}
		args := []string{"build", "-o", filepath.Join(builtDir, "terraform-provider-proxmoxsafe")}
		if os.Getenv("PROXMOXSAFE_ACC_RACE") != "" {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, ".")...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building the provider: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtDir
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the module")
	}
	return filepath.Dir(mod), nil
}

// CLI runs terraform in working directories of its own.
type CLI struct {
	bin string
	env []string
}

// NewCLI builds the provider and returns a runner whose terraform loads it
// through dev_overrides (no init, no network).
func NewCLI(t *testing.T) *CLI {
	t.Helper()
	if TargetLab() {
		t.Skip("runs the provider binary against the simulator only")
	}
	bin := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("terraform"); err != nil {
			t.Skip("terraform is not on PATH")
		}
	}
	dir := ProviderBinaryDir(t)
	cliConfig := filepath.Join(t.TempDir(), "terraformrc")
	hcl := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    %q = %q\n  }\n  direct {}\n}\n",
		providerAddress, filepath.ToSlash(dir))
	if err := os.WriteFile(cliConfig, []byte(hcl), 0o600); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "TF_") && !strings.HasPrefix(name, "TF_LOG") || strings.HasPrefix(name, "PROXMOX_VE_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "TF_CLI_CONFIG_FILE="+cliConfig, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_INPUT=0")
	return &CLI{bin: bin, env: env}
}

// Workdir is a directory holding one configuration and its state.
func (c *CLI) Workdir(t *testing.T, config string) string {
	t.Helper()
	dir := t.TempDir()
	c.WriteConfig(t, dir, config)
	return dir
}

// WriteConfig replaces the configuration in dir.
func (c *CLI) WriteConfig(t *testing.T, dir, config string) {
	t.Helper()
	required := fmt.Sprintf("terraform {\n  required_providers {\n    %s = { source = %q }\n  }\n}\n\n",
		ProviderName, strings.TrimPrefix(providerAddress, "registry.terraform.io/"))
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(required+config), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Result is one finished terraform command.
type Result struct {
	Output   string
	ExitCode int
	Killed   bool // the provider plugin was killed during the command
}

// Run runs terraform in dir and waits for it.
func (c *CLI) Run(ctx context.Context, dir string, args ...string) (Result, error) {
	return c.RunKillingPlugin(ctx, dir, 0, args...)
}

// RunKillingPlugin runs terraform in dir and, killAfter into the command
// (0: never), kills its provider plugin with SIGKILL, as a crash would.
func (c *CLI) RunKillingPlugin(ctx context.Context, dir string, killAfter time.Duration, args ...string) (Result, error) {
	var when func(done <-chan struct{}) bool
	if killAfter > 0 {
		when = func(done <-chan struct{}) bool {
			select {
			case <-done:
				return false
			case <-time.After(killAfter):
				return true
			}
		}
	}
	return c.run(ctx, dir, when, args...)
}

// RunKillingPluginWhen runs terraform in dir and kills its provider plugin
// with SIGKILL the moment ready reports true (polled every 10 ms): a crash
// at a chosen point of the apply rather than at a chosen time.
func (c *CLI) RunKillingPluginWhen(ctx context.Context, dir string, ready func() bool, args ...string) (Result, error) {
	return c.run(ctx, dir, func(done <-chan struct{}) bool {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			if ready() {
				return true
			}
			select {
			case <-done:
				return false
			case <-tick.C:
			}
		}
	}, args...)
}

// run runs terraform in dir; when kill (nil: never) returns true before
// done is closed, it kills the provider plugin.
func (c *CLI) run(ctx context.Context, dir string, kill func(done <-chan struct{}) bool, args ...string) (Result, error) {
	cmd := exec.CommandContext(ctx, c.bin, append(args, "-no-color")...)
	cmd.Dir = dir
	cmd.Env = c.env
	cmd.WaitDelay = 10 * time.Second
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		return Result{}, err
	}
	var res Result
	done := make(chan struct{})
	killed := make(chan bool, 1)
	if kill != nil {
		go func() {
			killed <- kill(done) && killPlugins(cmd.Process.Pid)
		}()
	} else {
		killed <- false
	}
	err := cmd.Wait()
	close(done)
	res.Killed = <-killed
	res.Output = buf.String()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		res.ExitCode = exitErr.ExitCode()
	default:
		return res, err
	}
	return res, nil
}

// killPlugins SIGKILLs the provider processes terraform (pid) started.
func killPlugins(pid int) bool {
	if runtime.GOOS != "linux" {
		return false
	}
	entries, _ := os.ReadDir("/proc")
	killed := false
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		s := string(stat)
		closing := strings.LastIndexByte(s, ')')
		if closing < 0 || !strings.Contains(s[:closing], "terraform-provi") {
			continue
		}
		fields := strings.Fields(s[closing+1:])
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			if syscall.Kill(child, syscall.SIGKILL) == nil {
				killed = true
			}
		}
	}
	return killed
}
