package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The test binary is the wrapper when the wrapper's settings are in its
// environment, as testcost is.
func TestMain(m *testing.M) {
	if terraform := os.Getenv(envTerraform); terraform != "" {
		wrap(terraform, os.Getenv(envLog), os.Args[1:])
	}
	os.Exit(m.Run())
}

// The wrapper logs the subcommand and becomes the terraform it was given:
// the process its caller started is that terraform (same PID), with the
// same arguments.
func TestWrapperBecomesTerraform(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fake := filepath.Join(dir, "terraform")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho \"$$ $*\"\n"), 0o700); err != nil { //nolint:gosec // a test script
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "commands.log")
	cmd := exec.Command(os.Args[0], "-chdir=/w", "plan", "-refresh=false") //nolint:gosec // this test binary
	cmd.Env = append(os.Environ(), envTerraform+"="+fake, envLog+"="+logPath)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	pid, args, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	if pid != strconv.Itoa(cmd.Process.Pid) || args != "-chdir=/w plan -refresh=false" {
		t.Errorf("terraform ran as %q with %q, want PID %d (the wrapper's) and the same arguments", pid, args, cmd.Process.Pid)
	}
	commands, err := readCommands(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(commands) != 1 || commands[0].name != "plan" {
		t.Errorf("log = %v, want one plan", commands)
	}
}
