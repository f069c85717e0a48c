package provider_test

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/acctest"
)

func expectDriveValue(t *testing.T, inv acctest.Inventory, name, key, want string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if got := onlyVMNamed(t, inv, name).Config[key]; got != want {
			return fmt.Errorf("%s = %q, want %q", key, got, want)
		}
		return nil
	}
}

func expectDriveMatches(t *testing.T, inv acctest.Inventory, name, key, pattern string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if got := onlyVMNamed(t, inv, name).Config[key]; !regexp.MustCompile(pattern).MatchString(got) {
			return fmt.Errorf("%s = %q, want it to match %s", key, got, pattern)
		}
		return nil
	}
}
