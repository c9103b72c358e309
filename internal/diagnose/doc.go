// Package diagnose decides how a failure reads in a Terraform diagnostic:
// an API error (the service's own words, the HTTP status, the request and
// its id), a failed wait (the status, Magnum's reasons and faults, Heat's
// failed resources), a refused certificate or quota call (the policy behind
// the 403), a TLS problem and a failed login (the setting that fixes it).
// Resources call it for every detail text they put in a diagnostic, so one
// kind of failure reads the same everywhere.
//
// Its functions are pure: what needs a request (Heat's failed resources)
// is handed in by the caller. It imports internal/magnum, internal/heat,
// internal/waiter and internal/session for their error types, and
// gophercloud for Keystone's.
package diagnose
