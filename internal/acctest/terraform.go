package acctest

// The one way tests run the Terraform CLI themselves, for what
// terraform-plugin-testing cannot do: choose -parallelism (terraform-exec
// refuses TF_CLI_ARGS), run several applies with separate provider processes
// at once, kill the provider plugin in the middle of an apply, plan from a
// state another provider wrote, and init the examples from a local mirror.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const providerAddress = "registry.terraform.io/proxmoxsafe/proxmoxsafe"

// terraformTimeout bounds one terraform command run by Exec or MustRun:
// generous, the machine is shared.
const terraformTimeout = 15 * time.Minute

// TerraformCLI runs the terraform of the acceptance tests (TF_ACC_TERRAFORM_PATH,
// else the one on PATH) with one CLI configuration and one environment
// (terraformEnv).
type TerraformCLI struct {
	bin string
	env []string
}

// TerraformOption changes how a TerraformCLI runs.
type TerraformOption func(*terraformSettings)

type terraformSettings struct{ offline bool }

// Offline points every proxy at a closed loopback port, so that a network
// access fails loudly instead of happening.
func Offline() TerraformOption { return func(s *terraformSettings) { s.offline = true } }

// NewTerraform returns a runner whose terraform reads the CLI configuration
// at cliConfig. It skips the test when there is no terraform to run.
func NewTerraform(t testing.TB, cliConfig string, opts ...TerraformOption) *TerraformCLI {
	t.Helper()
	var s terraformSettings
	for _, o := range opts {
		o(&s)
	}
	return &TerraformCLI{bin: terraformPath(t), env: terraformEnv(os.Environ(), cliConfig, s.offline)}
}

func terraformPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("TF_ACC_TERRAFORM_PATH"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, err := exec.LookPath("terraform")
	if err != nil {
		t.Skip("terraform is not on PATH (and TF_ACC_TERRAFORM_PATH is not set)")
	}
	return p
}

// terraformEnv is the environment of every terraform run: the caller's
// without any TF_* setting (CLI arguments, configuration file, plugin cache,
// reattached providers, data directory, variables) that would make terraform
// find providers elsewhere or do something else than the test says, and,
// outside lab mode, without PROXMOX_VE_* (the configuration under test names
// its simulator; in lab mode PROXMOX_VE_* is how it reaches the cluster).
// TF_LOG* stays when TF_LOG_PATH sends the log to a file, where it cannot
// mix with the output that tests read.
func terraformEnv(base []string, cliConfig string, offline bool) []string {
	logToFile := slices.ContainsFunc(base, func(kv string) bool { return strings.HasPrefix(kv, "TF_LOG_PATH=") && kv != "TF_LOG_PATH=" })
	proxies := map[string]bool{
		"HTTP_PROXY": true, "HTTPS_PROXY": true, "NO_PROXY": true,
		"http_proxy": true, "https_proxy": true, "no_proxy": true,
	}
	var env []string
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "TF_LOG") && logToFile:
		case strings.HasPrefix(name, "TF_"), name == "CHECKPOINT_DISABLE":
			continue
		case strings.HasPrefix(name, "PROXMOX_VE_") && !TargetLab():
			continue
		case offline && proxies[name]:
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "TF_CLI_CONFIG_FILE="+cliConfig, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_INPUT=0")
	if offline {
		const closedPort = "http://127.0.0.1:9"
		env = append(env, "HTTP_PROXY="+closedPort, "HTTPS_PROXY="+closedPort,
			"http_proxy="+closedPort, "https_proxy="+closedPort)
	}
	return env
}

// Result is one finished terraform command.
type Result struct {
	Output   string // stdout and stderr
	ExitCode int
	Killed   bool // the provider plugin (RunKillingTerraformWhen: terraform) was killed during the command
	// Orphans are the plugins of a terraform killed by RunKillingTerraformWhen.
	Orphans []int
}

// Run runs terraform in dir and waits for it. A failing command is a
// Result; an error means terraform did not run to its end.
func (tf *TerraformCLI) Run(ctx context.Context, dir string, args ...string) (Result, error) {
	return tf.RunKillingPlugin(ctx, dir, 0, args...)
}

// RunKillingPlugin runs terraform in dir and, killAfter into the command
// (0: never), kills its provider plugin with SIGKILL, as a crash would.
func (tf *TerraformCLI) RunKillingPlugin(ctx context.Context, dir string, killAfter time.Duration, args ...string) (Result, error) {
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
	return tf.run(ctx, dir, when, args...)
}

// RunKillingPluginWhen runs terraform in dir and kills its provider plugin
// with SIGKILL the moment ready reports true (polled every 10 ms): a crash
// at a chosen point of the apply rather than at a chosen time.
func (tf *TerraformCLI) RunKillingPluginWhen(ctx context.Context, dir string, ready func() bool, args ...string) (Result, error) {
	return tf.run(ctx, dir, func(done <-chan struct{}) bool {
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

// RunKillingTerraformWhen runs terraform in dir and kills terraform itself
// (not its plugins) with SIGKILL the moment ready, given the output so far,
// reports true (polled every 10 ms): terraform dies without writing its
// state, whatever its providers had answered. Its plugins are left to end
// as they do when their terraform is gone; Result.Orphans lists them, and
// the test's cleanup kills those still running.
func (tf *TerraformCLI) RunKillingTerraformWhen(t testing.TB, ctx context.Context, dir string, ready func(output string) bool, args ...string) (Result, error) {
	var orphans []int
	t.Cleanup(func() {
		for _, pid := range orphans {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	res, err := tf.runKilling(ctx, dir, func(done <-chan struct{}, out *syncBuffer) bool {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			if ready(out.String()) {
				return true
			}
			select {
			case <-done:
				return false
			case <-tick.C:
			}
		}
	}, func(pid int) bool {
		orphans = pluginsOf(pid)
		return syscall.Kill(pid, syscall.SIGKILL) == nil
	}, args...)
	res.Orphans = orphans
	return res, err
}

// run runs terraform in dir; when kill (nil: never) returns true before
// done is closed, it kills the provider plugin.
func (tf *TerraformCLI) run(ctx context.Context, dir string, kill func(done <-chan struct{}) bool, args ...string) (Result, error) {
	var when func(<-chan struct{}, *syncBuffer) bool
	if kill != nil {
		when = func(done <-chan struct{}, _ *syncBuffer) bool { return kill(done) }
	}
	return tf.runKilling(ctx, dir, when, killPlugins, args...)
}

// runKilling runs terraform in dir; when kill (nil: never) returns true
// before done is closed, it calls victim with terraform's PID.
func (tf *TerraformCLI) runKilling(ctx context.Context, dir string, kill func(<-chan struct{}, *syncBuffer) bool, victim func(pid int) bool, args ...string) (Result, error) {
	cmd := exec.CommandContext(ctx, tf.bin, args...)
	cmd.Dir = dir
	cmd.Env = tf.env
	cmd.WaitDelay = 10 * time.Second
	var buf syncBuffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		return Result{}, err
	}
	var res Result
	done := make(chan struct{})
	killed := make(chan bool, 1)
	if kill != nil {
		go func() { killed <- kill(done, &buf) && victim(cmd.Process.Pid) }()
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

// syncBuffer is the output of a command that a kill condition reads while
// the command writes it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Exec runs terraform in dir within terraformTimeout and returns its
// output, with an error when it fails.
func (tf *TerraformCLI) Exec(dir string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), terraformTimeout)
	defer cancel()
	res, err := tf.Run(ctx, dir, args...)
	if err == nil && res.ExitCode != 0 {
		err = fmt.Errorf("exit status %d", res.ExitCode)
	}
	return res.Output, err
}

// MustRun is Exec that fails the test, with the output, when terraform
// fails.
func (tf *TerraformCLI) MustRun(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := tf.Exec(dir, args...)
	if err != nil {
		t.Fatalf("terraform %s in %s: %s\n%s", strings.Join(args, " "), dir, err, out)
	}
	return out
}

// CLIConfig writes a Terraform CLI configuration that installs providers
// only from the given filesystem mirrors, and returns its path.
func CLIConfig(t testing.TB, mirrors ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("provider_installation {\n")
	for _, m := range mirrors {
		fmt.Fprintf(&b, "  filesystem_mirror {\n    path = %q\n  }\n", filepath.ToSlash(m))
	}
	b.WriteString("}\n")
	return writeCLIConfig(t, b.String())
}

// devOverridesConfig writes a Terraform CLI configuration whose terraform
// loads this provider from dir (no init, no network).
func devOverridesConfig(t testing.TB, dir string) string {
	t.Helper()
	return writeCLIConfig(t, fmt.Sprintf("provider_installation {\n  dev_overrides {\n    %q = %q\n  }\n  direct {}\n}\n",
		providerAddress, filepath.ToSlash(dir)))
}

func writeCLIConfig(t testing.TB, hcl string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "terraform.rc")
	if err := os.WriteFile(path, []byte(hcl), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// CLI runs terraform with the provider built from this module through
// dev_overrides, in working directories of its own; it adds -no-color to
// every command.
type CLI struct{ tf *TerraformCLI }

// NewCLI builds the provider and returns a CLI. In lab mode terraform
// reaches the cluster through PROXMOX_VE_*, which terraformEnv passes on, as
// a provider block from Lab.Config leaves them to it.
func NewCLI(t *testing.T) *CLI {
	t.Helper()
	return &CLI{tf: NewTerraform(t, devOverridesConfig(t, ProviderBinaryDir(t)))}
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

// Run runs terraform in dir and waits for it.
func (c *CLI) Run(ctx context.Context, dir string, args ...string) (Result, error) {
	return c.tf.Run(ctx, dir, append(args, "-no-color")...)
}

// RunKillingPlugin is TerraformCLI.RunKillingPlugin with -no-color.
func (c *CLI) RunKillingPlugin(ctx context.Context, dir string, killAfter time.Duration, args ...string) (Result, error) {
	return c.tf.RunKillingPlugin(ctx, dir, killAfter, append(args, "-no-color")...)
}

// RunKillingPluginWhen is TerraformCLI.RunKillingPluginWhen with -no-color.
func (c *CLI) RunKillingPluginWhen(ctx context.Context, dir string, ready func() bool, args ...string) (Result, error) {
	return c.tf.RunKillingPluginWhen(ctx, dir, ready, append(args, "-no-color")...)
}

// RunKillingTerraformWhen is TerraformCLI.RunKillingTerraformWhen with -no-color.
func (c *CLI) RunKillingTerraformWhen(t testing.TB, ctx context.Context, dir string, ready func(output string) bool, args ...string) (Result, error) {
	return c.tf.RunKillingTerraformWhen(t, ctx, dir, ready, append(args, "-no-color")...)
}

// killPlugins SIGKILLs the provider processes terraform (pid) started.
func killPlugins(pid int) bool {
	killed := false
	for _, child := range pluginsOf(pid) {
		if syscall.Kill(child, syscall.SIGKILL) == nil {
			killed = true
		}
	}
	return killed
}

// pluginsOf lists the provider processes terraform (pid) started.
func pluginsOf(pid int) []int {
	if runtime.GOOS != "linux" {
		return nil
	}
	entries, _ := os.ReadDir("/proc")
	var plugins []int
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
			plugins = append(plugins, child)
		}
	}
	return plugins
}
