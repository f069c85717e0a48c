// Command testcost counts the terraform commands each test runs: the cost
// of the test loop in a unit that does not depend on the machine or its
// load (a terraform start-up alone costs over 0.1 CPU-second here, so the
// commands decide how long `make test` takes). `make test-cost` runs it.
//
// It runs `go test -json` on the packages it is given with every test
// reaching terraform through itself: installed as "terraform" in a
// temporary folder (TF_ACC_TERRAFORM_PATH and first on PATH), it writes one
// line per command and then replaces itself with the real terraform
// (execve), so the process a test starts, waits for or kills is terraform
// itself. Packages and tests run one at a time (-p 1 -parallel 1), so each
// command belongs to the one test running then.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	// envTerraform, set, puts testcost in wrapper mode: the terraform to run.
	envTerraform = "TESTCOST_TERRAFORM"
	// envLog is the file the wrapper appends one line per command to.
	envLog = "TESTCOST_LOG"
)

func main() {
	if terraform := os.Getenv(envTerraform); terraform != "" {
		wrap(terraform, os.Getenv(envLog), os.Args[1:])
	}
	if filepath.Base(os.Args[0]) == "terraform" {
		// Installed as terraform but started without its settings (a test
		// that cleared the environment): never run the tests from here.
		fmt.Fprintf(os.Stderr, "testcost: started as terraform without %s in the environment\n", envTerraform)
		os.Exit(127)
	}
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "testcost:", err)
		os.Exit(1)
	}
}

// wrap records one terraform command and becomes it.
func wrap(terraform, logPath string, args []string) {
	line := strconv.FormatInt(time.Now().UnixNano(), 10) + " " + subcommand(args) + "\n"
	// One small O_APPEND write: lines of concurrent commands do not mix.
	if f, err := os.OpenFile(logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600); err == nil {
		_, _ = f.WriteString(line)
		_ = f.Close()
	}
	err := syscall.Exec(terraform, append([]string{terraform}, args...), os.Environ()) //nolint:gosec // the terraform the tests were given
	fmt.Fprintf(os.Stderr, "testcost: exec %s: %s\n", terraform, err)
	os.Exit(127)
}

// subcommand is terraform's subcommand in args: the first argument that is
// not a flag (-chdir=DIR comes before it).
func subcommand(args []string) string {
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			return a
		}
	}
	return "(none)"
}

// run runs go test on args (packages and go test flags) and prints the
// commands per test.
func run(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: testcost PACKAGE... [go test flags]")
	}
	terraform := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if terraform == "" {
		var err error
		if terraform, err = exec.LookPath("terraform"); err != nil {
			return errors.New("no terraform on PATH and TF_ACC_TERRAFORM_PATH is not set")
		}
	}
	if abs, err := filepath.Abs(terraform); err == nil {
		terraform = abs
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "testcost")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	wrapper := filepath.Join(dir, "terraform")
	if err := os.Symlink(self, wrapper); err != nil {
		return err
	}
	logPath := filepath.Join(dir, "commands.log")

	cmd := exec.Command("go", append([]string{"test", "-json", "-count=1", "-timeout", "90m", "-p", "1", "-parallel", "1"}, args...)...)
	cmd.Env = append(os.Environ(), "TF_ACC=1", "CHECKPOINT_DISABLE=1",
		"TF_ACC_TERRAFORM_PATH="+wrapper, "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"),
		envTerraform+"="+terraform, envLog+"="+logPath)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	runs, failed, readErr := readEvents(stdout)
	testErr := cmd.Wait()
	if readErr != nil {
		return readErr
	}
	commands, err := readCommands(logPath)
	if err != nil {
		return err
	}
	printTable(out, attribute(runs, commands))
	if len(failed) > 0 {
		return fmt.Errorf("tests failed, their counts are partial: %s", strings.Join(failed, ", "))
	}
	return testErr
}

// readCommands reads the wrapper's log; no log means no command ran.
func readCommands(path string) ([]command, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	var commands []command
	s := bufio.NewScanner(f)
	for s.Scan() {
		at, name, ok := strings.Cut(s.Text(), " ")
		ns, err := strconv.ParseInt(at, 10, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("%s: malformed line %q", path, s.Text())
		}
		commands = append(commands, command{at: time.Unix(0, ns), name: name})
	}
	return commands, s.Err()
}

// event is the part of a `go test -json` line testcost reads.
type event struct {
	Time    time.Time
	Action  string
	Package string
	Test    string
}

// readEvents collects when each test ran and which failed.
func readEvents(r io.Reader) ([]testRun, []string, error) {
	var runs []testRun
	var failed []string
	open := map[string]int{} // package and test -> index in runs
	dec := json.NewDecoder(r)
	for {
		var e event
		if err := dec.Decode(&e); errors.Is(err, io.EOF) {
			return runs, failed, nil
		} else if err != nil {
			return nil, nil, fmt.Errorf("reading go test -json: %w", err)
		}
		if e.Test == "" {
			continue
		}
		key := e.Package + " " + e.Test
		switch e.Action {
		case "run", "cont":
			// A parallel test pauses after its start; what it runs after
			// "cont" counts from there.
			open[key] = len(runs)
			runs = append(runs, testRun{pkg: e.Package, test: e.Test, start: e.Time})
		case "pause", "pass", "fail", "skip":
			if i, ok := open[key]; ok {
				runs[i].end = e.Time
				delete(open, key)
			}
			if e.Action == "fail" {
				failed = append(failed, e.Test)
			}
		}
	}
}
