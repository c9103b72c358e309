// Package diagnose decides how a failure reads in a Terraform diagnostic:
// an API error (the service's own words, the HTTP status, the request and
// its id), a failed wait (the status, Magnum's reasons and faults, Heat's
// failed resources), a refused certificate or quota call (the policy behind
// the 403), a TLS problem and a failed login (the setting that fixes it).
// Resources call it for every detail text they put in a diagnostic, so one
// kind of failure reads the same everywhere. It also holds what explains an
// outcome beyond an error: ownership (a name taken, a lost create, another
// project's object, an ambiguous name), a bay's failed status and its
// repair, a refused COE, a baymodel in use, a lost update, and what a
// driver is known to fail on (a Cluster API driver's missing
// dns_nameserver).
//
// The boundary: everything that explains an API outcome, a wait, ownership
// or a cloud refusal is here. What stays in internal/provider is the
// summary line naming the operation ("Error reading bay %q"), plan-time
// validation of the configuration (attribute validators, ModifyPlan
// checks of arguments against each other) and framework plumbing (a
// private state or a provider data value that cannot be decoded).
//
// Its functions are pure: what needs a request (Heat's failed resources)
// is handed in by the caller. It imports internal/magnum, internal/heat,
// internal/waiter and internal/session for their error types, and
// gophercloud for Keystone's.
package diagnose
