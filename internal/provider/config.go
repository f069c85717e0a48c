package provider

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/guard"
	"github.com/proxmoxsafe/terraform-provider-proxmoxsafe/internal/pve"
)

// Environment variables share their names with the most used Proxmox provider,
// so users can switch without new secrets.
const (
	envEndpoint      = "PROXMOX_VE_ENDPOINT"
	envAPIToken      = "PROXMOX_VE_API_TOKEN"
	envUsername      = "PROXMOX_VE_USERNAME"
	envPassword      = "PROXMOX_VE_PASSWORD"
	envInsecure      = "PROXMOX_VE_INSECURE"
	envCACertificate = "PROXMOX_VE_CA_CERTIFICATE"
	envMinTLS        = "PROXMOX_VE_MIN_TLS"
	envDefaultNode   = "PROXMOX_VE_DEFAULT_NODE"
)

var tlsVersions = map[string]uint16{"1.2": tls.VersionTLS12, "1.3": tls.VersionTLS13}

func minTLSVersions() []string { return []string{"1.2", "1.3"} }

func osEnv(key string) string { return os.Getenv(key) }

// providerSettings is the provider configuration after environment variables
// were applied and every value was checked.
type providerSettings struct {
	client      pve.Config
	onExisting  guard.Policy
	defaultNode string
}

func (s providerSettings) authKind() string {
	if s.client.APIToken != "" {
		return "api_token"
	}
	return "ticket"
}

// setting pairs a provider attribute with its environment variable, so every
// error can name both.
type setting struct {
	attr string
	env  string
}

func (s setting) path() path.Path { return path.Root(s.attr) }

func (s setting) describe() string {
	if s.env == "" {
		return fmt.Sprintf("%q", s.attr)
	}
	return fmt.Sprintf("%q (or the %s environment variable)", s.attr, s.env)
}

var (
	settingEndpoint      = setting{"endpoint", envEndpoint}
	settingAPIToken      = setting{"api_token", envAPIToken}
	settingUsername      = setting{"username", envUsername}
	settingPassword      = setting{"password", envPassword}
	settingInsecure      = setting{"insecure", envInsecure}
	settingCACertificate = setting{"ca_certificate", envCACertificate}
	settingMinTLS        = setting{"min_tls", envMinTLS}
	settingDefaultNode   = setting{"default_node", envDefaultNode}
)

// validateKnownSettings checks the values written in the provider block,
// without looking at the environment, with the validators Config.Validate
// uses.
func validateKnownSettings(cfg providerModel, diags *diag.Diagnostics) {
	if v := cfg.Endpoint; known(v) {
		if _, err := pve.NormalizeEndpoint(v.ValueString()); err != nil {
			addSettingError(diags, settingEndpoint, err)
		}
	}
	if v := cfg.APIToken; known(v) {
		if _, _, err := pve.ParseAPIToken(v.ValueString()); err != nil {
			addSettingError(diags, settingAPIToken, err)
		}
	}
	if v := cfg.CACertificate; known(v) {
		if err := pve.CheckCACertificate([]byte(v.ValueString())); err != nil {
			addSettingError(diags, settingCACertificate, err)
		}
	}
}

// resolveSettings merges the provider block with the environment (the block
// wins) and validates the result.
func resolveSettings(cfg providerModel, env func(string) string) (providerSettings, diag.Diagnostics) {
	var diags diag.Diagnostics

	for _, u := range []struct {
		s       setting
		unknown bool
	}{
		{settingEndpoint, cfg.Endpoint.IsUnknown()},
		{settingAPIToken, cfg.APIToken.IsUnknown()},
		{settingUsername, cfg.Username.IsUnknown()},
		{settingPassword, cfg.Password.IsUnknown()},
		{settingInsecure, cfg.Insecure.IsUnknown()},
		{settingCACertificate, cfg.CACertificate.IsUnknown()},
		{settingMinTLS, cfg.MinTLS.IsUnknown()},
		{settingDefaultNode, cfg.DefaultNode.IsUnknown()},
		{setting{"on_existing", ""}, cfg.OnExisting.IsUnknown()},
		{setting{"request_timeout", ""}, cfg.RequestTimeout.IsUnknown()},
		{setting{"max_retries", ""}, cfg.MaxRetries.IsUnknown()},
	} {
		if u.unknown {
			diags.AddAttributeError(u.s.path(), "Unknown provider setting",
				fmt.Sprintf("The provider cannot connect to Proxmox VE because %s depends on a value that is "+
					"only known after apply. Set it to a literal, a variable or an environment variable, or "+
					"apply the resources it depends on first with -target.", u.s.describe()))
		}
	}
	if diags.HasError() {
		return providerSettings{}, diags
	}

	pick := func(v types.String, s setting) string {
		if !v.IsNull() {
			return v.ValueString()
		}
		return strings.TrimSpace(env(s.env))
	}

	var out providerSettings
	c := &out.client
	c.Endpoint = pick(cfg.Endpoint, settingEndpoint)
	c.APIToken = pick(cfg.APIToken, settingAPIToken)
	c.Username = pick(cfg.Username, settingUsername)
	c.Password = pick(cfg.Password, settingPassword)
	out.defaultNode = pick(cfg.DefaultNode, settingDefaultNode)
	// A token in the block replaces ticket credentials from the environment
	// and the other way round, so the two kinds never mix by accident.
	if !cfg.APIToken.IsNull() && cfg.Username.IsNull() {
		c.Username, c.Password = "", ""
	}
	if !cfg.Username.IsNull() && cfg.APIToken.IsNull() {
		c.APIToken = ""
	}

	if v := cfg.Insecure; !v.IsNull() {
		c.Insecure = v.ValueBool()
	} else if raw := strings.TrimSpace(env(envInsecure)); raw != "" {
		b, err := strconv.ParseBool(raw)
		if err != nil {
			addSettingError(&diags, settingInsecure, fmt.Errorf("%q is not a boolean", raw))
		}
		c.Insecure = b
	}

	if v := cfg.CACertificate; !v.IsNull() {
		c.CACertificatePEM = []byte(v.ValueString())
	} else if raw := strings.TrimSpace(env(envCACertificate)); raw != "" {
		pem, err := readCACertificate(raw)
		if err != nil {
			addSettingError(&diags, settingCACertificate, err)
		}
		c.CACertificatePEM = pem
	}
	if raw := pick(cfg.MinTLS, settingMinTLS); raw != "" {
		v, ok := tlsVersions[raw]
		if !ok {
			addSettingError(&diags, settingMinTLS, fmt.Errorf("%q is not one of %s", raw, strings.Join(minTLSVersions(), ", ")))
		}
		c.MinTLS = v
	}

	// Null is "", which the guard reads as its safe default.
	policy, err := guard.ParsePolicy(cfg.OnExisting.ValueString())
	if err != nil {
		addSettingError(&diags, setting{attr: "on_existing"}, err)
	}
	out.onExisting = policy
	if v := cfg.RequestTimeout; !v.IsNull() {
		c.RequestTimeout = time.Duration(v.ValueInt64()) * time.Second
	}
	c.MaxRetries = pve.DefaultMaxRetries
	if v := cfg.MaxRetries; !v.IsNull() {
		c.MaxRetries = int(v.ValueInt64())
	}

	// The client's own validation and defaults, the same NewClient applies.
	resolved, err := out.client.Resolve()
	addConfigErrors(&diags, err)
	out.client = resolved
	return out, diags
}

// configSettings maps the fields of the client configuration to the
// provider settings they come from.
var configSettings = map[pve.ConfigField]setting{
	pve.FieldEndpoint:       settingEndpoint,
	pve.FieldAPIToken:       settingAPIToken,
	pve.FieldUsername:       settingUsername,
	pve.FieldPassword:       settingPassword,
	pve.FieldCACertificate:  settingCACertificate,
	pve.FieldMinTLS:         settingMinTLS,
	pve.FieldRequestTimeout: {attr: "request_timeout"},
	pve.FieldMaxRetries:     {attr: "max_retries"},
}

// addConfigErrors reports the problems pve.Config.Validate found, each on
// the provider setting it comes from.
func addConfigErrors(diags *diag.Diagnostics, err error) {
	if err == nil {
		return
	}
	var problems []error
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		problems = joined.Unwrap()
	} else {
		problems = []error{err}
	}
	for _, p := range problems {
		var ce *pve.ConfigError
		if !errors.As(p, &ce) {
			diags.AddError("Invalid provider configuration", p.Error())
			continue
		}
		s, ok := configSettings[ce.Field]
		if !ok {
			s = setting{attr: string(ce.Field)}
		}
		switch {
		case errors.Is(ce, pve.ErrConflictingCredentials):
			diags.AddAttributeError(settingAPIToken.path(), "Conflicting Proxmox VE credentials",
				fmt.Sprintf("Both an API token and a username/password are set. Use exactly one: %s, or %s with %s.",
					settingAPIToken.describe(), settingUsername.describe(), settingPassword.describe()))
		case errors.Is(ce, pve.ErrNoCredentials):
			diags.AddAttributeError(settingAPIToken.path(), "Missing Proxmox VE credentials",
				fmt.Sprintf("Set %s, or %s with %s.",
					settingAPIToken.describe(), settingUsername.describe(), settingPassword.describe()))
		default:
			addSettingError(diags, s, ce.Err)
		}
	}
}

// readCACertificate accepts PEM text or the path of a PEM file, as the
// environment variable may hold either.
func readCACertificate(raw string) ([]byte, error) {
	if strings.HasPrefix(raw, "-----BEGIN") {
		return []byte(raw), nil
	}
	pem, err := os.ReadFile(raw)
	if err != nil {
		return nil, fmt.Errorf("it is neither PEM text nor a readable file: %w", err)
	}
	return pem, nil
}

func addSettingError(diags *diag.Diagnostics, s setting, err error) {
	diags.AddAttributeError(s.path(), "Invalid provider setting "+s.attr,
		fmt.Sprintf("%s: %s.", s.describe(), strings.TrimSuffix(err.Error(), ".")))
}
