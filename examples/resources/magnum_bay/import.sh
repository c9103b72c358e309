# A bay can be imported by UUID or by name.
terraform import magnum_bay.k8s 3c8bd0a5-4d6e-4c57-9f21-0e0d5a9b7c3e
terraform import magnum_bay.k8s k8sbay
