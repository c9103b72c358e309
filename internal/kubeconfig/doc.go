// Package kubeconfig turns the certificates Magnum hands out into files a
// client can use: it generates the key and CSR the client certificate is
// signed from, renders kubeconfig YAML and Docker TLS settings, and decides
// when cached credentials have gone stale.
//
// The package knows nothing about Terraform or HTTP so that every decision in
// it can be tested with plain values.
package kubeconfig
