package pve

import (
	"context"
	"testing"
)

func TestParseUPID(t *testing.T) {
	got, err := parseUPID("UPID:pve1:0000ABCD:0012F00D:66A1B2C3:qmcreate:100:root@pam!tf:")
	if err != nil {
		t.Fatal(err)
	}
	if want := (upid{node: "pve1", typ: "qmcreate", id: "100", user: "root@pam!tf"}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	for _, bad := range []string{"", "null", "UPID:pve1", "TASK:pve1:1:2:3:qmcreate:100:root@pam:", "UPID::1:2:3:qmcreate:100:root@pam:"} {
		if _, err := parseUPID(bad); err == nil {
			t.Errorf("parseUPID(%q) accepted", bad)
		}
	}
}

// createVM creates a VM the way the provider does: StartCreateVM, then Wait.
func createVM(ctx context.Context, c *Client, spec CreateSpec) error {
	task, err := c.StartCreateVM(ctx, spec)
	if err != nil {
		return err
	}
	return c.Wait(ctx, task)
}

// cloneVM clones the way the provider does: StartCloneVM, then Wait.
func cloneVM(ctx context.Context, c *Client, spec CloneSpec) error {
	task, err := c.StartCloneVM(ctx, spec)
	if err != nil {
		return err
	}
	return c.Wait(ctx, task)
}
