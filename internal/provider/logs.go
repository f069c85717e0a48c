package provider

import "os"

// Terraform shows a provider's logs only when TF_LOG_PROVIDER or TF_LOG is
// set (hashicorp/terraform internal/logging/logging.go providerLogLevel:
// neither set is hclog.Off), yet terraform-plugin-log writes every SDK and
// provider log line at TRACE when its own variables are unset
// (tfsdklog.NewRootSDKLogger, NewRootProviderLogger), and Terraform reads
// and decodes each line only to drop it. The framework logs several lines
// per attribute on every plan: a quarter to a third of the provider's CPU
// in an apply of 100 VMs, with Terraform's decoding on top
// (hashicorp/terraform-plugin-framework#1269).
//
// logVariables are the variables that set those levels; quietUnreadLogs
// sets the unset ones to OFF when Terraform will not show the logs. A
// variable set by the user is kept, and in debug mode (-debug) the logs
// go to the developer's console, so they are kept too.
var logVariables = []string{"TF_LOG_SDK", "TF_LOG_PROVIDER_PROXMOXSAFE"}

func QuietUnreadLogs(debug bool) {
	if debug || os.Getenv("TF_LOG") != "" || os.Getenv("TF_LOG_PROVIDER") != "" {
		return
	}
	for _, name := range logVariables {
		if _, set := os.LookupEnv(name); !set {
			_ = os.Setenv(name, "OFF")
		}
	}
}
