package provider_test

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
)

// TestMain runs the tests, or with -sweep=lab only the sweeper below:
// `go test ./internal/provider -sweep=lab` removes every VM a lab-mode run
// left behind (make testacc-lab-sweep).
func TestMain(m *testing.M) {
	resource.TestMain(acctest.SweepAfterRun(m))
}

func init() {
	resource.AddTestSweepers("proxmoxsafe_vm", &resource.Sweeper{
		Name: "proxmoxsafe_vm",
		F: func(string) error {
			return acctest.SweepLab(acctest.SweepPrefix)
		},
	})
}
