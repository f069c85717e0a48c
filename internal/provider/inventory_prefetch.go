package provider

import (
	"context"
	"time"
)

// prefetch starts the cluster read that a name check with maxAge will wait
// for, without waiting for it: a plan of a new VM first reads the nodes and
// storages for its placement checks, and the inventory read runs meanwhile
// instead of after them. The name check then joins the read under way (or
// uses the one it left).
func (c *inventoryCache) prefetch(ctx context.Context, maxAge time.Duration) {
	ctx = context.WithoutCancel(ctx)
	go func() { _, _ = c.forNameCheck(ctx, maxAge) }()
}
