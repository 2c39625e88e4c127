package labels

import (
	"fmt"
	"regexp"
	"strings"
)

// The formats below are Kubernetes' (apimachinery/pkg/util/validation), and so are
// the messages, which quote them.
const (
	qualifiedNameFmt    = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
	qualifiedNameErrMsg = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
	qualifiedNameMaxLen = 63

	labelValueFmt    = "(" + qualifiedNameFmt + ")?"
	labelValueErrMsg = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
	labelValueMaxLen = 63

	dns1123LabelFmt    = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
	dns1123LabelErrMsg = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
	dns1123LabelMaxLen = 63

	dns1123SubdomainFmt    = dns1123LabelFmt + "(\\." + dns1123LabelFmt + ")*"
	dns1123SubdomainErrMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
	dns1123SubdomainMaxLen = 253
)

var (
	qualifiedNameRegexp    = regexp.MustCompile("^" + qualifiedNameFmt + "$")
	labelValueRegexp       = regexp.MustCompile("^" + labelValueFmt + "$")
	dns1123LabelRegexp     = regexp.MustCompile("^" + dns1123LabelFmt + "$")
	dns1123SubdomainRegexp = regexp.MustCompile("^" + dns1123SubdomainFmt + "$")
)

// ValidateLabelKey returns why key is not a valid label key, or nil. A label key is
// a qualified name.
func ValidateLabelKey(key string) []string { return IsQualifiedName(key) }

// ValidateLabelValue returns why v is not a valid label value, or nil. A label value
// is empty or up to 63 alphanumeric characters, '-', '_' or '.', starting and ending
// with an alphanumeric character.
func ValidateLabelValue(v string) []string {
	var errs []string
	if len(v) > labelValueMaxLen {
		errs = append(errs, maxLenError(labelValueMaxLen))
	}
	if !labelValueRegexp.MatchString(v) {
		errs = append(errs, regexError(labelValueErrMsg, labelValueFmt, "MyValue", "my_value", "12345"))
	}
	return errs
}

// IsQualifiedName returns why s is not a qualified name, or nil. A qualified name is
// an optional DNS subdomain prefix and '/', then a name of up to 63 alphanumeric
// characters, '-', '_' or '.', starting and ending with an alphanumeric character
// (e.g. "app", "example.com/My_name").
func IsQualifiedName(s string) []string {
	var errs []string
	name := s
	switch parts := strings.Split(s, "/"); len(parts) {
	case 1:
	case 2:
		var prefix string
		prefix, name = parts[0], parts[1]
		if prefix == "" {
			errs = append(errs, "prefix part must be non-empty")
		} else {
			for _, msg := range IsDNS1123Subdomain(prefix) {
				errs = append(errs, "prefix part "+msg)
			}
		}
	default:
		return []string{"a qualified name " + regexError(qualifiedNameErrMsg, qualifiedNameFmt, "MyName", "my.name", "123-abc") +
			" with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"}
	}
	if name == "" {
		errs = append(errs, "name part must be non-empty")
	} else if len(name) > qualifiedNameMaxLen {
		errs = append(errs, "name part "+maxLenError(qualifiedNameMaxLen))
	}
	if !qualifiedNameRegexp.MatchString(name) {
		errs = append(errs, "name part "+regexError(qualifiedNameErrMsg, qualifiedNameFmt, "MyName", "my.name", "123-abc"))
	}
	return errs
}

// IsDNS1123Label returns why s is not an RFC 1123 label, or nil: up to 63 lower case
// alphanumeric characters or '-', starting and ending with an alphanumeric character.
// Namespace names are labels.
func IsDNS1123Label(s string) []string {
	var errs []string
	if len(s) > dns1123LabelMaxLen {
		errs = append(errs, maxLenError(dns1123LabelMaxLen))
	}
	if !dns1123LabelRegexp.MatchString(s) {
		if dns1123SubdomainRegexp.MatchString(s) {
			errs = append(errs, "must not contain dots")
		} else {
			errs = append(errs, regexError(dns1123LabelErrMsg, dns1123LabelFmt, "my-name", "123-abc"))
		}
	}
	return errs
}

// IsDNS1123Subdomain returns why s is not an RFC 1123 subdomain, or nil: up to 253
// characters of dot-separated labels. Most object names are subdomains.
func IsDNS1123Subdomain(s string) []string {
	var errs []string
	if len(s) > dns1123SubdomainMaxLen {
		errs = append(errs, maxLenError(dns1123SubdomainMaxLen))
	}
	if !dns1123SubdomainRegexp.MatchString(s) {
		errs = append(errs, regexError(dns1123SubdomainErrMsg, dns1123SubdomainFmt, "example.com"))
	}
	return errs
}

func maxLenError(n int) string {
	return fmt.Sprintf("must be no more than %d characters", n)
}

// regexError words a format mismatch as Kubernetes does, examples and regex included.
func regexError(msg, format string, examples ...string) string {
	msg += " (e.g. "
	for i, e := range examples {
		if i > 0 {
			msg += " or "
		}
		msg += "'" + e + "', "
	}
	return msg + "regex used for validation is '" + format + "')"
}
