package sigv4

import (
	"strings"

	"github.com/s3gw/gateway/impl/s3err"
)

// parseAuthorization reads "AWS4-HMAC-SHA256 Credential=AK/20060102/region/
// service/aws4_request, SignedHeaders=a;b, Signature=hex". Components may
// come in any order, separated by commas and optional spaces.
func parseAuthorization(h string) (authInput, error) {
	var in authInput
	rest, ok := strings.CutPrefix(h, algorithm)
	if !ok || (rest != "" && rest[0] != ' ') {
		return in, ErrUnsupportedAuthorization
	}
	var cred string
	for rest != "" {
		var part string
		part, rest, _ = strings.Cut(rest, ",")
		part = strings.TrimSpace(part)
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return in, malformed("the component " + quote(part) + " is not of the form Name=value")
		}
		switch k {
		case "Credential":
			cred = v
		case "SignedHeaders":
			in.signedHeaders = v
		case "Signature":
			in.signature = v
		default:
			return in, malformed("unknown component " + quote(k))
		}
	}
	switch {
	case cred == "":
		return in, malformed("missing Credential")
	case in.signedHeaders == "":
		return in, malformed("missing SignedHeaders")
	case in.signature == "":
		return in, malformed("missing Signature")
	}
	if !parseCredential(cred, &in) {
		return in, malformed("the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"")
	}
	return in, nil
}

// parseCredential splits "AK/date/region/service/terminator" into in.
func parseCredential(cred string, in *authInput) bool {
	var parts [5]string
	rest := cred
	for i := range parts {
		var ok bool
		parts[i], rest, ok = strings.Cut(rest, "/")
		if ok != (i < 4) {
			return false
		}
	}
	if parts[0] == "" || len(parts[1]) != 8 || parts[2] == "" || parts[3] == "" {
		return false
	}
	for i := 0; i < 8; i++ {
		if parts[1][i] < '0' || parts[1][i] > '9' {
			return false
		}
	}
	in.accessKey, in.date, in.region, in.service, in.terminator = parts[0], parts[1], parts[2], parts[3], parts[4]
	return true
}

func malformed(why string) *s3err.Error {
	return s3err.AuthorizationHeaderMalformed.With("The authorization header is malformed; " + why + ".")
}

func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return "\"" + s + "\""
}
