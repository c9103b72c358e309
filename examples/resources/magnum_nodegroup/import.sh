# A nodegroup is imported as <bay>/<nodegroup>, each a UUID or a name.
terraform import magnum_nodegroup.gpu k8sbay/gpu-workers
terraform import magnum_nodegroup.gpu 3c8bd0a5-4d6e-4c57-9f21-0e0d5a9b7c3e/9b1f6e52-5d0a-4d3f-8a57-2f1c3e4b5a6d
