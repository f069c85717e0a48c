package pve

import (
	"context"
	"io"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"
)

// The parallel name lookups log every API call at once through one
// context. terraform-plugin-log masks field values in place, in a map the
// context's logger options share (hashicorp/terraform-plugin-log#246), so
// lines written through the shared options crashed the plugin with "fatal
// error: concurrent map iteration and map write" and a goroutine dump in
// terraform's output. Each line must log through options of its own. Under
// -race the detector reports the shared map; without it the runtime's own
// check usually kills the test binary.
func TestConcurrentLogLinesShareNoLoggerState(t *testing.T) {
	ctx := tflogtest.RootLogger(context.Background(), io.Discard)
	// Terraform's framework sets fields like these on the root logger of
	// every request; the subsystem copies them (WithRootFields).
	ctx = tflog.SetField(ctx, "tf_req_id", "0f3a")
	ctx = tflog.SetField(ctx, "tf_resource_type", "proxmoxsafe_vm")
	ctx = newLoggingContext(ctx, Config{APIToken: "root@pam!tf=00000000-0000-0000-0000-000000000000"})

	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				logAPICall(ctx, i%2 == 0, map[string]any{"method": "GET", "path": "/nodes/pve/qemu/100/config"})
			}
		}()
	}
	wg.Wait()
}
