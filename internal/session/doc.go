// Package session opens the provider's OpenStack session: it resolves the
// settings the way the OpenStack CLI does (provider arguments, then OS_*
// variables, then the clouds.yaml entry), builds the TLS configuration,
// logs in to Keystone (gophercloud logs in again when the token expires),
// and logs every HTTP exchange with credentials, tokens and keys masked.
//
// It knows nothing of Magnum's API or of Terraform resources: it imports
// gophercloud, terraform-plugin-log, and terraform-plugin-framework's diag
// and path only to name the argument a configuration problem is about.
package session
