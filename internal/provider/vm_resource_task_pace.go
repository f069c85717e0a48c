package provider

import (
	"context"
	"encoding/json"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// privateCreateTaskKey holds, in the VM's private state, how long the task
// that created it took: the destroy, usually in another process that has
// seen no destroy task end yet, times its first status poll by it instead
// of polling from the start (pve.Client.ExpectDestroyLength).
const privateCreateTaskKey = "create_task"

type createTaskLength struct {
	Node    string  `json:"node"`
	Seconds float64 `json:"seconds"`
}

// recordCreateTaskLength stores how long the create tasks on node took, as
// far as this run saw them end; nothing when it saw none.
func recordCreateTaskLength(ctx context.Context, client *pve.Client, node string, private privateData, diags *diag.Diagnostics) {
	took := client.CreateTaskLength(node)
	if private == nil || took <= 0 {
		return
	}
	value, err := json.Marshal(createTaskLength{Node: node, Seconds: took.Seconds()})
	if err != nil {
		return
	}
	diags.Append(private.SetKey(ctx, privateCreateTaskKey, value)...)
}

// expectDestroyLength hints the destroy of a VM on node with the length of
// the task that created it there. A VM moved to another node since, or
// imported, has no hint: its destroy learns the pace from the start.
func expectDestroyLength(ctx context.Context, client *pve.Client, node string, private privateData) {
	if private == nil {
		return
	}
	value, diags := private.GetKey(ctx, privateCreateTaskKey)
	if diags.HasError() || len(value) == 0 {
		return
	}
	var recorded createTaskLength
	if err := json.Unmarshal(value, &recorded); err != nil || recorded.Node != node || recorded.Seconds <= 0 {
		return
	}
	d := time.Duration(recorded.Seconds * float64(time.Second))
	tflog.Debug(ctx, "destroy task expected to take as long as the create", map[string]any{"node": node, "seconds": recorded.Seconds})
	client.ExpectDestroyLength(node, d)
}
