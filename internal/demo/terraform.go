package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"time"
)

// terraform runs the Terraform CLI with the demo's environment.
type terraform struct {
	bin string
	env []string
	out io.Writer
}

// tfResult is one finished terraform command.
type tfResult struct {
	Output   string // stdout and stderr, ANSI-free, without the dev_overrides warning
	ExitCode int
}

func (r tfResult) ok() bool { return r.ExitCode == 0 }

// run prints the command, runs it in dir and returns its output. An error
// means terraform could not run at all; a failing command is a result.
func (tf *terraform) run(ctx context.Context, dir string, args ...string) (tfResult, error) {
	printf(tf.out, "\n  $ terraform %s\n", strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, tf.bin, args...)
	cmd.Dir = dir
	cmd.Env = tf.env
	// Let terraform release its state lock on Ctrl-C or timeout.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	var buf bytes.Buffer
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	err := cmd.Run()
	res := tfResult{Output: cleanOutput(buf.String())}
	if ctx.Err() != nil {
		return res, fmt.Errorf("terraform %s: %w", args[0], context.Cause(ctx))
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		res.ExitCode = exitErr.ExitCode()
	default:
		return res, fmt.Errorf("running terraform %s: %w", args[0], err)
	}
	return res, nil
}

// outputs runs `terraform output -json` in dir and returns each output's value.
func (tf *terraform) outputs(ctx context.Context, dir string) (map[string]json.RawMessage, error) {
	res, err := tf.run(ctx, dir, "output", "-json")
	if err != nil {
		return nil, err
	}
	if !res.ok() {
		return nil, fmt.Errorf("terraform output failed:\n%s", res.Output)
	}
	var raw map[string]struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal([]byte(res.Output), &raw); err != nil {
		return nil, fmt.Errorf("parsing terraform output -json: %w", err)
	}
	values := make(map[string]json.RawMessage, len(raw))
	for k, v := range raw {
		values[k] = v.Value
	}
	return values, nil
}

// version returns the CLI's version, e.g. "1.11.4".
func (tf *terraform) version(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, tf.bin, "version", "-json")
	cmd.Env = tf.env
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("terraform version: %w", err)
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return "", fmt.Errorf("parsing terraform version -json: %w", err)
	}
	return v.Version, nil
}

// terraformEnv is the environment of every terraform command: the caller's,
// minus settings that would change what the demo shows, plus the demo's.
func terraformEnv(base []string, cliConfig string) []string {
	env := make([]string, 0, len(base)+4)
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		if dropEnv(name) {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"TF_CLI_CONFIG_FILE="+cliConfig,
		"CHECKPOINT_DISABLE=1",
		"TF_IN_AUTOMATION=1",
		"TF_INPUT=0",
	)
}

// dropEnv keeps Terraform's logging variables and drops the other TF_*
// settings (extra CLI arguments, workspaces, reattached providers...) and the
// provider's own PROXMOX_VE_* variables.
func dropEnv(name string) bool {
	switch {
	case name == "CHECKPOINT_DISABLE":
		return true
	case strings.HasPrefix(name, "TF_LOG"):
		return false
	case strings.HasPrefix(name, "TF_"), strings.HasPrefix(name, "PROXMOX_VE_"):
		return true
	}
	return false
}

var ansiRegexp = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)

// cleanOutput strips colour codes and the warning Terraform prints on every
// command while dev_overrides is in effect.
func cleanOutput(s string) string {
	s = ansiRegexp.ReplaceAllString(s, "")
	lines := strings.Split(s, "\n")
	start := -1
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimLeft(l, "│╷ "), "Warning: Provider development overrides are in effect") {
			start = i
			break
		}
	}
	if start < 0 {
		return s
	}
	for end := start; end < len(lines); end++ {
		if strings.HasSuffix(strings.TrimSpace(strings.TrimLeft(lines[end], "│ ")), "releases.") {
			end++
			if end < len(lines) && strings.HasPrefix(lines[end], "╵") {
				end++
			}
			for start > 0 && strings.TrimSpace(lines[start-1]) == "" {
				start--
			}
			return strings.Join(append(lines[:start:start], lines[end:]...), "\n")
		}
	}
	return s
}

// diagnostics returns the "Error:" and "Warning:" blocks of a terraform
// output, from the first one to the end.
func diagnostics(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "Error: ") || strings.HasPrefix(l, "Warning: ") {
			return strings.TrimRight(strings.Join(lines[i:], "\n"), "\n")
		}
	}
	return ""
}

// diagnostic returns the diagnostic block of a terraform output whose first
// line starts with header (e.g. "Warning: Existing VM"), up to the next block
// or the end of the plan or apply.
func diagnostic(s, header string) string {
	lines := strings.Split(s, "\n")
	start := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, header) })
	if start < 0 {
		return ""
	}
	end := len(lines)
	for i := start + 1; i < len(lines); i++ {
		if slices.ContainsFunc(blockStarts, func(p string) bool { return strings.HasPrefix(lines[i], p) }) {
			end = i
			break
		}
	}
	return strings.TrimRight(strings.Join(lines[start:end], "\n"), "\n")
}

// blockStarts begin the parts of a terraform output that follow a diagnostic.
var blockStarts = []string{"Error: ", "Warning: ", "Apply complete!", "Plan: ", "Outputs:", "No changes."}

// summaryPrefixes mark the lines of a plan or apply worth showing.
var summaryPrefixes = []string{
	"  # ", "Plan: ", "Apply complete!", "No changes.", "Removed ", "Successfully removed",
	"Warning: ", "Error: ", "data.", "proxmoxsafe_vm.",
}

// summary keeps the lines of a terraform output that tell what happened.
func summary(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		for _, p := range summaryPrefixes {
			if strings.HasPrefix(l, p) {
				keep = append(keep, l)
				break
			}
		}
	}
	return strings.Join(keep, "\n")
}

// errorSummaries returns the summary line of every error diagnostic.
func errorSummaries(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if rest, ok := strings.CutPrefix(l, "Error: "); ok {
			out = append(out, rest)
		}
	}
	return out
}
