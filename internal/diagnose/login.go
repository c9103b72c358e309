package diagnose

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"

	"github.com/magnumtf/terraform-provider-magnum/internal/session"
)

// LoginError is a failed login as a user reads it: Keystone's own words,
// and beyond them that the request ran out of api_timeout, or that
// auth_url is not Keystone at all but Magnum.
func LoginError(err error) string {
	var le *session.LoginError
	if !errors.As(err, &le) {
		return err.Error()
	}
	msg := describeAuthError(le.Err, le.AuthURL)
	switch {
	case le.TimedOut():
		msg += fmt.Sprintf("\n\nKeystone did not answer within api_timeout (%s). If it is only slow, raise api_timeout "+
			"(or OS_API_TIMEOUT), in seconds; otherwise check that auth_url is reachable from here.", le.Timeout.Round(time.Second))
	case le.MagnumAtAuthURL:
		msg += fmt.Sprintf("\n\nauth_url (%s) answers like Magnum's API (container-infra), not Keystone. Set auth_url (OS_AUTH_URL) to "+
			"the identity endpoint, such as https://keystone.example.com:5000/v3 (`openstack endpoint list --service identity` "+
			"shows it); the provider finds Magnum in Keystone's catalog.", le.AuthURL)
	}
	return msg
}

// describeAuthError puts Keystone's own words first: they say whether the
// password, the project or the domain is wrong, which a status code cannot.
func describeAuthError(err error, authURL string) string {
	var code gophercloud.ErrUnexpectedResponseCode
	if errors.As(err, &code) {
		msg := session.KeystoneMessage(code.Body)
		if msg == "" {
			msg = strings.TrimSpace(string(code.Body))
		}
		if msg == "" {
			msg = http.StatusText(code.Actual)
		}
		return fmt.Sprintf("Keystone at %s answered HTTP %d: %s", authURL, code.Actual, msg)
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		msg := fmt.Sprintf("Could not reach Keystone at %s: %s", authURL, uerr.Err)
		if h := TLSHint(err); h != "" {
			msg += "\n\n" + h
		}
		return msg
	}
	return fmt.Sprintf("Authenticating against %s failed: %s", authURL, err)
}

// TLSHint explains a certificate failure in terms of the settings that fix
// it; "" when err is not one.
func TLSHint(err error) string {
	var unknown x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknown):
		return "The server's TLS certificate is signed by a CA this machine does not trust. Set cacert_file (OS_CACERT) " +
			"to the PEM bundle of the CA that signed it; insecure = true skips the check, for test clouds only."
	case errors.As(err, &hostname):
		return "The server's TLS certificate is not valid for this host name. Use the host name the certificate names in auth_url, " +
			"or fix the certificate."
	case errors.As(err, &invalid):
		return "The server's TLS certificate is not valid (" + invalid.Error() + ")."
	}
	return ""
}
