// Package guard holds the pure decisions behind the provider's promise that
// two VMs never share a name: whether a name is free, taken or ambiguous,
// which VM wins a creation race, and which member of an existing duplicate
// group to keep.
//
// The package does no I/O. Callers read the cluster (package pve), convert
// what they saw into an Inventory, and act on the Decision. Every rule fails
// closed: a partial inventory, a VM whose name could not be read, or several
// VMs with the name all refuse rather than create or adopt.
//
// Names compare case-insensitively (strings.EqualFold) across the whole
// cluster, templates included. Callers pass only the VMs that take part in
// the check (QEMU VMs); containers are left out before reaching this package.
//
// "Oldest first" always means: known creation time (CreatedAt > 0) ascending,
// VMs without one after all that have one, ties broken by lowest VMID. Clones
// copy their source's creation time, so ties are real and the VMID decides.
package guard
