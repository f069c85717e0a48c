package pvesim

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Property strings ("virtio,bridge=vmbr0,mtu=1500") and the one text of
// their errors. pve-common src/PVE/JSONSchema.pm: check_prop calls
// check_format, which for a hash format runs parse_property_string; a
// parse problem is a plain die ("duplicate key ...\n"), the keys' check_object
// errors are raised as "format error\n" with errors => {"<param>.<key>" =>
// msg}, which PVE::Exception::stringify (src/PVE/Exception.pm) prints as
// "format error\n<param>.<key>: <msg>\n" lines; check_prop stores either
// behind "invalid format - ". Every property-string error in the
// simulator goes through dieFormat and formatError.

// propFormat is one key of a property-string format.
type propFormat struct {
	defaultKey bool
	enum       []string
	pattern    *regexp.Regexp
	maxLen     int
	isBool     bool
	isInt      bool
	isNumber   bool
	min, max   int64
	required   bool
	// requires names a key that must be present with this one
	// (check_object: "missing property required by '<path>'").
	requires string
	// alias stores the value under another key and keyAlias records this
	// key's name there (the net "virtio=<mac>" form: macaddr and model).
	alias, keyAlias string
	// check is a registered format's verifier (check_format on a CODE
	// format): it returns the error text PVE dies with.
	check func(string) string
}

// dieFormat is the parameter error of a property string that
// parse_property_string could not split: a plain die with its newline,
// behind check_prop's "invalid format - ".
func dieFormat(msg string) string { return "invalid format - " + msg + "\n" }

// formatError is the parameter error of a property string whose keys
// failed check_object, one "<param>.<key>: <msg>" line per failed key.
func formatError(param, key, msg string) string {
	return formatErrors(map[string]string{param + "." + key: msg})
}

// formatErrors prints raise "format error\n", errors => {...} as
// PVE::Exception::stringify does: "foreach my $e (keys %{ $self->{errors} })"
// (pve-common src/PVE/Exception.pm), so PVE keeps no order at all: Perl
// iterates a hash in an order randomised per hash and per process
// (PERL_HASH_SEED, PERL_PERTURB_KEYS; the errors hash is filled by
// check_object's "foreach my $k (keys %$schema)", itself unordered). Sorted
// is one of the orders PVE can give; a client must not rely on any.
func formatErrors(errs map[string]string) string {
	var b strings.Builder
	b.WriteString("invalid format - format error\n")
	for _, path := range sortedKeys(errs) {
		fmt.Fprintf(&b, "%s: %s\n", path, errs[path])
	}
	return b.String()
}

// parsePropertyString is JSONSchema.pm parse_property_string followed by
// check_object: it returns the values by key (booleans as 0/1) or the
// parameter's error text.
func parsePropertyString(param, val string, format map[string]propFormat) (map[string]string, string) {
	res := map[string]string{}
	defaultKey := ""
	for _, part := range strings.Split(val, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		if k, v, has := strings.Cut(part, "="); has && k != "" && v != "" {
			if _, dup := res[k]; dup {
				return nil, dieFormat("duplicate key in comma-separated list property: " + k)
			}
			f, known := format[k]
			if f.alias != "" {
				if f.keyAlias != "" {
					if _, dup := res[f.keyAlias]; dup {
						return nil, dieFormat("key alias '" + f.keyAlias + "' is already defined")
					}
					res[f.keyAlias] = k
				}
				k = f.alias
				f, known = format[k]
				if _, dup := res[k]; dup {
					return nil, dieFormat("key '" + k + "' is already defined (via alias)")
				}
			}
			if !known {
				return nil, dieFormat("invalid key in comma-separated list property: " + k)
			}
			if f.isBool {
				v = pveBoolOf(v)
			}
			res[k] = v
			continue
		} else if has {
			return nil, dieFormat("missing key in comma-separated list property")
		}
		if defaultKey != "" {
			return nil, dieFormat("duplicate key in comma-separated list property: " + defaultKey)
		}
		for _, k := range sortedKeys(format) {
			if format[k].defaultKey {
				defaultKey = k
			}
		}
		if defaultKey == "" {
			return nil, dieFormat("value without key, but schema does not define a default key")
		}
		if _, dup := res[defaultKey]; dup {
			return nil, dieFormat("duplicate key in comma-separated list property: " + defaultKey)
		}
		if format[defaultKey].isBool {
			part = pveBoolOf(part)
		}
		res[defaultKey] = part
	}
	errs := map[string]string{}
	for _, k := range sortedKeys(format) {
		f := format[k]
		if f.alias != "" {
			continue
		}
		v, has := res[k]
		if !has {
			if f.required {
				errs[param+"."+k] = missingParam
			}
			continue
		}
		if msg := checkProp(f, v); msg != "" {
			errs[param+"."+k] = msg
		}
		if _, has := res[f.requires]; f.requires != "" && !has {
			errs[param+"."+f.requires] = fmt.Sprintf("missing property required by '%s.%s'", param, k)
		}
	}
	if len(errs) > 0 {
		return nil, formatErrors(errs)
	}
	return res, ""
}

// checkProp is check_prop for one scalar: type, format, pattern, length,
// range, enumeration, in that order.
func checkProp(f propFormat, v string) string {
	switch {
	case f.isBool && v != "0" && v != "1":
		return fmt.Sprintf("type check ('boolean') failed - got '%s'", v)
	case f.isInt && !intRE.MatchString(v):
		return fmt.Sprintf("type check ('integer') failed - got '%s'", v)
	case f.isNumber && !numRE.MatchString(v):
		return fmt.Sprintf("type check ('number') failed - got '%s'", v)
	}
	if f.check != nil {
		if msg := f.check(v); msg != "" {
			return "invalid format - " + msg
		}
	}
	if f.pattern != nil && !f.pattern.MatchString(v) {
		return "value does not match the regex pattern"
	}
	if f.maxLen > 0 && len(v) > f.maxLen {
		return fmt.Sprintf("value may only be %d characters long", f.maxLen)
	}
	if f.isInt {
		n, _ := strconv.ParseInt(v, 10, 64)
		if f.max > 0 && n > f.max {
			return fmt.Sprintf("value must have a maximum value of %d", f.max)
		}
		if n < f.min {
			return fmt.Sprintf("value must have a minimum value of %d", f.min)
		}
	}
	if n, err := strconv.ParseFloat(v, 64); f.isNumber && err == nil && n < float64(f.min) {
		return fmt.Sprintf("value must have a minimum value of %d", f.min)
	}
	if len(f.enum) > 0 && !slices.Contains(f.enum, v) {
		return fmt.Sprintf("value '%s' does not have a value in the enumeration '%s'", v, strings.Join(f.enum, ", "))
	}
	return ""
}

// pveBoolOf is JSONSchema.pm parse_boolean; other values stay as given and
// fail the type check.
func pveBoolOf(v string) string {
	switch strings.ToLower(v) {
	case "1", "on", "yes", "true":
		return "1"
	case "0", "off", "no", "false":
		return "0"
	}
	return v
}

// printProperties is print_property_string: the default key's value first,
// then key=value sorted by key.
func printProperties(res map[string]string, format map[string]propFormat) string {
	var parts []string
	for _, k := range sortedKeys(format) {
		if format[k].defaultKey {
			if v, has := res[k]; has {
				parts = append(parts, v)
			}
		}
	}
	for _, k := range sortedKeys(res) {
		if !format[k].defaultKey {
			parts = append(parts, k+"="+res[k])
		}
	}
	return strings.Join(parts, ",")
}
