#!/usr/bin/env bash
# Sourced by demo.sh once the quickstart is applied: use the bay's
# kubeconfig with kubectl, then resize the bay in place.
kubeconfig="$work/kubeconfig"
step "Writing the bay's kubeconfig to $kubeconfig"
tf output -raw kubeconfig >"$kubeconfig"
chmod 600 "$kubeconfig"

if command -v kubectl >/dev/null; then
  step "kubectl get --raw /version"
  kubectl --kubeconfig "$kubeconfig" --request-timeout=20s get --raw /version
  echo
  step "kubectl get namespaces"
  kubectl --kubeconfig "$kubeconfig" --request-timeout=20s get namespaces
else
  echo "kubectl not found: skipping the kubectl checks"
fi

step "Resizing the bay to 2 nodes (in place)"
tf apply -auto-approve -input=false -no-color -var node_count=2
tf output -no-color node_addresses
export TF_VAR_node_count=2
