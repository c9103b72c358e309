#!/usr/bin/env bash
# Sourced by demo.sh once the quickstart is applied: use the bay's
# kubeconfig with kubectl, resize the bay in place, and look again.
kubeconfig="$work/kubeconfig"
step "Writing the bay's kubeconfig to $kubeconfig"
tf output -raw kubeconfig >"$kubeconfig"
chmod 600 "$kubeconfig"

have_kubectl=""
command -v kubectl >/dev/null && have_kubectl=1
kc() { kubectl --kubeconfig "$kubeconfig" --request-timeout=20s "$@"; }

if [ -n "$have_kubectl" ]; then
  step "kubectl get --raw /version"
  kc get --raw /version
  echo
  step "kubectl get nodes -o wide (the bay's master and worker, as Magnum's Heat driver names and labels them)"
  kc get nodes -o wide
  step "kubectl get nodes -L magnum.openstack.org/nodegroup,magnum.openstack.org/role"
  kc get nodes -L magnum.openstack.org/nodegroup,magnum.openstack.org/role
  step "kubectl get namespaces"
  kc get namespaces
else
  echo "kubectl not found: skipping the kubectl checks"
fi

step "Resizing the bay to 2 nodes (in place)"
tf apply -auto-approve -input=false -no-color -var node_count=2
tf output -no-color node_addresses
export TF_VAR_node_count=2

if [ -n "$have_kubectl" ]; then
  step "kubectl get nodes (after the resize: a second worker)"
  kc get nodes
fi
