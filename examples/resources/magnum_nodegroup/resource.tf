resource "magnum_nodegroup" "gpu" {
  bay_id    = "k8sbay"
  name      = "gpu-workers"
  flavor_id = "m1.large"

  # Resized in place; must stay within min_node_count and max_node_count.
  node_count     = 2
  min_node_count = 1
  max_node_count = 5

  # Merged over the bay's labels, so kube_tag and the rest are kept.
  merge_labels = true
  labels = {
    gpu_enabled = "true"
  }

  timeouts {
    create = "45m"
  }
}

# An autoscaled nodegroup: the cluster autoscaler owns its size, and its
# changes never show up as drift.
resource "magnum_nodegroup" "elastic" {
  bay_id = "k8sbay"
  name   = "elastic-workers"

  auto_scaling = {
    enabled        = true
    min_node_count = 1
    max_node_count = 10
  }
}
