package pve

import (
	"context"
	"net/url"
	"regexp"

	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// logSubsystem is the tflog subsystem of every API call. Its level can be
// set apart from the provider's with TF_LOG_PROVIDER_PROXMOXSAFE_PROXMOX_API.
const logSubsystem = "proxmox_api"

var (
	// reTicketValue matches a PVE auth ticket ("PVE:user@realm:HEX::sig").
	reTicketValue = regexp.MustCompile(`PVE:[^ ]+`)
	// reCSRFValue matches a CSRF prevention token ("HEX8:base64 sig").
	reCSRFValue = regexp.MustCompile(`\b[0-9A-Fa-f]{8}:[A-Za-z0-9+/]{16,}={0,2}`)
)

// newLoggingContext returns ctx with the proxmox_api subsystem registered
// and every secret of cfg masked. The transport logs with the context of
// each request, so this must wrap the context handed to the API calls.
// Headers and bodies are never logged; the masks are a second line of
// defence, including for tickets and CSRF tokens only known after login.
func newLoggingContext(ctx context.Context, cfg Config) context.Context {
	ctx = tflog.NewSubsystem(ctx, logSubsystem,
		tflog.WithLevelFromEnv("TF_LOG_PROVIDER_PROXMOXSAFE", "PROXMOX_API"),
		tflog.WithRootFields(),
	)
	return maskSecrets(ctx, configSecrets(cfg))
}

func configSecrets(cfg Config) []string {
	var out []string
	if cfg.APIToken != "" {
		out = append(out, cfg.APIToken)
		if _, secret, err := ParseAPIToken(cfg.APIToken); err == nil {
			out = append(out, secret)
		}
	}
	if cfg.Password != "" {
		out = append(out, cfg.Password)
	}
	return out
}

func maskSecrets(ctx context.Context, secrets []string) context.Context {
	if len(secrets) > 0 {
		ctx = tflog.SubsystemMaskAllFieldValuesStrings(ctx, logSubsystem, secrets...)
		ctx = tflog.SubsystemMaskMessageStrings(ctx, logSubsystem, secrets...)
	}
	ctx = tflog.SubsystemMaskAllFieldValuesRegexes(ctx, logSubsystem, reTicketValue, reCSRFValue)
	return tflog.SubsystemMaskMessageRegexes(ctx, logSubsystem, reTicketValue, reCSRFValue)
}

// logCtx prepares the context of one exported method: subsystem, masks,
// and the current ticket and CSRF token if logged in.
func (c *Client) logCtx(ctx context.Context) context.Context {
	ctx = newLoggingContext(ctx, c.cfg)
	if s := c.api.Session(); s != nil {
		var known []string
		for _, v := range []string{s.Ticket, url.QueryEscape(s.Ticket), s.CSRFPreventionToken} {
			if v != "" {
				known = append(known, v)
			}
		}
		if len(known) > 0 {
			ctx = tflog.SubsystemMaskAllFieldValuesStrings(ctx, logSubsystem, known...)
			ctx = tflog.SubsystemMaskMessageStrings(ctx, logSubsystem, known...)
		}
	}
	return ctx
}

// logAPICall writes the one line each HTTP request gets: TRACE when it
// succeeded, DEBUG when it failed.
func logAPICall(ctx context.Context, ok bool, fields map[string]any) {
	if ok {
		tflog.SubsystemTrace(ownLogOptions(ctx), logSubsystem, "Proxmox VE API call", fields)
		return
	}
	logDebug(ctx, "Proxmox VE API call failed", fields)
}

// logDebug writes a DEBUG line of the proxmox_api subsystem.
func logDebug(ctx context.Context, msg string, fields map[string]any) {
	tflog.SubsystemDebug(ownLogOptions(ctx), logSubsystem, msg, fields)
}

// ownLogOptions gives one log line a private copy of the subsystem's logger
// options. terraform-plugin-log masks field values in place, in the fields
// map that the options share with every context derived from them
// (v0.11.0 internal/logging/filtering.go ApplyMask writes f[fk] for each
// masked field; hashicorp/terraform-plugin-log#246). Two goroutines logging
// through one context, as the parallel name lookups do, then iterate and
// write the same map, and the Go runtime kills the plugin with "fatal
// error: concurrent map iteration and map write" and a goroutine dump.
// Every option function copies the options first; one without arguments
// adds nothing else.
func ownLogOptions(ctx context.Context) context.Context {
	return tflog.SubsystemMaskMessageStrings(ctx, logSubsystem)
}
