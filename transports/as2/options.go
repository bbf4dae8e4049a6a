package as2

import (
	"fmt"
	"strings"
)

// notificationOptions is a parsed Disposition-Notification-Options header:
//
//	signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha-256, sha1
//
// param *(";" param), param = attribute "=" importance "," value *("," value),
// in any order. Unknown attributes are ignored.
type notificationOptions struct {
	protocolRequired bool
	protocols        []string // lower-cased
	micalgRequired   bool
	micalgs          []string // as written
}

// parseNotificationOptions parses the header value. It is lenient where
// partners are sloppy: white space anywhere, quoted values, a missing
// importance, upper case.
func parseNotificationOptions(s string) (notificationOptions, error) {
	var o notificationOptions
	for _, param := range splitQuoted(s, ';') {
		param = strings.TrimSpace(param)
		if param == "" {
			continue
		}
		attr, rest, ok := strings.Cut(param, "=")
		if !ok {
			return o, &HeaderError{Header: "Disposition-Notification-Options", Value: s, Msg: fmt.Sprintf("parameter %q has no '='", param)}
		}
		var values []string
		for _, v := range splitQuoted(rest, ',') {
			if v = unquote(v); v != "" {
				values = append(values, v)
			}
		}
		required := false
		if len(values) > 0 {
			switch strings.ToLower(values[0]) {
			case "required":
				required, values = true, values[1:]
			case "optional":
				values = values[1:]
			}
		}
		switch strings.ToLower(strings.TrimSpace(attr)) {
		case "signed-receipt-protocol":
			o.protocolRequired = required
			for _, v := range values {
				o.protocols = append(o.protocols, strings.ToLower(v))
			}
		case "signed-receipt-micalg":
			o.micalgRequired = required
			o.micalgs = append(o.micalgs, values...)
		}
	}
	return o, nil
}

// wantsSignature reports whether the options ask for a PKCS#7 signed
// receipt.
func (o notificationOptions) wantsSignature() bool {
	for _, p := range o.protocols {
		if p == "pkcs7-signature" {
			return true
		}
	}
	return false
}

// micAlgorithm returns the first requested MIC algorithm we support and
// its spelling as requested. ok is false when none is supported.
func (o notificationOptions) micAlgorithm() (d digestAlg, spelling string, ok bool) {
	for _, name := range o.micalgs {
		if d, ok := digestByName(name); ok {
			return d, name, true
		}
	}
	return digestAlg{}, "", false
}
