# A baymodel can be imported by UUID or by name.
terraform import magnum_baymodel.k8s 1b8c4e3a-2f6d-4f3b-9c59-5d2a7e0e8f11
terraform import magnum_baymodel.k8s k8sbaymodel
