# A quota is imported as <project_id>/<resource>; Magnum's only resource is Cluster.
terraform import magnum_quota.team_a 4a7c1e2f9b3d4c5e8f6a7b8c9d0e1f2a/Cluster
